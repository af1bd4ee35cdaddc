import { expect, test } from "@playwright/test";
import { ADMIN, apiLogin } from "./auth";
import { expectAccessible } from "./axe";
import { forbidExternalRequests, shot } from "./helpers";

test("the API reference lists every operation of the OpenAPI document by tag, with fields and problem types, from our own bundle", async ({ page }) => {
  const noExternal = forbidExternalRequests(page);
  await apiLogin(page.request, ADMIN.username, ADMIN.password);
  const doc = (await (await page.request.get("/api/v1/openapi.json")).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
  const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));

  // Next's catch-all route answers what no procedure declares with a problem document.
  const missing = await page.request.get("/api/v1/no/such/thing");
  expect(missing.status()).toBe(404);
  expect(missing.headers()["content-type"]).toBe("application/problem+json");
  expect(((await missing.json()) as { type: string }).type).toBe("/api/docs#problem-not-found");

  await page.goto("/api/docs");
  await expect(page.getByRole("heading", { name: "Flightdeck API", level: 1 })).toBeVisible();
  // One card per operation, each naming its operationId.
  await expect(page.locator("section.api-op")).toHaveCount(ids.length);
  const launch = page.locator("#op-runs-launch");
  await expect(launch.getByRole("heading")).toContainText("POST/api/v1/sites/{slug}/runs");
  await expect(launch.getByRole("table", { name: "Body (JSON)" })).toContainText("deployment");
  await expect(launch.getByRole("table", { name: "Response 201" })).toContainText("revision");
  await shot(page, "api-docs");

  // An error status links to its problem type.
  await launch.getByRole("link", { name: "412" }).or(launch.getByRole("link", { name: "403" })).first().click();
  await expect(page.locator("#problems")).toContainText("/api/docs#problem-forbidden");
  await page.locator("#problem-precondition-failed").scrollIntoViewIfNeeded();
  await shot(page, "api-docs-problems");
  await expectAccessible(page, "api-docs");
  noExternal();
});
