import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, apiLogin, login, PASSWORD, trpc } from "./auth";
import { editorLine, forbidExternalRequests, middle, shot } from "./helpers";
import { expectAccessible } from "./axe";

// Line numbers come from the demo file itself, so editing the demo does not silently break the test.
const demo = readFileSync("examples/ha-kvm/inventory.yml", "utf8").split("\n");
const lineOf = (text: string) => demo.findIndex((l) => l.includes(text)) + 1;
const MEMBERS = lineOf("members: [kvm-1, kvm-2]");
const INTERFACE = lineOf("interface: eno1");

test("signed out, any page leads to the login form and back; wrong password, disabled account; sign out", async ({ page, request }) => {
  await page.goto("/sites/ha-kvm/hosts/kvm-1");
  await expect(page).toHaveURL(/\/login\?next=%2Fsites%2Fha-kvm%2Fhosts%2Fkvm-1$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await shot(page, "00-login");
  await expectAccessible(page, "the login page");

  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText(/Wrong user name or password/);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await shot(page, "00-login-error");
  await expectAccessible(page, "the login page with an error");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/sites\/ha-kvm\/hosts\/kvm-1$/);
  await expect(page.getByTestId("user-menu")).toContainText("admin");

  // The session ends while a page is open (here: its cookie is gone): the next API call leads to the form, and back.
  await page.context().clearCookies();
  await page.getByTestId("tab-runs").click();
  await expect(page).toHaveURL(/\/login\?next=%2Fsites%2Fha-kvm%2Fruns$/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/sites\/ha-kvm\/runs$/);

  // The account menu, by keyboard: account pages, admin pages, sign out.
  await page.getByTestId("user-menu").focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu");
  await expect(menu.getByRole("menuitem")).toHaveText(["Change password", "API tokens", "Audit log", "Users", "Kiosk boards", "Sign out"]);
  await expect(menu.getByRole("menuitem", { name: "Change password" })).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(menu.getByRole("menuitem", { name: "Sign out" })).toBeFocused();
  await shot(page, "00-user-menu");
  await expectAccessible(page, "the account menu");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/login$/);
  // Signed out for real: the API refuses, and pages lead back to the form.
  expect((await page.request.get("/api/trpc/sites.list")).status()).toBe(401);

  // A disabled account says so (only after the right password).
  await apiLogin(request, "admin", ADMIN.password);
  const users = await trpc<{ id: string; username: string }[]>(request, "users.list", undefined, "query");
  const gone = users.find((u) => u.username === "gone.user")?.id ?? (await trpc<{ id: string }>(request, "users.create", { username: "gone.user", password: PASSWORD })).id;
  await trpc(request, "users.update", { id: gone, disabled: true });
  await page.getByLabel("User name").fill("gone.user");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("login-error")).toHaveText(/This account is disabled/);
});

test("a one-time password must be changed before anything else opens", async ({ page, request }) => {
  await apiLogin(request, "admin", ADMIN.password);
  const name = `newbie${Date.now() % 100000}`;
  const { oneTimePassword } = await trpc<{ oneTimePassword: string }>(request, "users.create", { username: name });
  await page.goto("/login");
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(oneTimePassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account\/password\?next=/);
  await expect(page.getByRole("heading", { name: "Choose your own password" })).toBeVisible();
  // Nothing else opens meanwhile.
  await page.goto("/");
  await expect(page).toHaveURL(/\/account\/password/);
  const menuItems = async () => {
    await page.getByTestId("user-menu").click();
    const items = await page.getByRole("menu").getByRole("menuitem").allTextContents();
    await page.keyboard.press("Escape");
    return items;
  };
  expect(await menuItems()).toEqual(["Sign out"]);

  await page.getByLabel("One-time password").fill(oneTimePassword);
  await page.getByLabel(/^New password/).fill("short");
  await page.getByLabel("Repeat the new password").fill("shorter");
  await expect(page.getByText("5 more characters needed")).toBeVisible();
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "The new password needs at least 10 characters." })).toBeVisible();
  await shot(page, "00-password-forced");
  await expectAccessible(page, "the password change page");
  await page.getByLabel(/^New password/).fill("a much better password");
  await page.getByLabel("Repeat the new password").fill("a much better password");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(page).toHaveURL(/:\d+\/$/);
  // A new user has no site yet: the page says how to get one, and offers no site creation.
  await expect(page.getByTestId("no-sites")).toContainText("No site shared with you yet");
  await expect(page.getByRole("heading", { name: "New site" })).toHaveCount(0);
  await shot(page, "00-no-sites");
  await expectAccessible(page, "the sites page without sites");
});

test("edit the demo inventory: live error at its line, fix, save, diff, resolved value with origin", async ({ page }) => {
  const noExternal = forbidExternalRequests(page);
  await login(page, "admin");

  // The demo site is there on first start.
  await page.goto("/");
  await expect(page.getByRole("link", { name: "HA MAAS on KVM" })).toBeVisible();
  await shot(page, "01-sites");
  await expectAccessible(page, "the sites list");
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
  // monaco-yaml's schema check reports the typo too ("Property xmembers is not allowed."): once it has run on
  // this text, the typo is still one problem, in the server's words, in the list and in the squiggle's hover.
  await expect(page.getByTestId("yaml-editor")).toHaveAttribute("data-yaml-reported", "1");
  const problems = page.getByLabel("Problems");
  await expect(problems.getByRole("link").filter({ hasText: "xmembers" })).toHaveCount(1);
  await expect(problems).not.toContainText("is not allowed");
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
  await expectAccessible(page, "the editor with a problem");
  // The squiggle's hover: the server's message alone (no monaco-yaml warning under the same squiggle).
  await expect(page.getByTestId("yaml-editor").locator(".squiggly-warning")).toHaveCount(0);
  const box = (await squiggle.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const hover = page.locator(".monaco-hover").filter({ hasText: "xmembers" });
  await expect(hover).toContainText("unknown field 'xmembers' (did you mean 'members'?)");
  await expect(hover).not.toContainText("is not allowed");
  await shot(page, "02-editor-error-hover");

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
  // No name to type: the revision's author is the signed-in user.
  await expect(dialog.getByLabel("Your name")).toHaveCount(0);
  await shot(page, "03-save-dialog");
  await expectAccessible(page, "the save dialog");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`rev ${head + 1}`)).toBeVisible();
  await expect(page.getByText("● 1 unsaved")).toBeHidden();

  // History: the new revision and its diff.
  await page.getByRole("link", { name: "History" }).click();
  const revisionLink = page.getByRole("link", { name: new RegExp(`#${head + 1}\\s+Hypervisors use eno2`) });
  await expect(revisionLink).toBeVisible();
  await expect(revisionLink).toContainText("admin ·");
  const diff = page.getByTestId("diff-editor");
  // Monaco renders only the lines in view: scroll the diff down to the change.
  const before = diff.locator(".original .view-line", { hasText: "interface: eno1" });
  await diff.locator(".editor.modified").hover();
  await expect
    .poll(async () => {
      if (await before.isVisible()) return true;
      await page.mouse.wheel(0, 300);
      return false;
    })
    .toBe(true);
  await expect(diff.locator(".modified .view-line", { hasText: "interface: eno2" })).toBeVisible();
  await expect(diff.locator(".modified .char-insert, .modified .line-insert").first()).toBeVisible();
  await shot(page, "04-history-diff");
  await expectAccessible(page, "history");

  // Hosts: kvm-1 resolves interface to the new value, set by the all group.
  await page.getByRole("link", { name: "Hosts" }).click();
  await page.getByRole("link", { name: "kvm-1", exact: true }).click();
  await expect(page).toHaveURL(/\/hosts\/kvm-1$/);
  const row = page.locator('tr[data-key="interface"]');
  await expect(row).toContainText('"eno2"');
  await expect(row).toContainText("group all");
  await expect(row.getByRole("link", { name: `inventory.yml:${INTERFACE}` })).toBeVisible();
  await shot(page, "05-host-panel");
  await expectAccessible(page, "hosts");

  // The origin link opens the editor at that line.
  await row.getByRole("link", { name: `inventory.yml:${INTERFACE}` }).click();
  await expect(page).toHaveURL(new RegExp(`/files/inventory\\.yml\\?line=${INTERFACE}&col=\\d+$`));
  await expect(editorLine(page, "interface: eno2")).toBeVisible();
  await shot(page, "06-origin-in-editor");

  noExternal();
});
