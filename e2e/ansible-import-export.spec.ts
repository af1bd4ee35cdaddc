/**
 * Ansible in and out through the dashboard: the import dialog takes an Ansible inventory (an archive made with
 * GNU tar, or a path on the server), says every problem at its file:line:col, opens vaulted values with the
 * vault password into the site's secrets; the Export menu downloads the site as an Ansible bundle.
 */
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { vaultEncrypt, vaultYamlScalar } from "../server/ansible/vault";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

const suffix = Date.now().toString(36).slice(-5);
const VAULT_PASSWORD = "e2e-vault-password";
let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-ansible-inv-"));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A .tgz of these files, made by GNU tar (inside a folder, as people archive an inventory). */
function tgz(name: string, files: Record<string, string>): Buffer {
  const root = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, "inventory", path)), { recursive: true });
    writeFileSync(join(root, "inventory", path), content);
  }
  return execFileSync("tar", ["-czf", "-", "-C", root, "inventory"]);
}

/** The import form alone, whole (it is taller than the window once it shows problems). */
async function shotForm(page: Page, name: string) {
  await importForm(page).screenshot({ path: `${process.env.FD_E2E_SCREENS ?? "test-results/screens"}/${name}.png` });
}

function importForm(page: Page) {
  return page.locator("form", { has: page.getByRole("heading", { name: "Import a site" }) });
}

test("an Ansible inventory imported from the dialog: problems located, vaulted values as secrets; the Export menu's Ansible bundle", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/");
  const form = importForm(page);
  await expect(form.getByRole("radio", { name: "Flightdeck site" })).toBeChecked();
  await shotForm(page, "90-import-dialog-site");

  // A broken inventory: every problem, each where it is.
  await form.getByText("Ansible inventory", { exact: true }).click();
  await expect(form.getByRole("radio", { name: "Ansible inventory" })).toBeChecked();
  await form.getByLabel("Name").fill(`Broken ${suffix}`);
  const broken = tgz("broken", {
    "hosts.ini": "[web]\nweb-1 ansible_port=2222\n\n[web:children]\nnope\n",
    "group_vars/web.yml": "http_port: 8080\ncolors: [red\n",
  });
  await form.getByLabel(/Archive/).setInputFiles({ name: "broken.tgz", mimeType: "application/gzip", buffer: broken });
  await form.getByRole("button", { name: "Import" }).click();
  const error = form.getByTestId("import-error");
  await expect(error).toContainText("broken.tgz cannot be imported as an Ansible inventory: 2 problems");
  await expect(error.getByRole("list", { name: "Problems" }).getByRole("listitem")).toHaveText([
    "inventory/hosts.ini:5:1: section [web:children] names the group 'nope', which is never declared: add a [nope] section",
    /^inventory\/group_vars\/web\.yml:3:1: YAML syntax: /,
  ]);
  await shotForm(page, "91-import-ansible-problems");
  await expectAccessible(page, "the import dialog with an Ansible inventory's problems");
  await page.goto("/");
  await expect(page.getByText(`Broken ${suffix}`)).toHaveCount(0);

  // An inventory with a vaulted value: refused without the password (named where it is), imported with it.
  const good = tgz("good", {
    "hosts.yml": `all:
  children:
    web:
      hosts:
        web-1: {ansible_host: 10.0.0.11, ansible_user: deploy}
        web-2: {ansible_host: 10.0.0.12, ansible_port: 2222}
      vars:
        http_port: 8080
    db:
      hosts:
        db-1:
`,
    "group_vars/all.yml": `ntp_server: pool.ntp.org\ndb_password: ${vaultYamlScalar(vaultEncrypt("s3cret-db-value", VAULT_PASSWORD), 2)}\n`,
    "host_vars/db-1.yml": "role: primary\n",
  });
  const slug = `from-ansible-${suffix}`;
  await form.getByText("Ansible inventory", { exact: true }).click();
  await form.getByLabel("Name").fill(`From Ansible ${suffix}`);
  await form.getByLabel(/Archive/).setInputFiles({ name: "production.tgz", mimeType: "application/gzip", buffer: good });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(error.getByRole("listitem")).toHaveText([/^inventory\/group_vars\/all\.yml:2:\d+: vault-encrypted value \(!vault\): give the vault password/]);
  await form.getByLabel("Vault password").fill(VAULT_PASSWORD);
  await shotForm(page, "92-import-dialog-ansible");
  await expectAccessible(page, "the import dialog, Ansible inventory chosen");
  await form.getByRole("button", { name: "Import" }).click();
  await expect(page).toHaveURL(new RegExp(`/sites/${slug}`));

  // The site: the inventory's hosts and groups, the secret as a reference, its value only in secrets.yml (encrypted).
  const hosts = await trpc<{ hosts: { name: string; groups: string[] }[] }>(page.request, "hosts.list", { slug }, "query");
  expect(hosts.hosts.map((h) => [h.name, h.groups.filter((g) => g !== "all").join(",")])).toEqual([
    ["web-1", "web"],
    ["web-2", "web"],
    ["db-1", "db"],
  ]);
  const listed = await trpc<{ files: { path: string; content: string }[] }>(page.request, "files.list", { slug }, "query");
  const inventory = listed.files.find((f) => f.path === "inventory.yml")!.content;
  expect(inventory).toContain("db_password: secret:");
  expect(JSON.stringify(listed.files)).not.toContain("s3cret-db-value");
  const secrets = await trpc<{ keys: string[] }>(page.request, "secrets.list", { slug }, "query");
  expect(secrets.keys.length).toBe(1);

  // The Export menu: the site as an Ansible bundle; the file is a gzipped tar with hosts/hosts.yml.
  await page.goto(`/sites/${slug}/hosts`);
  await expect(page.getByRole("link", { name: "db-1", exact: true })).toBeVisible();
  await page.getByTestId("export-menu").click();
  const menu = page.getByRole("menu", { name: `Export ${slug}` });
  await expect(menu.getByRole("menuitem")).toHaveText([/Site archive \(\.tgz\)/, /Ansible bundle \(\.tgz\)/, /Ansible bundle \(\.zip\)/]);
  await shot(page, "93-export-menu");
  await expectAccessible(page, "the Export menu");
  const download = page.waitForEvent("download");
  await menu.getByRole("menuitem", { name: /Ansible bundle \(\.tgz\)/ }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^${slug}-r1-ansible\\.tgz$`));
  const bytes = readFileSync((await file.path()));
  expect([...bytes.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
  const names = execFileSync("tar", ["-tzf", "-"], { input: bytes, encoding: "utf8" }).split("\n");
  expect(names).toContain("hosts/hosts.yml");
  expect(names).toContain("ansible.cfg");
  const hostsYml = execFileSync("tar", ["-xzOf", "-", "hosts/hosts.yml"], { input: bytes, encoding: "utf8" });
  expect(hostsYml).toContain("web-2");
  await expect(menu).toHaveCount(0);

  // The zip: a zip file with the same bundle.
  await page.getByTestId("export-menu").click();
  const zipDownload = page.waitForEvent("download");
  await page.getByTestId("export-ansible-zip").click();
  const zip = readFileSync((await (await zipDownload).path()));
  expect(zip.subarray(0, 2).toString("latin1")).toBe("PK");
  expect(zip.includes(Buffer.from("hosts/hosts.yml"))).toBe(true);
});

test("the Export menu says why a site cannot be exported as an Ansible bundle", async ({ page }) => {
  await login(page, "admin");
  const site = join(dir, "lint-errors");
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, "inventory.yml"), "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n    groups: [nope]\n");
  await trpc(page.request, "sites.importPath", { slug: `lint-${suffix}`, name: `Lint ${suffix}`, path: site });
  await page.goto(`/sites/lint-${suffix}/hosts`);
  await page.getByTestId("export-menu").click();
  await page.getByTestId("export-ansible-tgz").click();
  await expect(page.getByTestId("export-error")).toContainText(`Could not export: revision 1 of site 'lint-${suffix}' has lint errors; fix them to export it: inventory.yml:6:`);
  await expect(page.getByRole("menu")).toBeVisible();
});

test("an Ansible inventory from a path on the server: a folder whose inventory is an .ini file is explained", async ({ page }) => {
  await login(page, "admin");
  const inv = join(dir, "server-inventory");
  mkdirSync(join(inv, "group_vars"), { recursive: true });
  writeFileSync(join(inv, "hosts.ini"), "[app]\napp-[1:3] ansible_user=ops\n");
  writeFileSync(join(inv, "group_vars", "app.yml"), "port: 8443\n");
  await page.goto("/");
  const form = importForm(page);
  await form.getByText("Ansible inventory", { exact: true }).click();
  await form.getByLabel("Name").fill(`Server inventory ${suffix}`);
  await form.getByLabel(/inventory on the server/).fill(inv);
  await form.getByRole("button", { name: "Import" }).click();
  const error = form.getByTestId("import-error");
  await expect(error.getByRole("listitem")).toHaveText([`${inv}:1:1: no inventory file was found here (Ansible would use an empty inventory)`, `${join(inv, "hosts.ini")}:1:1: skipped: Ansible ignores .ini files inside an inventory directory; import the file itself (${join(inv, "hosts.ini")})`]);
  await form.getByLabel(/inventory on the server/).fill(join(inv, "hosts.ini"));
  await form.getByRole("button", { name: "Import" }).click();
  await expect(page).toHaveURL(new RegExp(`/sites/server-inventory-${suffix}`));
  const hosts = await trpc<{ hosts: { name: string }[] }>(page.request, "hosts.list", { slug: `server-inventory-${suffix}` }, "query");
  expect(hosts.hosts.map((h) => h.name)).toEqual(["app-1", "app-2", "app-3"]);
  // An existing site is never replaced by an inventory.
  await page.goto("/");
  await form.getByText("Ansible inventory", { exact: true }).click();
  await form.getByLabel("Name").fill(`Server inventory ${suffix}`);
  await form.getByLabel(/inventory on the server/).fill(join(inv, "hosts.ini"));
  await form.getByRole("button", { name: "Import" }).click();
  await expect(form.getByTestId("import-error")).toContainText(`Site 'server-inventory-${suffix}' exists: an Ansible inventory is imported as a new site`);
});
