/**
 * MAAS provisioning from the browser: examples/maas-metal (five machines, install stage only) against the MAAS
 * simulator running as its own process. The plan preview maps hosts to machines; the run page shows each
 * machine's MAAS status live next to its chips; node-3's deployment fails with MAAS's reason, and its drawer
 * shows the MAAS events (ERROR lines on stderr).
 */
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FD_E2E_MAAS_KEY } from "../playwright.config";
import { login, trpc } from "./auth";
import { forbidExternalRequests, shot } from "./helpers";
import { expectAccessible } from "./axe";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FAULT = "curtin: failed to partition /dev/sda";
const HOSTS = [1, 2, 3, 4, 5].map((n) => `node-${n}`);

let sim: ChildProcess | undefined;
let dir: string;

/** Starts test/maas/serve.ts and resolves with its URL (the one JSON line it prints once listening). */
function startSimulator(config: unknown): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test", "maas", "serve.ts"), JSON.stringify(config)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, url: (JSON.parse(out.slice(0, nl)) as { url: string }).url });
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`the MAAS simulator exited (${code}) before listening: ${err}`)));
  });
}

test.beforeAll(async () => {
  const started = await startSimulator({
    machines: HOSTS.map((hostname, i) => ({ system_id: `node0${i + 1}`, hostname, pool: "compute", ...(hostname === "node-3" ? { deployFault: "fail", faultMessage: FAULT } : {}) })),
    keys: [{ key: FD_E2E_MAAS_KEY, username: "ops" }],
    pools: ["compute"],
    // Long enough to watch each machine go through Allocated and Deploying.
    timings: { deployMs: 3000 },
  });
  sim = started.child;
  // examples/maas-metal pointed at the simulator, polled often, without the configure stage (it needs machines
  // that really boot and answer SSH).
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-maas-"));
  cpSync(join(ROOT, "examples", "maas-metal"), dir, { recursive: true });
  const design = join(dir, "design.yml");
  writeFileSync(design, readFileSync(design, "utf8").replace("http://127.0.0.1:5240/MAAS", started.url).replace("poll_interval: 2s", "poll_interval: 300ms"));
  const deployment = join(dir, "deployment.yml");
  const text = readFileSync(deployment, "utf8");
  const withoutConfigure = text.replace(/ {2}- name: configure\n.*\n/, "");
  expect(withoutConfigure, "the configure stage was removed").not.toBe(text);
  writeFileSync(deployment, withoutConfigure);
});

test.afterAll(async () => {
  const child = sim;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid!, "SIGTERM");
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(async ({ page }) => login(page, "admin"));

test("deploy five machines through MAAS from the browser, watch their states live, read the failed one's events", async ({ page }) => {
  const noExternal = forbidExternalRequests(page);
  // Approval flows have their own spec: this site runs when asked.
  await trpc(page.request, "sites.importPath", { slug: "maas", name: "MAAS rack", path: dir });
  await trpc(page.request, "sites.settings", { slug: "maas", approvalsRequired: 0 });

  // The plan preview says which machine each host maps to.
  await page.goto("/sites/maas/deployments");
  const card = page.getByTestId("deployment-provision");
  const machines = card.getByTestId("plan-machines");
  await expect(machines).toBeVisible();
  await expect(machines.getByRole("row")).toHaveCount(1 + HOSTS.length);
  await expect(machines.getByTestId("plan-machine-node-1")).toContainText("node01");
  await expect(machines.getByTestId("plan-machine-node-5")).toContainText("node05");
  await expect(machines).toContainText("rack1");
  await expect(machines.getByRole("rowheader", { name: "node-3" })).toBeVisible();
  await shot(page, "60-maas-deployments");
  await expectAccessible(page, "deployments with a MAAS plan");

  await page.getByTestId("launch-provision").click();
  await page.getByTestId("dialog-submit").click();
  await expect(page).toHaveURL(/\/sites\/maas\/runs\/\d+$/);

  // Live: node-1's note follows MAAS (Deploying) while its chip runs, then the chip turns changed and the note goes.
  const chip = (host: string) => page.getByTestId(`chip-${host}-deploy`);
  const note = (host: string) => page.getByTestId(`host-note-${host}`);
  await expect(note("node-1")).toHaveText(/^deploy · Deploying$/);
  await expect(chip("node-1")).toHaveAttribute("data-status", "running");
  await expect(note("node-1")).toHaveAttribute("title", "deploy · Deploying");
  await shot(page, "61-maas-run-deploying");
  await expect(chip("node-1")).toHaveAttribute("data-status", "changed", { timeout: 30_000 });
  await expect(note("node-1")).toHaveCount(0);

  // node-3 fails with MAAS's reason; the others are deployed; unreachable is not involved.
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "failed", { timeout: 30_000 });
  for (const h of HOSTS) await expect(chip(h)).toHaveAttribute("data-status", h === "node-3" ? "failed" : "changed");
  await expect(page.getByTestId("host-row-node-3")).toHaveAttribute("data-status", "failed");
  await expect(note("node-3")).toHaveAttribute("data-tone", "failed");
  await expect(note("node-3")).toContainText("node-3 (node03)");
  await expect(note("node-3")).toContainText("Failed deployment");
  await expect(note("node-3")).toHaveAttribute("title", new RegExp(`^deploy · .*${FAULT}`));
  await expect(page.getByTestId("segment-failed")).toContainText("1");
  await expect(page.getByTestId("segment-changed")).toContainText("4");
  await shot(page, "62-maas-run-finished");
  await expectAccessible(page, "a finished MAAS run");

  // The tiles view says the same on hover and to screen readers.
  await page.getByTestId("tiles-mode").click();
  await expect(page.getByTestId("tile-node-3")).toHaveAttribute("title", new RegExp(FAULT.replace("/", "\\/")));
  await expect(page.getByTestId("tile-node-3")).toHaveAttribute("aria-label", /^node-3: failed — deploy · machine node-3 \(node03\)/);
  await page.getByRole("button", { name: /Rows/ }).click();

  // node-3's drawer, opened from the keyboard: MAAS's reason in full, the events, ERROR lines on stderr.
  await page.getByTestId("host-row-node-3").getByRole("link", { name: /node-3/ }).first().focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/runs\/\d+\/hosts\/node-3$/);
  const drawer = page.getByTestId("host-drawer");
  await expect(drawer.getByTestId("drawer-machine")).toContainText("node03");
  await expect(drawer.getByTestId("drawer-step-message-deploy")).toContainText(`went to 'Failed deployment': ${FAULT}`);
  await drawer.getByRole("link", { name: "deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/runs\/\d+\/hosts\/node-3\/steps\/deploy$/);
  const log = drawer.getByTestId("log-tail");
  await expect(log).toContainText("node-3 (node03): Deploying -> Failed deployment");
  await expect(log).toContainText(`ERROR Node installation failure: ${FAULT}`);
  const errors = log.locator(".ll.err");
  await expect(errors.filter({ hasText: `ERROR Marking node failed: ${FAULT}` }).first()).toBeVisible();
  await expect(log.locator(".ll:not(.err)").filter({ hasText: "INFO Deploying" }).first()).toBeVisible();
  // The level of a MAAS event is styled (the text is MAAS's own).
  await expect(errors.locator(".mx-lvl.mx-error").first()).toHaveText("ERROR");
  await shot(page, "63-maas-failed-drawer");
  await expectAccessible(page, "a MAAS host's drawer");
  await page.getByRole("button", { name: "Switch to the dark theme" }).click();
  await shot(page, "64-maas-failed-drawer-dark");
  noExternal();
});
