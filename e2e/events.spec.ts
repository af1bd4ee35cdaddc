import { expect, test, type Page } from "@playwright/test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

const SLUG = "eventful";

/** Two local hosts, a cleanup deployment, and a reaction to DiskFull alerts that reacts once per 10 minutes per host. */
const SITE = {
  "inventory.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: web-1}, {name: web-2}]\n  groups: [{name: all, connection: {transport: local}}]\n",
  "cleanup.yml": `kind: blueprint
api_version: v1beta1
spec: {name: cleanup, steps: [{name: clean, action: cmd.run, params: {cmd: "echo cleaned"}}]}
---
kind: deployment
api_version: v1beta1
spec: {name: cleanup, stages: [{name: all, operations: [{blueprints: [cleanup], targets: [all]}]}]}
`,
  "reactions.yml": `kind: reaction
api_version: v1beta1
spec:
  name: disk-full-cleanup
  on: {event: "alertmanager/DiskFull", labels: {severity: critical}}
  when: "event.occurrences >= 1"
  limit: {re_react_delay: 10m}
  run: {deployment: cleanup, targets_from_label: instance}
`,
};

function alert(instance: string) {
  return {
    version: "4",
    status: "firing",
    receiver: "flightdeck",
    groupKey: "{}:{alertname=\"DiskFull\"}",
    groupLabels: { alertname: "DiskFull" },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.example:9093",
    alerts: [{ status: "firing", labels: { alertname: "DiskFull", instance, severity: "critical" }, annotations: { summary: `/var is 97% full on ${instance}` }, startsAt: "2026-12-02T10:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "http://prometheus.example/graph", fingerprint: "3f2a9c" }],
  };
}

async function send(page: Page, path: string, data: unknown, headers: Record<string, string> = {}) {
  const res = await page.request.post(`/api/v1/sites/${SLUG}/events${path}`, { data, headers });
  expect(res.status(), await res.text()).toBe(200);
}

test("events: the Events page lists events live with what they caused, a run link, a held countdown, and the event's data", async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-events-"));
  try {
    for (const [path, content] of Object.entries(SITE)) writeFileSync(join(dir, path), content);
    await login(page, "admin");
    await trpc(page.request, "sites.importPath", { slug: SLUG, name: "Eventful", path: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await trpc(page.request, "sites.localExecution", { slug: SLUG, enabled: true });
  await trpc(page.request, "events.updateSettings", { slug: SLUG, github: { branch: "main", deployment: "cleanup" } });

  await page.goto(`/sites/${SLUG}/events`);
  await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
  await expect(page.getByTestId("tab-events")).toHaveAttribute("aria-current", "page");
  await expect(page.getByTestId("no-events")).toBeVisible();
  await shot(page, "95-events-empty");

  // Each event arrives while the page is open: the socket brings it, no reload.
  const rows = page.getByTestId("events-table").locator("tbody tr");
  await send(page, "/alertmanager", alert("web-1:9100"));
  await expect(rows).toHaveCount(1);
  const first = rows.first();
  await expect(first).toContainText("alertmanager/DiskFull");
  await expect(first).toContainText("instance=web-1:9100");
  await expect(first.getByTestId("event-outcome")).toContainText("disk-full-cleanup");
  await expect(first.getByTestId("event-outcome")).toContainText("fired");
  await expect(first.getByTestId("outcome-run")).toHaveText(/run #\d+/);

  await send(page, "/alertmanager", alert("web-1:9100"));
  await expect(rows).toHaveCount(2);
  const held = rows.first().getByTestId("event-outcome");
  await expect(held).toContainText("held");
  await expect(held.getByTestId("countdown")).toHaveText(/^(10m 0s|9m \d+s)$/);

  await send(page, "", { name: "deploy/requested", labels: { env: "prod", team: "platform" }, data: { ticket: "OPS-1234", requested: ["web-1", "web-2"] } });
  await send(
    page,
    "/github",
    { ref: "refs/heads/main", before: "0".repeat(40), after: "9fceb02d0ae598e95dc970b74767f19372d61af8", repository: { full_name: "acme/infra" }, pusher: { name: "octo" }, commits: [{}], head_commit: { id: "9fceb02d0ae598e95dc970b74767f19372d61af8", message: "Raise /var on web", url: "https://github.com/acme/infra/commit/9fceb02" } },
    { "x-github-event": "push" },
  );
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toContainText("github/push");
  await expect(rows.first().getByTestId("event-outcome")).toContainText("GitHub tracked branch");
  await expect(rows.first().getByTestId("outcome-run")).toBeVisible();
  await expect(rows.nth(1)).toContainText("from admin");
  await expect(rows.nth(1).getByTestId("event-outcome")).toContainText("no reaction matched");

  // The oldest alert's detail: labels, outcome with the run, and its data.
  await rows.nth(3).getByRole("button", { name: "alertmanager/DiskFull" }).click();
  const detail = page.getByTestId("event-detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId("event-data")).toContainText('"summary": "/var is 97% full on web-1:9100"');
  await expect(detail.getByTestId("outcome-run")).toBeVisible();
  await shot(page, "96-events-live");
  await expectAccessible(page, "the Events page");
  await page.locator('button[aria-label="Switch to the dark theme"]').first().dispatchEvent("click");
  await shot(page, "97-events-live-dark");
  await page.locator('button[aria-label="Switch to the light theme"]').first().dispatchEvent("click");

  // The run link leads to the run the reaction requested.
  const runLink = detail.getByTestId("outcome-run");
  const runText = (await runLink.textContent()) ?? "";
  await runLink.click();
  await expect(page).toHaveURL(new RegExp(`/sites/${SLUG}/runs/${runText.replace("run #", "")}`));
  await page.goBack();

  // Intake settings (site admins): the webhook secret is shown once.
  await page.getByTestId("event-settings").locator("summary").click();
  await page.getByTestId("rotate-secret").click();
  await expect(page.getByTestId("secret-once")).toContainText(/fdwh_[A-Za-z0-9_-]{43}/);
  await expect(page.getByTestId("rotate-secret")).toHaveText("Rotate the webhook secret");
  await shot(page, "98-events-settings");
  await expectAccessible(page, "the Events page's intake settings");
});
