/**
 * `npm run bench -- events`: the event path of a run of 1,000 hosts x 20 steps.
 *  1. Storage: the server's sink (numbering, batched SQLite transactions, then broadcast) taking the state
 *     events and output of such a run as fast as they come: events stored per second (target >= 20,000/s).
 *  2. Browser: the real server runs that deployment on the `local` transport while Chromium shows the run
 *     page; every chip in view records when its state reached the DOM. The delay from an event's creation
 *     (its `t`, the server's Date.now() as its sink takes it) to the DOM showing it (the page's Date.now()),
 *     95th percentile (target < 250 ms); and its two legs: server to the WebSocket frame's arrival, and frame
 *     to DOM in the page's own monotonic clock. `--second-run` starts a second run of the same size at the same
 *     time, as load.
 *
 *   npm run bench -- events [--hosts 1000] [--steps 20] [--skip-browser] [--second-run]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { Broadcaster } from "../server/broadcaster";
import { planDeployment, type Plan } from "../server/engine";
import { readEnv } from "../server/env";
import { loadSite } from "../server/inventory";
import { StoredSink } from "../server/runs/sink";
import { createServices } from "../server/services";
import { localSiteYaml } from "../test/support/cluster-site";

export const description = "the event path of 1,000 hosts x 20 steps: events stored per second, and event-to-DOM delay in Chromium";

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const pct = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor((v.length * p) / 100))] ?? NaN;

/**
 * What the engine stores for `plan` when every step changes: per host and step a running and a changed event and
 * one output chunk, through `sink`. Returns how many events that is.
 */
export function feedSink(sink: StoredSink, plan: Plan): number {
  let events = 0;
  for (const step of plan.steps) {
    for (const host of plan.hosts) {
      sink.event({ type: "step.status", host, step, status: "running", attempt: 1 });
      sink.output({ host, step, stream: "stdout", data: `${host} ${step} done\n` });
      sink.event({ type: "step.status", host, step, status: "changed", exitCode: 0, durationMs: 3 });
      events += 2;
    }
  }
  return events;
}

export async function storage(hosts: number, steps: number): Promise<{ events: number; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-events-"));
  const services = await createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
  try {
    const site = loadSite([{ path: "site.yml", content: localSiteYaml(hosts, steps) }]);
    await services.sites.create({ slug: "bench", name: "bench", files: site.files.map((f) => ({ ...f })), author: "bench", message: "bench" });
    const plan: Plan = planDeployment(site);
    const id = await services.runs.create({ site: "bench", revision: 1, plan, requestedBy: "bench", reason: "", options: { forks: 50 }, status: "running" });
    const sink = new StoredSink(id, services.runs, new Broadcaster());
    const t = performance.now();
    const events = feedSink(sink, plan);
    await sink.flush();
    const ms = performance.now() - t;
    if ((await services.runs.events(id)).length !== events) throw new Error("storage: events missing");
    return { events, ms };
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the page records, all in its own clocks (see INSTRUMENT). */
interface PageRecord {
  /** Per `host|step|status`: when the WebSocket frame carrying the event arrived (performance.now(), Date.now()). */
  recv: Record<string, [number, number]>;
  /** Per `chip-HOST-STEP|status`: when the chip first showed that status in the DOM (performance.now(), Date.now()). */
  dom: Record<string, [number, number]>;
  /** Date.now() - (performance.timeOrigin + performance.now()), sampled every 100 ms while the page lives. */
  skew: number[];
}

/**
 * Runs in the page before its own scripts (an init script; a string, as tsx's compiled functions may call
 * helpers the page lacks). Nothing here compares clocks of two processes except Date.now() with the server's
 * `t`: both read this machine's one real-time clock at the moment. Fills window.__bench, a PageRecord.
 */
const INSTRUMENT = `(() => {
  const rec = { recv: {}, dom: {}, skew: [] };
  window.__bench = rec;
  const sample = () => rec.skew.push(Date.now() - (performance.timeOrigin + performance.now()));
  sample();
  setInterval(sample, 100);
  // The socket's frames, read before socket.io's own handler (a listener added in the constructor comes first).
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (m) => {
        const at = [performance.now(), Date.now()];
        // socket.io event packets: engine.io "4" (message) + socket.io "2" (event), then the JSON array.
        if (typeof m.data !== "string" || !m.data.startsWith("42")) return;
        const [name, payload] = JSON.parse(m.data.slice(m.data.indexOf("[")));
        if (name !== "run.events") return;
        for (const e of payload.events || []) if (e.type === "step.status") rec.recv[e.host + "|" + e.step + "|" + e.status] ??= at;
      });
    }
  };
  new MutationObserver((records) => {
    const at = [performance.now(), Date.now()];
    for (const r of records) {
      const id = r.target.dataset && r.target.dataset.testid;
      if (id && id.startsWith("chip-") && r.target.dataset.status) rec.dom[id + "|" + r.target.dataset.status] ??= at;
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
})();`;

export interface BrowserResult {
  /** Server `t` (Date.now() when the server's sink took the event) to the DOM (the page's Date.now()): the end-to-end delay. */
  endToEnd: number[];
  /** Server `t` to the WebSocket frame's arrival (both Date.now()). */
  wire: number[];
  /** Frame arrival to the DOM, in the page's monotonic clock only. */
  page: number[];
  /** Chip updates for events that came in a fetch (the page's first, or a catch-up) rather than over the socket: left out above. */
  notLive: number;
  /** The page's Date.now() - (timeOrigin + performance.now()): min and max over the run. */
  skew: [number, number];
  runMs: number;
  stored: number;
  load: [number, number];
}

/** Chromium as the benches use it (Debian's, no sandbox inside this machine's container). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"] });
}

/** A page that records socket frames and chip changes (INSTRUMENT), signed in on `base` as `username`. */
export async function instrumentedPage(b: Browser, base: string, username: string, password: string): Promise<{ page: Page; api: (path: string, body: unknown) => Promise<unknown> }> {
  const page = await b.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript({ content: INSTRUMENT });
  // The page's own request context: the session cookie it gets is the page's too.
  const signIn = await page.request.post(`${base}/api/auth/sign-in/username`, { data: { username, password } });
  if (!signIn.ok()) throw new Error(`sign in: ${signIn.status()}`);
  const api = async (path: string, body: unknown) => {
    const r = await page.request.post(`${base}/api/trpc/${path}`, { data: body });
    return ((await r.json()) as { result: { data: unknown } }).result.data;
  };
  return { page, api };
}

/**
 * Opens run `id` of `site` in the instrumented page and waits for its end; then compares each chip change with
 * the stored event behind it. `api` reads the stored events (any replica's: they share the store).
 */
export async function measureRun(page: Page, base: string, site: string, id: number, api: (path: string, body: unknown) => Promise<unknown>): Promise<BrowserResult> {
  const loadBefore = loadavg()[0]!;
  const t = performance.now();
  await page.goto(`${base}/sites/${site}/runs/${id}`);
  await page.getByTestId("run-status").filter({ hasText: /succeeded|failed/ }).waitFor({ timeout: 30 * 60_000 });
  const runMs = performance.now() - t;
  const loadAfter = loadavg()[0]!;
  const rec = await page.evaluate(() => (window as unknown as { __bench: PageRecord }).__bench);
  const events = (await api("runs.events", { id, after: 0 })) as { type: string; host?: string; step?: string; status?: string; t: number }[];
  const out: BrowserResult = { endToEnd: [], wire: [], page: [], notLive: 0, skew: [Math.min(...rec.skew), Math.max(...rec.skew)], runMs, stored: events.length, load: [loadBefore, loadAfter] };
  for (const e of events) {
    if (e.type !== "step.status") continue;
    const shown = rec.dom[`chip-${e.host}-${e.step}|${e.status}`];
    if (!shown) continue;
    const came = rec.recv[`${e.host}|${e.step}|${e.status}`];
    // Shown before its frame came: it came in a fetch (the first one, or a catch-up) as well.
    if (!came || shown[0] < came[0]) {
      out.notLive++;
      continue;
    }
    out.endToEnd.push(shown[1] - e.t);
    out.wire.push(came[1] - e.t);
    out.page.push(shown[0] - came[0]);
  }
  return out;
}

export async function browser(hosts: number, steps: number, secondRun: boolean): Promise<BrowserResult> {
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-events-ui-"));
  const port = 3400 + Math.floor(Math.random() * 400);
  let server: ChildProcess | undefined;
  const b = await launchChromium();
  try {
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "site.yml"), localSiteYaml(hosts, steps));
    server = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: { ...process.env, PORT: String(port), FLIGHTDECK_DATA: join(dir, "data"), FLIGHTDECK_DEMO: join(dir, "site"), NEXT_TELEMETRY_DISABLED: "1", FLIGHTDECK_ADMIN_PASSWORD: "bench-admin-password" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("exit", (c) => reject(new Error(`server exited (${c}); run \`npm run build\` first`)));
      server!.stdout!.on("data", (d: Buffer) => d.toString().includes("dashboard on") && resolve());
    });
    const base = `http://127.0.0.1:${port}`;
    const { page, api } = await instrumentedPage(b, base, "admin", "bench-admin-password");
    await api("sites.settings", { slug: "ha-kvm", approvalsRequired: 0 });
    // With approvals at 0 the run starts as it is requested, before the page is open: what happened before the
    // page joined the run's room arrives in its first fetch, and only chip updates for events that came over
    // the socket are measured.
    const { id } = (await api("runs.launch", { slug: "ha-kvm", deployment: "steps", reason: "" })) as { id: number };
    // The load of a second run at the same time: as many events again, through the same server and database.
    if (secondRun) await api("runs.launch", { slug: "ha-kvm", deployment: "steps", reason: "load" });
    return await measureRun(page, base, "ha-kvm", id, api);
  } finally {
    await b.close();
    if (server?.pid) server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

export const figures = (v: number[]) => `median ${median(v).toFixed(0)} ms, p95 ${pct(v, 95).toFixed(0)} ms, max ${Math.max(...v).toFixed(0)} ms`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "1000" }, steps: { type: "string", default: "20" }, "skip-browser": { type: "boolean" }, "second-run": { type: "boolean" } } });
  const hosts = Number(values.hosts);
  const steps = Number(values.steps);
  const s = await storage(hosts, steps);
  console.log(`\n${hosts} hosts x ${steps} steps; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`storage: ${s.events} events (+ ${s.events / 2} output chunks) stored in ${(s.ms / 1000).toFixed(2)} s = ${Math.round((s.events / s.ms) * 1000)} events/s (target >= 20,000/s)`);
  if (values["skip-browser"]) return 0;
  const b = await browser(hosts, steps, values["second-run"] ?? false);
  if (!b.endToEnd.length) {
    console.log("browser: no chip update was observed for an event that came over the socket (is the run page built?)");
    return 1;
  }
  console.log(`browser: run of ${b.stored} stored events took ${(b.runMs / 1000).toFixed(1)} s on the local transport (${Math.round((b.stored / b.runMs) * 1000)} events/s end to end)${values["second-run"] ? ", with a second run of the same size at the same time" : ""}; 1-min load ${b.load[0].toFixed(1)} before, ${b.load[1].toFixed(1)} after`);
  console.log(`browser: event -> DOM delay over ${b.endToEnd.length} chip updates in view: ${figures(b.endToEnd)} (target p95 < 250 ms)`);
  console.log(`browser:   server -> socket frame in the page: ${figures(b.wire)}; frame -> DOM (the page's own clock): ${figures(b.page)}`);
  console.log(`browser:   ${b.notLive} chip updates came in a fetch (the page's first, or a catch-up), not live over the socket, and are left out`);
  // The old measure took the DOM time as timeOrigin + performance.now(): Chromium converts its monotonic clock to
  // wall time once per process, so that differs from Date.now() (and the server's t) by however much the
  // wall clock moved since the browser started.
  console.log(`browser:   the page's Date.now() - (timeOrigin + performance.now()) ranged ${b.skew[0].toFixed(1)}..${b.skew[1].toFixed(1)} ms during the run`);
  if (b.skew[1] - b.skew[0] > 5) console.log("browser:   the wall clock was adjusted during the run: delays of events around the adjustment are off by that much (the frame -> DOM leg is not)");
  return 0;
}
