import { expect, test } from "@playwright/test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

const SLUG = "scheduled";

/** A site whose schedule fires every second (so the server's 15 s loop fires it at once) into a window that is shut until New Year. */
const SITE = {
  "inventory.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: web-1}, {name: web-2}]\n  groups: [{name: all, connection: {transport: local}}]\n",
  "deploy.yml": `kind: blueprint
api_version: v1beta1
spec: {name: patch, steps: [{name: update, action: cmd.run, params: {cmd: "echo patched"}}]}
---
kind: deployment
api_version: v1beta1
spec: {name: patch, stages: [{name: all, operations: [{blueprints: [patch], targets: [all], run_options: {serial: 1}}]}]}
---
kind: deployment
api_version: v1beta1
spec: {name: other, stages: [{name: all, operations: [{blueprints: [patch], targets: [web-2]}]}]}
`,
  "schedules.yml": `kind: schedule
api_version: v1beta1
spec: {name: often, cron: "* * * * * *", deployment: patch, reason: "e2e: every second"}
---
kind: schedule
api_version: v1beta1
spec: {name: nightly, cron: "0 3 * * 1-5", timezone: Europe/Paris, deployment: patch, targets: [web-1]}
---
kind: maintenance_window
api_version: v1beta1
spec:
  name: new-year
  cron: "0 0 1 1 *"
  duration: 2h
  timezone: Europe/Paris
  blackout: ["2026-12-24..2026-12-26"]
---
kind: maintenance_window
api_version: v1beta1
spec:
  name: weeknights
  weekly: [{days: [mon, tue, wed, thu, fri], start: "22:00", end: "05:00"}]
  applies_to: {deployments: [other]}
  on_close: continue
`,
};

test("schedules: the Schedules tab shows next fires, windows and held runs; a run approved outside its window waits scheduled with a countdown", async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-schedules-"));
  try {
    for (const [path, content] of Object.entries(SITE)) writeFileSync(join(dir, path), content);
    await login(page, "admin");
    await trpc(page.request, "sites.importPath", { slug: SLUG, name: "Scheduled", path: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await trpc(page.request, "sites.localExecution", { slug: SLUG, enabled: true });
  await trpc(page.request, "sites.settings", { slug: SLUG, approvalsRequired: 0 });

  await page.goto(`/sites/${SLUG}/schedules`);
  await expect(page.getByRole("heading", { name: "Schedules", level: 1 })).toBeVisible();
  const nightly = page.getByTestId("schedule-nightly");
  await expect(nightly).toContainText("0 3 * * 1-5");
  await expect(nightly).toContainText("Europe/Paris");
  await expect(nightly.locator("ol.times li")).toHaveCount(3);
  await expect(page.getByTestId("window-new-year").getByTestId("window-state")).toContainText("closed");
  await expect(page.getByTestId("window-weeknights")).toContainText("deployments other");
  // The server's scheduler fires `often` within its 15 s tick; the run waits for its window.
  const held = page.getByTestId("held-runs");
  await expect(held).toBeVisible({ timeout: 30_000 });
  await expect(held.getByTestId("scheduled-for").first()).toContainText(/window opens in \d+ d/);
  await expect(page.getByTestId("schedule-often").getByRole("link", { name: /^#\d+$/ }).first()).toBeVisible();
  await shot(page, "90-schedules-tab");
  await expectAccessible(page, "the Schedules tab");
  await page.locator('button[aria-label="Switch to the dark theme"]').first().dispatchEvent("click");
  await shot(page, "91-schedules-tab-dark");
  await page.locator('button[aria-label="Switch to the light theme"]').first().dispatchEvent("click");

  // The fired run: requested by the schedule, scheduled, with the window's opening as a countdown.
  await page.getByTestId("schedule-often").getByRole("link", { name: /^#\d+$/ }).first().click();
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "scheduled");
  await expect(page.getByText("schedule:often").first()).toBeVisible();
  await expect(page.getByTestId("scheduled-for")).toContainText(/window opens in/);
  await shot(page, "92-run-scheduled");

  await page.goto(`/sites/${SLUG}/runs?status=scheduled`);
  await expect(page.getByTestId("runs-table").getByTestId("scheduled-for").first()).toBeVisible();
  await shot(page, "93-runs-scheduled");
  await expectAccessible(page, "runs waiting for their window");
});

test("schedules: a wrong cron and a window that never opens are lint errors at their line", async ({ page }) => {
  await login(page, "admin");
  const { revision } = await trpc<{ revision: number }>(page.request, "files.list", { slug: SLUG }, "query");
  const bad = SITE["schedules.yml"].replace(`cron: "0 3 * * 1-5"`, `cron: "0 25 * * 1-5"`).replace(`blackout: ["2026-12-24..2026-12-26"]`, `blackout: ["2026-01-01..2028-12-31"]`);
  await trpc(page.request, "files.save", { slug: SLUG, baseRevision: revision, message: "break the schedules", changes: [{ path: "schedules.yml", content: bad }] });
  await page.goto(`/sites/${SLUG}/files/schedules.yml`);
  const problems = page.getByLabel("Problems");
  await expect(problems).toContainText("cron '0 25 * * 1-5': Invalid value for hour: 25");
  await expect(problems).toContainText("maintenance window 'new-year' never opens in the next 366 days (its blackout dates included)");
  await shot(page, "94-schedules-lint");
});
