import { expect, test } from "@playwright/test";
import { shot } from "./helpers";

test("secrets: set a value, see it masked, reveal it on request, change history names only the key", async ({ page }) => {
  const value = `s3cr3t-${Date.now()}`;
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
