import { expect, test } from "@playwright/test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFleet, type Fleet } from "../test/fleet/fleet";
import { login, trpc } from "./auth";
import { forbidExternalRequests, shot } from "./helpers";
import { expectAccessible } from "./axe";

let fleet: Fleet;
let dir: string;

test.beforeAll(async () => {
  fleet = await startFleet({ hosts: 4, namePrefix: "web-" });
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-run-"));
  mkdirSync(join(dir, "site"));
  const hosts = fleet.hosts.map((h) => `  - {name: ${h.name}, labels: {role: web}, connection: {address: ${h.address}, port: ${h.port}}}`).join("\n");
  writeFileSync(
    join(dir, "site", "site.yml"),
    `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts}
  groups:
  - {name: all, connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: web.setup
  steps:
  - {name: prepare, action: cmd.run, params: {cmd: "echo preparing {{ host.name }}; sleep {{ '2' if host.name == 'web-3' else '0.3' }}"}}
  - {name: configure, action: cmd.run, params: {cmd: "printf '\\\\033[32mconfigured\\\\033[0m {{ host.name }}\\\\n'; echo 'a warning' >&2"}}
  - {name: verify, action: cmd.run, sync: true, params: {cmd: "echo verified"}}
---
kind: deployment
api_version: v1beta1
meta: {title: Web fleet setup}
spec:
  name: web
  stages: [{name: web, operations: [{blueprints: [web.setup], targets: [role=web], run_options: {serial: 2}}]}]
`,
  );
});

test.afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Signed in as the server admin. This spec is about running and watching: the test site runs without approval
// (approvals have their own spec).
test.beforeEach(async ({ page }) => login(page, "admin"));

test("launch a deployment from the browser and watch it run over SSH, live", async ({ page }) => {
  const noExternal = forbidExternalRequests(page);
  await trpc(page.request, "sites.importPath", { slug: "fleet", name: "Test fleet", path: join(dir, "site") });
  await trpc(page.request, "sites.settings", { slug: "fleet", approvalsRequired: 0 });

  await page.goto("/sites/fleet/deployments");
  await expect(page.getByTestId("deployment-web")).toContainText("Web fleet setup");
  await shot(page, "10-deployments");
  await expectAccessible(page, "deployments");
  await page.getByTestId("launch-web").click();
  await expect(page.getByTestId("launch-dialog")).toContainText("This site runs without approval");
  await page.getByTestId("dialog-submit").click();
  await expect(page).toHaveURL(/\/sites\/fleet\/runs\/\d+$/);

  // Chips change live: web-3 (second batch, a 2 s step) is seen running, then every chip is done.
  const chip = (host: string, step: string) => page.getByTestId(`chip-${host}-${step}`);
  await expect(chip("web-3", "prepare")).toHaveAttribute("data-status", "running");
  await expect(chip("web-1", "prepare")).toHaveAttribute("data-status", "changed");
  // Steps have finished: the ETA is an estimate in words, no longer "—".
  await expect(page.getByTestId("eta")).toHaveText(/^ETA (about \d+ (s|min)|under 1 s|overdue)$/);
  await shot(page, "11-run-live");
  await expectAccessible(page, "a running run");
  for (const h of fleet.hosts) {
    for (const step of ["prepare", "configure", "verify"]) await expect(chip(h.name, step)).toHaveAttribute("data-status", "changed");
  }
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("segment-changed")).toContainText("12");
  await expect(page.getByTestId("batch")).toContainText("2");

  // The host drawer on a step: its own URL, the log with ANSI colours rendered and stderr marked.
  await chip("web-2", "configure").click();
  await expect(page).toHaveURL(/\/runs\/\d+\/hosts\/web-2\/steps\/configure$/);
  const log = page.getByTestId("host-drawer").getByTestId("log-tail");
  await expect(log).toContainText("configured web-2");
  await expect(log).toContainText("a warning");
  await expect(log).not.toContainText("[32m");
  // The escape codes became a coloured span: its colour differs from the log's own.
  const green = log.getByText("configured", { exact: true });
  const colour = (el: Element) => getComputedStyle(el).color;
  expect(await green.evaluate(colour)).not.toBe(await log.evaluate(colour));
  await shot(page, "12-run-drawer");
  await expectAccessible(page, "a finished run with a host's drawer");

  // The URL alone opens exactly that place.
  const url = page.url();
  const other = await page.context().newPage();
  await other.goto(url);
  await expect(other.getByTestId("host-drawer").getByTestId("log-tail")).toContainText("configured web-2");
  await other.close();
  noExternal();
});

test("a host that is down is shown unreachable, not failed; re-run targets only it", async ({ page }) => {
  await fleet.stopHost(2);
  try {
    const { id } = await trpc<{ id: number }>(page.request, "runs.launch", { slug: "fleet", deployment: "web", reason: "" });
    await page.goto(`/sites/fleet/runs/${id}`);
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "failed");
    await expect(page.getByTestId("chip-web-3-prepare")).toHaveAttribute("data-status", "unreachable");
    await expect(page.getByTestId("segment-unreachable")).toContainText("1");
    await expect(page.getByTestId("segment-failed")).toContainText("0");
    await shot(page, "13-run-unreachable");
    await expectAccessible(page, "a failed run with an unreachable host");
  } finally {
    await fleet.startHost(2);
  }
  await page.getByTestId("rerun-failed").click();
  await page.getByTestId("dialog-submit").click();
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  await expect(page.getByTestId("host-row-web-3")).toBeVisible();
  await expect(page.getByTestId("host-row-web-1")).toHaveCount(0);
});
