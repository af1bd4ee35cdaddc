import { expect, test } from "@playwright/test";
import { ADMIN, apiLogin, ensureUser, login, signedIn, trpc } from "./auth";
import { shot } from "./helpers";
import { expectAccessible } from "./axe";

test("secrets: set a value, see it masked, reveal it on request, change history names only the key", async ({ page }) => {
  const value = `s3cr3t-${Date.now()}`;
  // A site admin (the server admin is one on every site): only they may reveal a value.
  await login(page, "admin");
  await page.goto("/sites/ha-kvm/secrets");
  await expect(page.getByRole("heading", { name: "Secrets" })).toBeVisible();
  const form = page.locator("form", { hasText: "Add a secret" });
  await form.getByLabel("Key").fill("db.password");
  await form.getByLabel("Value").fill(value);
  await form.getByRole("button", { name: "Save" }).click();

  const row = page.locator('tr[data-key="db.password"]');
  await expect(row).toContainText("••••••••");
  await expect(row).not.toContainText(value);
  // Nothing on the page or in what the server sent holds the value before it is revealed.
  expect(await page.content()).not.toContain(value);
  await shot(page, "14-secrets-masked");
  await expectAccessible(page, "secrets");

  await row.getByRole("button", { name: "Reveal" }).click();
  await expect(row).toContainText(value);
  await shot(page, "15-secrets-revealed");
  await row.getByRole("button", { name: "Hide" }).click();
  await expect(row).not.toContainText(value);

  // The revision names the key; the stored file keeps the key readable and the value encrypted.
  await page.getByRole("link", { name: "History" }).click();
  await expect(page.getByRole("link", { name: /Set secret db\.password/ })).toBeVisible();
  const diff = page.getByTestId("diff-editor");
  await expect(diff.locator(".modified .view-line", { hasText: "password: ENC[AES256_GCM," }).first()).toBeVisible();
  expect(await page.content()).not.toContain(value);
});

test("secrets by role: operators set values but cannot reveal them, viewers read key names only", async ({ browser, request }) => {
  await apiLogin(request, "admin", ADMIN.password);
  await ensureUser(request, "sec.operator", "ha-kvm", "operator");
  await ensureUser(request, "sec.viewer", "ha-kvm", "viewer");
  const { revision } = await trpc<{ revision: number }>(request, "secrets.list", { slug: "ha-kvm" }, "query");
  await trpc(request, "secrets.set", { slug: "ha-kvm", baseRevision: revision, key: "role.check", value: "not for viewers" });

  const operator = await signedIn(browser, "sec.operator");
  await operator.page.goto("/sites/ha-kvm/secrets");
  const row = operator.page.locator('tr[data-key="role.check"]');
  await expect(row.getByRole("button", { name: "Change" })).toBeVisible();
  await expect(row.getByRole("button", { name: "Reveal" })).toHaveCount(0);
  await expect(operator.page.getByText("only a site admin can reveal one")).toBeVisible();
  await expect(operator.page.getByRole("heading", { name: "Add a secret" })).toBeVisible();
  await operator.context.close();

  const viewer = await signedIn(browser, "sec.viewer");
  await viewer.page.goto("/sites/ha-kvm/secrets");
  await expect(viewer.page.locator('tr[data-key="role.check"]')).toContainText("••••••••");
  await expect(viewer.page.getByRole("button", { name: /Reveal|Change|Remove/ })).toHaveCount(0);
  await expect(viewer.page.getByRole("heading", { name: "Add a secret" })).toHaveCount(0);
  await shot(viewer.page, "16-secrets-viewer");
  await expectAccessible(viewer.page, "secrets, as a viewer");
  await viewer.context.close();
});
