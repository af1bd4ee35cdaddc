import { expect, request as playwrightRequest, test, type APIRequestContext, type Page, type WebSocketRoute } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, apiLogin, trpc } from "./auth";
import { shot } from "./helpers";
import { expectAccessible } from "./axe";

/**
 * A wall screen: a board and its kiosk token made through the API, the board opened in a context with no
 * session, runs followed to the end, rotation between active runs, a dropped socket, a server restart.
 */
const BOARD = "ops-wall";
const SITE = "kiosk-lab";
let dir: string;

const SITE_YAML = `kind: inventory
api_version: v1beta1
spec:
  hosts: [{name: web-1}, {name: web-2}, {name: web-3}, {name: db-1}]
  groups: [{name: all, connection: {transport: local}}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: setup
  steps:
  - {name: prepare, action: cmd.run, params: {cmd: "sleep 1"}}
  - {name: configure, action: cmd.run, params: {cmd: "sleep 1.5"}}
  - {name: verify, action: cmd.run, params: {cmd: "sleep 0.5"}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: long
  steps:
  - {name: check, action: cmd.run, params: {cmd: "sleep 1; test {{ host.name }} != db-1"}}
  - {name: soak, action: cmd.run, params: {cmd: "sleep 40"}}
---
kind: deployment
api_version: v1beta1
meta: {title: Web rollout}
spec:
  name: web
  stages: [{name: rollout, operations: [{blueprints: [setup], targets: [all], run_options: {serial: 2}}]}]
---
kind: deployment
api_version: v1beta1
meta: {title: Nightly soak test}
spec:
  name: soak
  stages: [{name: soak, operations: [{blueprints: [long], targets: [all]}]}]
`;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-kiosk-"));
  mkdirSync(join(dir, "site"));
  writeFileSync(join(dir, "site", "site.yml"), SITE_YAML);
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** As admin: the runnable site (no approvals), a board showing it, and a kiosk token for the board. */
async function setUp(request: APIRequestContext, board = BOARD): Promise<string> {
  await apiLogin(request, ADMIN.username, ADMIN.password);
  await trpc(request, "sites.importPath", { slug: SITE, name: "Kiosk lab", path: join(dir, "site") });
  await trpc(request, "sites.localExecution", { slug: SITE, enabled: true });
  await trpc(request, "sites.settings", { slug: SITE, approvalsRequired: 0 });
  await trpc(request, "boards.save", { slug: board, title: "Operations wall", sites: [SITE] });
  return (await trpc<{ token: string }>(request, "tokens.createKiosk", { name: `${board} TV`, board })).token;
}

const launch = async (request: APIRequestContext, deployment: string) => (await trpc<{ id: number }>(request, "runs.launch", { slug: SITE, deployment, reason: "e2e" })).id;

async function noScrollbars(page: Page) {
  const overflow = await page.evaluate(() => {
    const k = document.querySelector<HTMLElement>('[data-testid="kiosk"]')!;
    const main = document.querySelector<HTMLElement>(".k-main, .k-center");
    return {
      page: document.documentElement.scrollHeight - window.innerHeight,
      pageX: document.documentElement.scrollWidth - window.innerWidth,
      kiosk: k.scrollHeight - k.clientHeight,
      // Nothing cut off inside either.
      main: main ? Math.max(0, main.scrollHeight - main.clientHeight) : 0,
    };
  });
  expect(overflow).toEqual({ page: 0, pageX: 0, kiosk: 0, main: 0 });
}

test("a kiosk board follows runs live with its token alone, rotates, and recovers from a dropped connection", async ({ browser, request, baseURL }) => {
  test.setTimeout(180_000);
  const token = await setUp(request);

  // The kiosk token reads its board and nothing else.
  const bearer = { authorization: `Bearer ${token}` };
  const fresh = await playwrightRequest.newContext({ baseURL, extraHTTPHeaders: bearer });
  for (const [path, input] of [
    ["sites.list", undefined],
    ["runs.list", { slug: SITE }],
    ["tokens.list", undefined],
    ["audit.query", {}],
  ] as const) {
    await expect(trpc(fresh, path, input, "query"), path).rejects.toThrow(/403|401/);
  }
  await trpc(request, "boards.save", { slug: "other-wall", title: "Another wall", sites: [SITE] });
  await expect(trpc(fresh, "kiosk.board", { board: "other-wall" }, "query")).rejects.toThrow(/403/);
  expect((await fresh.get("/api/v1/sites")).status()).toBe(403);
  expect((await trpc<{ title: string }>(fresh, "kiosk.board", { board: BOARD }, "query")).title).toBe("Operations wall");
  await fresh.dispose();

  // A browser with no session; its socket goes through a route the test can cut.
  const context = await browser.newContext({ baseURL });
  let blocked = false;
  const open = new Set<WebSocketRoute>();
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (blocked) {
      // Refused: the page's socket opens (mocked, nothing from the server) and is closed at once.
      ws.onMessage(() => {});
      setTimeout(() => void ws.close({ code: 1011, reason: "blocked by the test" }), 20);
      return;
    }
    const server = ws.connectToServer();
    open.add(ws);
    ws.onClose(() => (open.delete(ws), void server.close()));
    server.onClose(() => (open.delete(ws), void ws.close()));
  });
  const page = await context.newPage();
  page.on("console", (m) => console.log("page:", m.text()));
  const sent: string[] = [];
  page.on("request", (r) => sent.push(r.url()));

  await page.goto(`/kiosk/${BOARD}#token=${token}`);
  await expect(page.getByTestId("kiosk-title")).toHaveText("Operations wall");
  await expect(page.getByTestId("kiosk-connection")).toHaveAttribute("data-state", "live");
  // The token left the address bar, and no request carried it in a URL; no dashboard chrome, no controls.
  expect(page.url()).not.toContain("token");
  expect(await page.evaluate((b) => sessionStorage.getItem(`fd-kiosk-token:${b}`), BOARD)).toBe(token);
  expect(sent.filter((u) => u.includes(token))).toEqual([]);
  await expect(page.locator(".topbar")).toHaveCount(0);
  await expect(page.locator("button, a, input, select")).toHaveCount(0);
  await expect(page.getByTestId("kiosk-idle")).toContainText("No runs in progress");
  await noScrollbars(page);
  await shot(page, "50-kiosk-idle");
  await expectAccessible(page, "a kiosk board, idle");

  // A run appears by itself and is followed to the end.
  const first = await launch(request, "web");
  const run = page.getByTestId("kiosk-run");
  await expect(run).toHaveAttribute("data-run-id", String(first));
  await expect(run).toHaveAttribute("data-status", "running");
  await expect(page.getByTestId("kiosk-site")).toHaveText(SITE);
  await expect(page.getByTestId("kiosk-run-title")).toHaveText("Web rollout");
  await expect(page.getByTestId("kiosk-segment-changed")).toBeVisible();
  await expect(page.getByTestId("kiosk-eta")).toHaveText(/^ETA (about \d+ (s|min)|under 1 s|overdue)$/);
  await shot(page, "51-kiosk-running");
  await expectAccessible(page, "a kiosk board with a running run");
  await expect(run).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
  await expect(page.getByTestId("kiosk-status")).toContainText("succeeded");
  await expect(page.getByTestId("kiosk-percent")).toHaveText("100%");
  await expect(page.getByTestId("kiosk-segment-changed")).toHaveAttribute("data-count", "12");
  await expect(page.getByTestId("kiosk-segment-pending")).toHaveCount(0);
  await noScrollbars(page);
  await shot(page, "52-kiosk-finished");

  // A reload keeps the token (sessionStorage); the finished run is listed once nothing is active.
  await page.reload();
  await expect(page.getByTestId("kiosk-idle")).toBeVisible();
  await expect(page.getByTestId(`kiosk-finished-${first}`)).toHaveAttribute("data-status", "succeeded");
  await noScrollbars(page);
  await shot(page, "53-kiosk-idle-recent");
  await expectAccessible(page, "a kiosk board with recent runs");

  // Two active runs: they rotate, with "which of N"; failed hosts stand out.
  const soak = await launch(request, "soak");
  const web = await launch(request, "web");
  await expect(page.getByTestId("kiosk-rotation")).toContainText("of 2");
  await expect(page.getByTestId("kiosk-rotation")).toHaveAttribute("aria-label", /Run [12] of 2/);
  const shown = async () => Number(await run.getAttribute("data-run-id"));
  const before = await shown();
  await expect.poll(shown, { timeout: 20_000 }).not.toBe(before);
  // The soak run is on screen at least every other 15 s; wait for it with its failed host.
  await expect.poll(shown, { timeout: 40_000 }).toBe(soak);
  await expect(page.getByTestId("kiosk-host-db-1")).toHaveAttribute("data-status", "failed");
  await expect(page.getByTestId("kiosk-problems")).toContainText("1 host failed");
  // The soak steps have run far longer than the average step (the 1 s checks): said so, rather than "—".
  await expect(page.getByTestId("kiosk-eta")).toHaveText("ETA overdue");
  await noScrollbars(page);
  await shot(page, "54-kiosk-failed-host");
  await expectAccessible(page, "a kiosk board with a failed host");
  await expect(run).toHaveAttribute("data-status", "running");
  await expect(page.getByTestId("kiosk-tile-db-1")).toHaveAttribute("data-status", "failed");

  // The socket drops (and cannot come back for a while) during a run: a plain banner says since when.
  await trpc(request, "runs.cancel", { id: soak });
  const missed = await launch(request, "web");
  const board = page.locator("[data-runs]");
  await expect(board).toHaveAttribute("data-runs", new RegExp(`\\b${missed}\\b`));
  const stored = async () => (await trpc<unknown[]>(request, "runs.events", { id: missed, after: 0 }, "query")).length;
  const storedAtCut = await stored();
  blocked = true;
  for (const ws of [...open]) await ws.close({ code: 1001, reason: "cut by the test" });
  const banner = page.getByTestId("kiosk-reconnecting");
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/Reconnecting… since \d{1,2}:\d{2}:\d{2}/);
  await shot(page, "55-kiosk-reconnecting");
  await expectAccessible(page, "a kiosk board, reconnecting");
  // The run goes on meanwhile (the server stores more of its events); once the connection is back the kiosk
  // resumes its events by itself.
  await expect.poll(stored, { timeout: 30_000 }).toBeGreaterThan(storedAtCut + 2);
  blocked = false;
  await expect(banner).toBeHidden({ timeout: 20_000 });
  await expect(page.getByTestId("kiosk-connection")).toHaveAttribute("data-state", "live");
  await expect.poll(shown, { timeout: 50_000 }).toBe(missed);
  await expect(run).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
  await expect(page.getByTestId("kiosk-percent")).toHaveText("100%");
  await expect(page.getByTestId("kiosk-segment-changed")).toHaveAttribute("data-count", "12");
  void web;
  await context.close();
});

test("a kiosk without its token, or with a revoked one, says so plainly", async ({ browser, request, baseURL }) => {
  const token = await setUp(request, "token-wall");
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await page.goto("/kiosk/token-wall");
  await expect(page.getByTestId("kiosk-denied")).toContainText("This board needs its kiosk token");
  await expect(page).toHaveURL(/\/kiosk\/token-wall$/);
  await noScrollbars(page);
  await shot(page, "56-kiosk-no-token");
  await expectAccessible(page, "a kiosk board without its token");

  // Revoked while on screen: the next look at the board says so.
  await page.goto(`/kiosk/token-wall#token=${token}`);
  await expect(page.getByTestId("kiosk-title")).toHaveText("Operations wall");
  const tokens = await trpc<{ id: number; board: string | null; revokedAt: string | null }[]>(request, "tokens.list", undefined, "query");
  for (const t of tokens.filter((x) => x.board === "token-wall" && !x.revokedAt)) await trpc(request, "tokens.revoke", { id: t.id });
  await page.reload();
  await expect(page.getByTestId("kiosk-denied")).toContainText("was refused");
  await context.close();
});

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

test("a kiosk survives the server restarting and comes back by itself", async ({ browser }) => {
  test.setTimeout(180_000);
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "fd-e2e-kiosk-restart-"));
  const url = `http://127.0.0.1:${port}`;
  let server: ChildProcess | null = null;
  let log = "";
  const start = async () => {
    // The test runner's own loader options are not for the server.
    const { NODE_OPTIONS: _, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: { ...env, PORT: String(port), HOST: "127.0.0.1", FLIGHTDECK_DATA: data, FLIGHTDECK_DEMO: "", FLIGHTDECK_ADMIN_PASSWORD: ADMIN.password, FLIGHTDECK_LOGIN_LIMIT: "1000", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    server = child;
    await expect
      .poll(async () => (await fetch(`${url}/login`).catch(() => null))?.status ?? (child.exitCode === null ? 0 : `exited: ${log}`), { timeout: 60_000, intervals: [500] })
      .toBe(200);
  };
  const stop = async () => {
    const s = server;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((resolve) => s.once("exit", resolve));
    s.kill("SIGTERM");
    await exited;
  };
  try {
    await start();
    const api = await playwrightRequest.newContext({ baseURL: url });
    const token = await setUp(api, "restart-wall");
    const context = await browser.newContext({ baseURL: url });
    const page = await context.newPage();
    await page.goto(`/kiosk/restart-wall#token=${token}`);
    await expect(page.getByTestId("kiosk-connection")).toHaveAttribute("data-state", "live");

    await stop();
    const banner = page.getByTestId("kiosk-reconnecting");
    await expect(banner).toBeVisible();
    await expect(page.getByTestId("kiosk-title")).toHaveText("Operations wall"); // the last known state stays
    await shot(page, "57-kiosk-server-down");

    await start();
    await expect(banner).toBeHidden({ timeout: 30_000 });
    await expect(page.getByTestId("kiosk-connection")).toHaveAttribute("data-state", "live");
    // The new server process knows nothing of this screen: it rejoined the board's room by itself.
    const id = await launch(api, "web");
    await expect(page.getByTestId("kiosk-run")).toHaveAttribute("data-run-id", String(id));
    await expect(page.getByTestId("kiosk-run")).toHaveAttribute("data-status", "succeeded", { timeout: 30_000 });
    await context.close();
    await api.dispose();
  } finally {
    await stop();
    rmSync(data, { recursive: true, force: true });
  }
});
