import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { editorLine, forbidExternalRequests, middle, shot } from "./helpers";

// Line numbers come from the demo file itself, so editing the demo does not silently break the test.
const demo = readFileSync("examples/ha-kvm/inventory.yml", "utf8").split("\n");
const lineOf = (text: string) => demo.findIndex((l) => l.includes(text)) + 1;
const MEMBERS = lineOf("members: [kvm-1, kvm-2]");
const INTERFACE = lineOf("interface: eno1");

test("edit the demo inventory: live error at its line, fix, save, diff, resolved value with origin", async ({ page }) => {
  const noExternal = forbidExternalRequests(page);

  // The demo site is there on first start.
  await page.goto("/");
  await expect(page.getByRole("link", { name: "HA MAAS on KVM" })).toBeVisible();
  await shot(page, "01-sites");
  await page.getByRole("link", { name: "HA MAAS on KVM" }).click();
  await page.getByRole("link", { name: "inventory.yml" }).click();
  await expect(page).toHaveURL(/\/sites\/ha-kvm\/files\/inventory\.yml$/);
  // Other specs may have saved revisions before this one runs.
  const head = Number((await page.getByText(/^rev \d+$/).textContent())!.replace("rev ", ""));
  await expect(editorLine(page, "kind: inventory.hypervisor.kvm")).toBeVisible();
  // Monaco renders only the lines in view: open the groups through a line link.
  await page.goto(`/sites/ha-kvm/files/inventory.yml?line=${MEMBERS}`);

  // Type an error: `members` becomes `xmembers`.
  const members = editorLine(page, "members: [kvm-1, kvm-2]");
  await expect(members).toBeVisible();
  await members.click();
  await page.keyboard.press("Home");
  await page.keyboard.type("x");
  const problem = page.getByRole("link", { name: /unknown field 'xmembers' \(did you mean 'members'\?\)/ });
  await expect(problem).toBeVisible();
  await expect(problem).toContainText(`inventory.yml:${MEMBERS}:5`);
  // The squiggle sits on the line that holds the typo.
  const squiggle = page.getByTestId("yaml-editor").locator(".squiggly-error").first();
  await expect(squiggle).toBeVisible();
  const typoLine = editorLine(page, "xmembers:");
  // Markers are re-rendered as lint results arrive: compare positions until they settle.
  await expect.poll(async () => Math.abs((await middle(squiggle)) - (await middle(typoLine)))).toBeLessThan(12);
  // The file list counts errors per file (the emptied group also leaves the demo deployment without targets).
  await expect(page.getByLabel("Files").getByRole("link", { name: /inventory\.yml/ }).getByText("✕ 1")).toBeVisible();
  await expect(page.getByLabel("Files").getByRole("link", { name: /deployment\.yml/ }).getByText("✕ 1")).toBeVisible();
  await shot(page, "02-editor-error");

  // Fix it: the problems list empties.
  await page.keyboard.press("Backspace");
  await expect(problem).toBeHidden();
  await expect(page.getByLabel("Problems")).toContainText("none: the site is valid");

  // A real change: every host's interface becomes eno2.
  await editorLine(page, "interface: eno1").click();
  await page.keyboard.press("End");
  await page.keyboard.press("Backspace");
  await page.keyboard.type("2");
  await expect(page.getByText("● 1 unsaved")).toBeVisible();
  await page.keyboard.press("Control+s");
  const dialog = page.getByRole("dialog", { name: `Save revision ${head + 1}` });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel("What changed and why").fill("Hypervisors use eno2");
  await dialog.getByLabel("Your name").fill("e2e-operator");
  await shot(page, "03-save-dialog");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`rev ${head + 1}`)).toBeVisible();
  await expect(page.getByText("● 1 unsaved")).toBeHidden();

  // History: the new revision and its diff.
  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("link", { name: new RegExp(`#${head + 1}\\s+Hypervisors use eno2`) })).toBeVisible();
  await expect(page.getByText("e2e-operator")).toBeVisible();
  const diff = page.getByTestId("diff-editor");
  await expect(diff.locator(".original .view-line", { hasText: "interface: eno1" })).toBeVisible();
  await expect(diff.locator(".modified .view-line", { hasText: "interface: eno2" })).toBeVisible();
  await expect(diff.locator(".modified .char-insert, .modified .line-insert").first()).toBeVisible();
  await shot(page, "04-history-diff");

  // Hosts: kvm-1 resolves interface to the new value, set by the all group.
  await page.getByRole("link", { name: "Hosts" }).click();
  await page.getByRole("link", { name: "kvm-1", exact: true }).click();
  await expect(page).toHaveURL(/\/hosts\/kvm-1$/);
  const row = page.locator('tr[data-key="interface"]');
  await expect(row).toContainText('"eno2"');
  await expect(row).toContainText("group all");
  await expect(row.getByRole("link", { name: `inventory.yml:${INTERFACE}` })).toBeVisible();
  await shot(page, "05-host-panel");

  // The origin link opens the editor at that line.
  await row.getByRole("link", { name: `inventory.yml:${INTERFACE}` }).click();
  await expect(page).toHaveURL(new RegExp(`/files/inventory\\.yml\\?line=${INTERFACE}&col=\\d+$`));
  await expect(editorLine(page, "interface: eno2")).toBeVisible();
  await shot(page, "06-origin-in-editor");

  noExternal();
});
