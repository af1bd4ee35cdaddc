import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSiteDirectory } from "../server/inventory";
import { writeTgz } from "../server/store/archive";
import { expectAccessible } from "./axe";
import { login, trpc } from "./auth";
import { editorLine, shot } from "./helpers";

const suffix = Date.now().toString(36).slice(-5);

test("a site's Ansible content: imported beside its documents, edited without the documents' schema, checked by Ansible", async ({ page }) => {
  await login(page, "admin");
  const slug = `ansible-web-${suffix}`;
  // The example site, plus a binary file in its role: a site keeps text only, and the import says so.
  const files = readSiteDirectory("examples/ansible-web").files;
  const tar = Buffer.from(writeTgz(files, new Date()));
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-ansible-"));
  execFileSync("tar", ["-xzf", "-", "-C", dir], { input: tar });
  mkdirSync(join(dir, "roles/web/files"), { recursive: true });
  writeFileSync(join(dir, "roles/web/files/logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  const archive = execFileSync("tar", ["-czf", "-", "-C", dir, "."]);

  await page.goto("/");
  const form = page.locator("form", { has: page.getByRole("heading", { name: "Import a site" }) });
  await form.getByLabel("Name").fill(`Ansible web ${suffix}`);
  await form.getByLabel(/Archive/).setInputFiles({ name: "ansible-web.tgz", buffer: archive, mimeType: "application/gzip" });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(form.locator(".notice")).toContainText("roles/web/files/logo.png is Ansible content but binary: a site keeps text files only.");

  // A playbook runs on the server, as a local step does: a server admin allows it for the site.
  await trpc(page.request, "sites.localExecution", { slug, enabled: true });

  // The file list: documents, then the Ansible content.
  await page.goto(`/sites/${slug}/files/playbooks/site.yml`);
  const ansible = page.getByRole("group", { name: "Ansible content" });
  await expect(ansible.getByRole("link")).toHaveText(["playbooks/site.yml", "requirements.yml", "roles/web/defaults/main.yml", "roles/web/handlers/main.yml", "roles/web/meta/main.yml", "roles/web/tasks/main.yml", "roles/web/templates/index.html.j2"]);
  await expect(page.getByRole("group", { name: "Documents" }).getByRole("link")).toHaveText(["deployment.yml", "inventory.yml"]);

  // A playbook is YAML to Monaco, and the documents' schema does not apply (it would call a list of plays wrong).
  const editor = page.getByTestId("yaml-editor");
  await expect(editor).toHaveAttribute("data-language", "yaml");
  await expect(editor).toHaveAttribute("data-yaml-reported", "0");
  await expect(page.getByLabel("Problems")).toContainText("none: the site is valid");

  // A template gets a template language.
  await page.getByRole("link", { name: "roles/web/templates/index.html.j2" }).click();
  await expect(editor).toHaveAttribute("data-path", "roles/web/templates/index.html.j2");
  await expect(editor).toHaveAttribute("data-language", "twig");
  await expect(editorLine(page, "inventory_hostname")).toBeVisible();
  await shot(page, "71-ansible-template");

  // Break the role's tasks: Ansible's syntax check reports it at its line, in the file list and the problems.
  await page.getByRole("link", { name: "roles/web/tasks/main.yml" }).click();
  await expect(editor).toHaveAttribute("data-path", "roles/web/tasks/main.yml");
  const line = editorLine(page, "- name: Web root exists");
  await line.click();
  await page.keyboard.press("End");
  await page.keyboard.type(": broken"); // a second ': ' in a plain scalar is not YAML
  await page.keyboard.press("Escape"); // Monaco's word suggestions
  const problem = page.getByLabel("Problems").getByRole("link", { name: /ansible-playbook --syntax-check: YAML syntax/ });
  await expect(problem).toBeVisible({ timeout: 20_000 });
  await expect(problem).toContainText("roles/web/tasks/main.yml:");
  await expect(page.getByLabel("Files").getByRole("link", { name: /roles\/web\/tasks\/main\.yml/ }).getByText("✕ 1")).toBeVisible();
  await shot(page, "70-ansible-content");
  await expectAccessible(page, "the editor on Ansible content");
});
