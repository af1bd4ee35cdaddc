/**
 * Growing past one machine, in a browser: two web replicas of the production build and a run worker on one
 * PostgreSQL database (test/support/cluster.ts; Debian's PostgreSQL started by the test support). A run
 * requested in a browser on replica A is watched live in another browser on replica B: B's runs list hears of
 * it, B's run page shows its chips change as the worker stores events, and both pages end on the same result.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { CLUSTER_ADMIN_PASSWORD, startCluster, type Cluster } from "../test/support/cluster";
import { localSiteYaml } from "../test/support/cluster-site";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shot } from "./helpers";

let cluster: Cluster;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  cluster = await startCluster({ web: 2, workers: 1 });
});
test.afterAll(async () => {
  await cluster?.close();
});

/** A browser of its own signed in on one replica (its base URL): the login form, as a person signs in. */
async function onReplica(browser: Browser, base: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(CLUSTER_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login/);
  return page;
}

async function trpc(page: Page, path: string, input: unknown) {
  const res = await page.request.post(`/api/trpc/${path}`, { data: input });
  expect(res.ok(), `${path}: ${res.status()} ${await res.text()}`).toBeTruthy();
}

test("a run requested on replica A is watched live on replica B", async ({ browser }) => {
  test.setTimeout(120_000);
  const [a, b] = [cluster.web[0]!.url!, cluster.web[1]!.url!];
  const pageA = await onReplica(browser, a);
  const pageB = await onReplica(browser, b);

  // 6 hosts x 3 steps of 2 s: about 6 s of chips changing, time for B to open the run while it goes on.
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-cluster-"));
  try {
    writeFileSync(join(dir, "site.yml"), localSiteYaml(6, 3, "sleep 2"));
    await trpc(pageA, "sites.importPath", { slug: "wide", name: "Wide fleet", path: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await trpc(pageA, "sites.localExecution", { slug: "wide", enabled: true });
  await trpc(pageA, "sites.settings", { slug: "wide", approvalsRequired: 0 });

  // B shows the site's runs before there is one: the run must come to it live.
  await pageB.goto("/sites/wide/runs");
  await expect(pageB.getByTestId("runs-table").or(pageB.getByText(/no runs/i)).first()).toBeVisible();

  await pageA.goto("/sites/wide/deployments");
  await pageA.getByTestId("launch-steps").click();
  await pageA.getByTestId("dialog-submit").click();
  await expect(pageA).toHaveURL(/\/sites\/wide\/runs\/\d+$/);
  const id = Number(/\/runs\/(\d+)$/.exec(pageA.url())![1]);

  // B's list hears of it (site.runs from replica A, through PostgreSQL), and B follows it from there.
  const row = pageB.getByTestId(`run-row-${id}`);
  await expect(row).toBeVisible();
  await row.getByRole("link", { name: `#${id}`, exact: true }).first().click();
  await expect(pageB).toHaveURL(new RegExp(`/sites/wide/runs/${id}$`));

  // Chips change on B while the run goes on: seen running, then done, then the run's end.
  const chip = (page: Page, host: string, step: string) => page.getByTestId(`chip-${host}-${step}`);
  await expect(chip(pageB, "node-00005", "s03")).toHaveAttribute("data-status", "running", { timeout: 20_000 });
  await shot(pageB, "cluster-b-live");
  await expect(pageB.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: 60_000 });
  for (let h = 1; h <= 6; h++) for (const s of ["s01", "s02", "s03"]) await expect(chip(pageB, `node-${String(h).padStart(5, "0")}`, s)).toHaveAttribute("data-status", "changed");
  // A watched it too: the same end on both replicas.
  await expect(pageA.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  await shot(pageB, "cluster-b-done");

  // The replicas (--no-worker) only queued and showed it; the worker executed it.
  expect(cluster.workers[0]!.log()).not.toMatch(/\n\s+at .*\(/);
  for (const p of cluster.web) expect(p.log(), `${p.name}'s log`).not.toMatch(/PostgreSQL adapter\):|\n\s+at .*\(/);
});

test("one run at a time per site across the cluster: the second waits queued with its place, and raising 'Runs at once' on replica B starts it", async ({ browser }) => {
  test.setTimeout(120_000);
  const [a, b] = [cluster.web[0]!.url!, cluster.web[1]!.url!];
  const pageA = await onReplica(browser, a);
  const pageB = await onReplica(browser, b);
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-queue-"));
  try {
    // One host, one long step: the first run holds the site's only slot for as long as the test needs it.
    writeFileSync(join(dir, "site.yml"), localSiteYaml(1, 1, "sleep 60"));
    await trpc(pageA, "sites.importPath", { slug: "slow", name: "Slow site", path: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await trpc(pageA, "sites.localExecution", { slug: "slow", enabled: true });
  await trpc(pageA, "sites.settings", { slug: "slow", approvalsRequired: 0 });

  const launch = async () => {
    const res = await pageA.request.post("/api/trpc/runs.launch", { data: { slug: "slow", deployment: "steps" } });
    expect(res.ok(), await res.text()).toBeTruthy();
    return ((await res.json()) as { result: { data: { id: number } } }).result.data.id;
  };
  const first = await launch();
  const second = await launch();

  await pageB.goto("/sites/slow/runs");
  const status = (id: number) => pageB.getByTestId(`run-row-${id}`).locator(".run-status");
  await expect(status(first)).toHaveAttribute("data-status", "running", { timeout: 30_000 });
  await expect(status(second)).toHaveAttribute("data-status", "queued");
  await expect(pageB.getByTestId(`run-row-${second}`).getByTestId("queue-position")).toHaveText("next in line");
  await shot(pageB, "cluster-queued");

  // B raises the limit; the worker (another process) claims the waiting run while the first still runs.
  await pageB.goto("/sites/slow/members");
  await expect(pageB.getByTestId("parallel-runs")).toHaveValue("1");
  await pageB.getByTestId("parallel-runs").fill("2");
  await pageB.getByTestId("parallel-runs-save").click();
  await expect(pageB.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await shot(pageB, "cluster-runs-at-once");
  await pageB.goto("/sites/slow/runs");
  await expect(status(second)).toHaveAttribute("data-status", "running", { timeout: 30_000 });
  await expect(status(first)).toHaveAttribute("data-status", "running");

  // Cancelled from replica B: the worker stops both.
  for (const id of [first, second]) {
    const res = await pageB.request.post("/api/trpc/runs.cancel", { data: { id } });
    expect(res.ok(), await res.text()).toBeTruthy();
  }
  await expect(status(first)).toHaveAttribute("data-status", "cancelled", { timeout: 30_000 });
  await expect(status(second)).toHaveAttribute("data-status", "cancelled", { timeout: 30_000 });
});
