import { expect, request as playwrightRequest, test, type Page } from "@playwright/test";
import { ADMIN, apiLogin, trpc } from "./auth";
import { shot } from "./helpers";
import { expectAccessible } from "./axe";

// Names unique to this run: specs share one server.
const suffix = Date.now().toString(36).slice(-5);
const jane = `jane-${suffix}`;
const site = "adm-lab";

async function confirm(page: Page, title: RegExp | string) {
  const dialog = page.getByTestId("confirm-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("heading")).toContainText(title);
  // The dialog opens with Cancel focused (a stray Enter does nothing destructive).
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await dialog.getByTestId("confirm-ok").click();
  await expect(dialog).toBeHidden();
}

test.beforeEach(async ({ page, context, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await apiLogin(page.request, ADMIN.username, ADMIN.password);
  const sites = await trpc<{ slug: string }[]>(page.request, "sites.list", undefined, "query");
  if (!sites.some((s) => s.slug === site)) await trpc(page.request, "sites.create", { slug: site, name: "Admin lab" });
});

test("an admin creates a user, resets the password, changes rights, gives a role, makes and revokes a token, and finds it all in the audit log", async ({ page, baseURL }) => {
  test.setTimeout(120_000);

  // --- Users -------------------------------------------------------------------------------------------
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  await page.getByLabel("User name").fill(jane);
  await page.getByLabel(/Full name/).fill("Jane Doe");
  await page.getByRole("button", { name: "Create user" }).click();

  const once = page.getByTestId("one-time-password");
  await expect(once).toBeVisible();
  await expect(once.getByTestId("shown-once")).toHaveText("Shown once");
  await expect(once).toContainText("cannot be shown again");
  const otp = await once.getByTestId("secret-value").inputValue();
  expect(otp).toMatch(/^[a-zA-Z0-9]{16}$/);
  await once.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(once.getByRole("button", { name: "Copied", exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(otp);

  const row = page.getByTestId(`user-${jane}`);
  await expect(row).toContainText("Jane Doe");
  await expect(row.getByTestId("flag-must-change")).toBeVisible();
  await shot(page, "40-admin-user-created");
  await expectAccessible(page, "admin users, with a one-time password shown");

  // The one-time password signs in once, and must be changed then.
  const fresh = await playwrightRequest.newContext({ baseURL });
  await apiLogin(fresh, jane, otp);
  const me = await trpc<{ mustChangePassword: boolean }>(fresh, "account.me", undefined, "query");
  expect(me.mustChangePassword).toBe(true);

  await once.getByTestId("shown-once-done").click();
  await expect(once).toBeHidden();
  expect(await page.content()).not.toContain(otp);

  // Reset: a new one-time password, shown once; the old one stops working.
  await row.getByRole("button", { name: `Reset the password of ${jane}` }).click();
  await confirm(page, `Reset the password of ${jane}`);
  await expect(once).toBeVisible();
  await expect(once).toContainText(`New one-time password for ${jane}`);
  const otp2 = await once.getByTestId("secret-value").inputValue();
  expect(otp2).not.toBe(otp);
  await shot(page, "41-admin-user-reset");
  await once.getByTestId("shown-once-done").click();
  const old = await fresh.post("/api/auth/sign-in/username", { data: { username: jane, password: otp } });
  expect(old.ok()).toBe(false);

  // Server admin on and off, with a confirmation each way.
  await row.getByRole("button", { name: `Make ${jane} a server admin` }).click();
  await confirm(page, "server admin");
  await expect(row.getByTestId("flag-admin")).toBeVisible();
  await row.getByRole("button", { name: `Remove server admin rights from ${jane}` }).click();
  await confirm(page, "Remove server admin rights");
  await expect(row.getByTestId("flag-admin")).toHaveCount(0);

  // Disable: she cannot sign in; enable again. A cancelled confirmation changes nothing.
  await row.getByRole("button", { name: `Disable ${jane}` }).click();
  await expect(page.getByTestId("confirm-dialog")).toContainText("signed out everywhere");
  await shot(page, "41a-confirm-disable");
  await expectAccessible(page, "a confirmation dialog");
  await page.getByTestId("confirm-dialog").getByRole("button", { name: "Cancel" }).click();
  await expect(row.getByTestId("flag-disabled")).toHaveCount(0);
  await row.getByRole("button", { name: `Disable ${jane}` }).click();
  await confirm(page, `Disable ${jane}`);
  await expect(row.getByTestId("flag-disabled")).toBeVisible();
  const refused = await fresh.post("/api/auth/sign-in/username", { data: { username: jane, password: otp2 } });
  expect(refused.ok()).toBe(false);
  await shot(page, "42-admin-users-list");
  await expectAccessible(page, "admin users");
  await row.getByRole("button", { name: `Enable ${jane}` }).click();
  await confirm(page, `Enable ${jane}`);
  await expect(row.getByTestId("flag-disabled")).toHaveCount(0);
  // The admin cannot disable themself or drop their own rights.
  await expect(page.getByTestId("user-admin").getByRole("button", { name: "Disable admin" })).toBeDisabled();
  await fresh.dispose();

  // --- Members of a site -------------------------------------------------------------------------------
  await page.goto(`/sites/${site}/members`);
  await expect(page.getByRole("heading", { name: "Members", level: 1 })).toBeVisible();
  await page.getByTestId("add-member-user").selectOption({ label: `${jane} (Jane Doe)` });
  await expect(page.getByTestId("pick-role-operator").locator("..")).toContainText("edit documents, request runs, cancel their own runs");
  await page.getByTestId("pick-role-operator").check();
  await page.getByTestId("add-member-submit").click();
  const member = page.getByTestId(`member-${jane}`);
  await expect(member.getByTestId(`role-${jane}`)).toHaveValue("operator");
  await expect(member).toContainText("edit documents, request runs");
  await member.getByTestId(`role-${jane}`).selectOption("approver");
  await expect(member).toContainText("approve or reject runs, cancel any run");
  await page.reload();
  await expect(page.getByTestId(`member-${jane}`).getByTestId(`role-${jane}`)).toHaveValue("approver");

  // Approvals required: 0 explained, then 2.
  const approvals = page.getByTestId("approvals-required");
  await approvals.fill("0");
  await expect(page.locator("#approvals-explain")).toContainText("runs start as soon as they are requested");
  await approvals.fill("2");
  await expect(page.locator("#approvals-explain")).toContainText("2 different approvers");
  await page.getByTestId("approvals-save").click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  const got = await trpc<{ approvalsRequired: number }>(page.request, "sites.get", { slug: site }, "query");
  expect(got.approvalsRequired).toBe(2);
  await shot(page, "43-site-members");
  await expectAccessible(page, "site members");

  // --- API tokens --------------------------------------------------------------------------------------
  const tokenName = `ci-${suffix}`;
  await page.goto("/tokens");
  await page.getByTestId("token-name").fill(tokenName);
  await page.getByTestId("token-site").selectOption(site);
  await page.getByTestId("pick-role-operator").check();
  await page.getByTestId("token-expiry").selectOption("30");
  await page.getByTestId("token-create").click();
  const created = page.getByTestId("new-token");
  await expect(created.getByTestId("shown-once")).toBeVisible();
  const token = await created.getByTestId("secret-value").inputValue();
  expect(token).toMatch(/^fdt_/);
  await expect(created.getByTestId("usage-cli")).toHaveValue(`FLIGHTDECK_TOKEN=${token} npx flightdeck launch ${site} --server ${baseURL}`);
  await expect(created.getByTestId("usage-curl")).toHaveValue(`curl -H "Authorization: Bearer ${token}" ${baseURL}/api/v1/sites`);
  await shot(page, "44-token-created");
  await expectAccessible(page, "tokens, with a new token shown");

  // The curl of the example works, and sees only the token's site.
  const listed = await page.request.get("/api/v1/sites", { headers: { authorization: `Bearer ${token}`, cookie: "" } });
  expect(listed.ok()).toBe(true);
  expect(((await listed.json()) as { items: { slug: string }[] }).items.map((s) => s.slug)).toEqual([site]);

  await created.getByTestId("shown-once-done").click();
  await page.reload();
  expect(await page.content()).not.toContain(token);
  const tokenRow = page.getByTestId(`token-${tokenName}`);
  await expect(tokenRow).toContainText(`${token.slice(0, 12)}…`);
  await expect(tokenRow).toContainText(site);
  await expect(tokenRow).toContainText("operator");
  await expect(tokenRow.getByTestId("token-state")).toHaveAttribute("data-state", "active");
  await expect(tokenRow).not.toContainText("never used"); // it was just used: "just now"

  await tokenRow.getByRole("button", { name: `Revoke the token ${tokenName}` }).click();
  await confirm(page, `Revoke the token “${tokenName}”`);
  await expect(tokenRow.getByTestId("token-state")).toHaveAttribute("data-state", "revoked");
  const after = await page.request.get("/api/v1/sites", { headers: { authorization: `Bearer ${token}`, cookie: "" } });
  expect(after.status()).toBe(401);
  await shot(page, "45-token-revoked");
  await expectAccessible(page, "tokens");

  // --- Audit log ---------------------------------------------------------------------------------------
  // Enough failed sign-ins of one name to need a second page.
  for (let i = 0; i < 55; i++) await page.request.post("/api/auth/sign-in/username", { data: { username: `nobody-${suffix}`, password: "wrong-password-123" } });

  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await page.getByTestId("filter-action").selectOption("user.");
  await expect(page).toHaveURL(/action=user\./);
  const rows = page.getByTestId("audit-row");
  const created1 = rows.filter({ hasText: jane }).and(page.locator('[data-action="user.created"]'));
  await expect(created1).toHaveCount(1);
  await expect(created1).toContainText("is admin");
  for (const a of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))) expect(a).toMatch(/^user\./);
  // Changes read as "old → new", not JSON.
  const promoted = rows.filter({ hasText: jane }).filter({ hasText: "is admin" }).and(page.locator('[data-action="user.updated"]')).first();
  await expect(promoted).toBeVisible();
  await expect(page.getByTestId("audit-table")).not.toContainText("{");

  await page.getByTestId("filter-action").selectOption("");
  await page.getByTestId("filter-text").fill(jane);
  await expect(page).toHaveURL(new RegExp(`text=${jane}`));
  await expect(rows.and(page.locator('[data-action="role.changed"]'))).toHaveCount(2);
  await expect(rows.and(page.locator('[data-action="role.changed"]')).first()).toContainText("approver");
  await shot(page, "46-audit-filtered");
  await expectAccessible(page, "the audit log");

  await page.getByTestId("filter-text").fill(tokenName);
  await page.getByTestId("filter-action").selectOption("token.");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute("data-action", "token.revoked");
  await expect(rows.nth(1)).toHaveAttribute("data-action", "token.created");
  await expect(rows.nth(1)).toContainText("operator");
  await expect(rows.nth(1)).toContainText(token.slice(0, 12));

  // A shared link opens the same view.
  await page.goto(`/audit?actor=nobody-${suffix}`);
  await expect(page.getByTestId("filter-actor")).toHaveValue(`nobody-${suffix}`);
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toHaveAttribute("data-action", "login.failed");
  await page.getByTestId("load-more").click();
  await expect(rows).toHaveCount(55);
  await expect(page.getByTestId("load-more")).toHaveCount(0);
  // Newest first, absolute time on hover.
  const times = await rows.locator("time").evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute("datetime") ?? "")));
  expect([...times].sort((a, b) => b - a)).toEqual(times);
  await expect(rows.first().locator("time")).toHaveAttribute("title", /\d/);
  await shot(page, "47-audit-paged");

  // A time range in the past has nothing.
  await page.getByTestId("filter-to").fill("2001-01-01T00:00");
  await expect(page.getByText("Nothing matches these filters.")).toBeVisible();
});

test("the admin pages are keyboard reachable and refuse non-admins plainly", async ({ page, browser, baseURL }) => {
  await page.goto("/admin/users");
  // Tab from the top reaches the new-user form's first field.
  await expect(page.getByLabel("User name")).toBeVisible();
  for (let i = 0; i < 25 && !(await page.getByLabel("User name").evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
  await expect(page.getByLabel("User name")).toBeFocused();

  // The dark theme (the viewer's system preference).
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/audit?action=user.");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await shot(page, "48a-audit-dark");
  await page.goto(`/sites/${site}/members`);
  await expect(page.getByTestId("members-table")).toBeVisible();
  await expect(page.getByTestId("approvals-required")).toBeVisible();
  await shot(page, "48b-members-dark");
  // A confirmation in the dark theme: Tab stays inside it, and Escape gives the focus back to the row's button.
  const remove = page.getByTestId("members-table").getByRole("button", { name: /^Remove .+ from this site$/ }).first();
  await remove.click();
  const dialog = page.getByRole("alertdialog");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByTestId("confirm-ok")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await shot(page, "48c-confirm-dark");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(remove).toBeFocused();

  // A user who is not a server admin.
  const viewer = `vic-${suffix}`;
  const { id } = await trpc<{ id: string }>(page.request, "users.create", { username: viewer, password: "e2e-user-password" });
  await trpc(page.request, "members.set", { slug: site, userId: id, role: "viewer" });
  const context = await browser.newContext({ baseURL });
  const other = await context.newPage();
  await apiLogin(other.request, viewer, "e2e-user-password");
  await other.goto("/admin/users");
  await expect(other.getByRole("heading", { name: "This page is for server admins" })).toBeVisible();
  await other.goto(`/sites/${site}/members`);
  await expect(other.getByText("Only the site's admins manage members")).toBeVisible();
  await other.goto("/tokens");
  // A viewer may make a viewer token only.
  await other.getByTestId("token-site").selectOption(site);
  await expect(other.getByTestId("pick-role-operator")).toBeDisabled();
  await expect(other.getByTestId("pick-role-viewer")).toBeChecked();
  await shot(other, "48-tokens-viewer");
  await expectAccessible(other, "tokens, as a viewer");
  await context.close();
});

test("an admin makes a kiosk board and its token, edits it and deletes it", async ({ page, browser, baseURL }) => {
  const board = `wall-${suffix}`;
  await page.goto("/admin/boards");
  await expect(page.getByRole("heading", { name: "Kiosk boards", level: 1 })).toBeVisible();
  const form = page.getByTestId("board-form");
  await form.getByTestId("board-slug").fill(board);
  await form.getByTestId("board-title").fill("Lab wall");
  await expect(form.getByTestId("board-save")).toBeDisabled(); // no site yet
  await form.getByTestId(`board-site-${site}`).check();
  await form.getByTestId("board-save").click();
  const card = page.getByTestId(`board-${board}`);
  await expect(card).toContainText("Lab wall");
  await expect(card).toContainText(site);

  // A kiosk token: the full kiosk URL, shown once.
  await card.getByTestId(`kiosk-token-name-${board}`).fill("Lab TV");
  await card.getByTestId(`kiosk-token-create-${board}`).click();
  const shown = page.getByTestId("kiosk-url");
  await expect(shown.getByTestId("shown-once")).toBeVisible();
  const url = await shown.getByTestId("secret-value").inputValue();
  expect(url).toMatch(new RegExp(`^${baseURL}/kiosk/${board}#token=fdk_[A-Za-z0-9_-]{43}$`));
  await expect(card.getByTestId(`board-tokens-${board}`)).toContainText("Lab TV");
  await shot(page, "49-admin-board-url");
  await expectAccessible(page, "kiosk boards, with a kiosk URL shown");
  await shown.getByTestId("shown-once-done").click();
  await card.scrollIntoViewIfNeeded();
  await shot(page, "49b-admin-board-card");
  await expectAccessible(page, "kiosk boards");

  // The URL opens the board on a screen with no session.
  const screen = await browser.newContext();
  const tv = await screen.newPage();
  await tv.goto(url);
  await expect(tv.getByTestId("kiosk-title")).toHaveText("Lab wall");

  // Edit the title: the screen shows it at its next look at the board.
  await card.getByRole("button", { name: `Edit board ${board}` }).click();
  await expect(form.getByTestId("board-slug")).toBeDisabled();
  await form.getByTestId("board-title").fill("Lab wall (east)");
  await form.getByTestId("board-save").click();
  await expect(card).toContainText("Lab wall (east)");
  await tv.reload();
  await expect(tv.getByTestId("kiosk-title")).toHaveText("Lab wall (east)");

  // Delete: the screen's token dies with the board.
  await card.getByRole("button", { name: `Delete board ${board}` }).click();
  await confirm(page, `Delete the board ${board}`);
  await expect(card).toHaveCount(0);
  await tv.reload();
  await expect(tv.getByTestId("kiosk-denied")).toBeVisible();
  await screen.close();
});
