import { expect, test, type Page } from "@playwright/test";
import { writeTgz } from "../server/store/archive";
import { zipBomb } from "../test/store/bombs";
import { login } from "./auth";
import { shot } from "./helpers";

const suffix = Date.now().toString(36).slice(-5);

/** The Sites page's import form, with `name` and an archive chosen. */
async function importArchive(page: Page, name: string, file: { name: string; buffer: Buffer }) {
  await page.goto("/");
  const form = page.locator("form", { has: page.getByRole("heading", { name: "Import a site" }) });
  await form.getByLabel("Name").fill(name);
  await form.getByLabel(/Archive/).setInputFiles({ ...file, mimeType: "application/octet-stream" });
  await form.getByRole("button", { name: "Import" }).click();
  return form;
}

test("an admin imports a .tgz from the Sites page; a zip bomb is refused with the limit, and no site appears", async ({ page }) => {
  await login(page, "admin");
  const tgz = writeTgz([{ path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n" }], new Date());
  await importArchive(page, `Imported ${suffix}`, { name: "lab.tgz", buffer: Buffer.from(tgz) });
  await expect(page).toHaveURL(new RegExp(`/sites/imported-${suffix}`));

  const form = await importArchive(page, `Bomb ${suffix}`, { name: "bomb.zip", buffer: Buffer.from(zipBomb()) });
  await expect(form.getByRole("alert")).toHaveText("bomb.zip expands to more than 64 MiB, the most an archive may expand to");
  await shot(page, "60-import-bomb-refused");
  await page.goto("/");
  await expect(page.getByText(`Imported ${suffix}`)).toBeVisible();
  await expect(page.getByText(`Bomb ${suffix}`)).toHaveCount(0);
});
