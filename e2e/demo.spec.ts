import { expect, test } from "@playwright/test";
import { login } from "./auth";
import { shot } from "./helpers";
import { expectAccessible } from "./axe";

// A newcomer, signed in as the only user, runs the demo: it needs no approval (nobody approves their own run),
// its Deployments page says so, and its local steps run in the sandbox to the end.
test("the first user launches the demo and it runs to the end", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/sites/ha-kvm/deployments");
  const note = page.getByTestId("no-approval-note");
  await expect(note).toContainText("requires no approval");
  await expect(note.getByRole("link", { name: "Members" })).toHaveAttribute("href", "/sites/ha-kvm/members");
  await expect(page.getByTestId("deployment-ha-maas")).toBeVisible();
  await shot(page, "05-demo-deployments");
  await expectAccessible(page, "the demo's deployments");
  await page.getByTestId("launch-ha-maas").click();
  await page.getByTestId("dialog-submit").click();
  await expect(page).toHaveURL(/\/sites\/ha-kvm\/runs\/\d+$/);
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 });
  await shot(page, "06-demo-run");
  await expectAccessible(page, "the demo's run, finished");
});
