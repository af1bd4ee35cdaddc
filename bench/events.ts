/**
 * `npm run bench -- events`: the event path of a run of 1,000 hosts x 20 steps.
 *  1. Storage: the server's sink (numbering, batched SQLite transactions, then broadcast) taking the state
 *     events and output of such a run as fast as they come: events stored per second (target >= 20,000/s).
 *  2. Browser: the real server runs that deployment on the `local` transport while Chromium shows the run
 *     page; every chip in view records when its state reached the DOM. The delay from an event's creation
 *     (its `t`) to the DOM showing it, 95th percentile (target < 250 ms).
 *
 *   npm run bench -- events [--hosts 1000] [--steps 20] [--skip-browser]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { Broadcaster } from "../server/broadcaster";
import { planDeployment, type Plan } from "../server/engine";
import { readEnv } from "../server/env";
import { loadSite } from "../server/inventory";
import { StoredSink } from "../server/runs/sink";
import { createServices } from "../server/services";

export const description = "the event path of 1,000 hosts x 20 steps: events stored per second, and event-to-DOM delay in Chromium";

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;
const pct = (v: number[], p: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor((v.length * p) / 100))] ?? NaN;

export function siteYaml(hosts: number, steps: number, cmd = "true"): string {
  const list = Array.from({ length: hosts }, (_, i) => `  - {name: node-${String(i + 1).padStart(4, "0")}}`).join("\n");
  const stepList = Array.from({ length: steps }, (_, i) => `  - {name: s${String(i + 1).padStart(2, "0")}, action: cmd.run, params: {cmd: "${cmd}"}}`).join("\n");
  return `kind: inventory
api_version: v1beta1
spec:
  hosts:
${list}
  groups: [{name: all, connection: {transport: local}}]
---
kind: blueprint
api_version: v1beta1
spec:
  name: steps
  steps:
${stepList}
---
kind: deployment
api_version: v1beta1
spec:
  name: events
  stages: [{name: all, operations: [{blueprints: [steps], targets: [all]}]}]
`;
}

function storage(hosts: number, steps: number): { events: number; ms: number } {
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-events-"));
  const services = createServices(readEnv({ FLIGHTDECK_DATA: dir, FLIGHTDECK_DEMO: "" }));
  try {
    const site = loadSite([{ path: "site.yml", content: siteYaml(hosts, steps) }]);
    services.sites.create({ slug: "bench", name: "bench", files: site.files.map((f) => ({ ...f })), author: "bench", message: "bench" });
    const plan: Plan = planDeployment(site);
    const id = services.runs.create({ site: "bench", revision: 1, plan, requestedBy: "bench", reason: "", options: { forks: 50 }, status: "running" });
    const sink = new StoredSink(id, services.runs, new Broadcaster());
    const t = performance.now();
    let events = 0;
    for (const step of plan.steps) {
      for (const host of plan.hosts) {
        sink.event({ type: "step.status", host, step, status: "running", attempt: 1 });
        sink.output({ host, step, stream: "stdout", data: `${host} ${step} done\n` });
        sink.event({ type: "step.status", host, step, status: "changed", exitCode: 0, durationMs: 3 });
        events += 2;
      }
    }
    sink.flush();
    const ms = performance.now() - t;
    if (services.runs.events(id).length !== events) throw new Error("storage: events missing");
    return { events, ms };
  } finally {
    services.db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function browser(hosts: number, steps: number): Promise<{ delays: number[]; runMs: number; stored: number }> {
  const dir = mkdtempSync(join(tmpdir(), "fd-bench-events-ui-"));
  const port = 3400 + Math.floor(Math.random() * 400);
  let server: ChildProcess | undefined;
  const b = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"] });
  try {
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "site.yml"), siteYaml(hosts, steps));
    server = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      env: { ...process.env, PORT: String(port), FLIGHTDECK_DATA: join(dir, "data"), FLIGHTDECK_DEMO: join(dir, "site"), NEXT_TELEMETRY_DISABLED: "1", FLIGHTDECK_ADMIN_PASSWORD: "bench-admin-password" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      server!.once("exit", (c) => reject(new Error(`server exited (${c}); run \`npm run build\` first`)));
      server!.stdout!.on("data", (d: Buffer) => d.toString().includes("dashboard on") && resolve());
    });
    const base = `http://127.0.0.1:${port}`;
    const page = await b.newPage({ viewport: { width: 1600, height: 1000 } });
    // The page's own request context: the session cookie it gets is the page's too.
    const signIn = await page.request.post(`${base}/api/auth/sign-in/username`, { data: { username: "admin", password: "bench-admin-password" } });
    if (!signIn.ok()) throw new Error(`sign in: ${signIn.status()}`);
    const api = async (path: string, body: unknown) => {
      const r = await page.request.post(`${base}/api/trpc/${path}`, { data: body });
      return ((await r.json()) as { result: { data: unknown } }).result.data;
    };
    await api("sites.settings", { slug: "ha-kvm", approvalsRequired: 0 });
    // The run page is opened before the run starts, so every event reaches it live. The chips in view record
    // when each state change reached the DOM (wall-clock ms, comparable with the server's event times).
    const { id } = (await api("runs.launch", { slug: "ha-kvm", deployment: "events", reason: "" })) as { id: number };
    await page.goto(`${base}/sites/ha-kvm/runs/${id}`);
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      (window as unknown as { __seen: Record<string, number> }).__seen = seen;
      new MutationObserver((records) => {
        const now = performance.timeOrigin + performance.now();
        for (const r of records) {
          const el = r.target as HTMLElement;
          const id = el.dataset?.testid;
          if (id?.startsWith("chip-") && el.dataset.status) seen[`${id}|${el.dataset.status}`] ??= now;
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-status"], childList: true });
    });
    const t = performance.now();
    await page.getByTestId("run-status").filter({ hasText: /succeeded|failed/ }).waitFor({ timeout: 15 * 60_000 });
    const runMs = performance.now() - t;
    const seen = await page.evaluate(() => (window as unknown as { __seen: Record<string, number> }).__seen);
    const events = (await api("runs.events", { id, after: 0 })) as { type: string; host?: string; step?: string; status?: string; t: number }[];
    const delays: number[] = [];
    for (const e of events) {
      if (e.type !== "step.status") continue;
      const shown = seen[`chip-${e.host}-${e.step}|${e.status}`];
      if (shown !== undefined) delays.push(shown - e.t);
    }
    return { delays, runMs, stored: events.length };
  } finally {
    await b.close();
    if (server?.pid) server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "1000" }, steps: { type: "string", default: "20" }, "skip-browser": { type: "boolean" } } });
  const hosts = Number(values.hosts);
  const steps = Number(values.steps);
  const s = storage(hosts, steps);
  console.log(`\n${hosts} hosts x ${steps} steps; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`storage: ${s.events} events (+ ${s.events / 2} output chunks) stored in ${(s.ms / 1000).toFixed(2)} s = ${Math.round((s.events / s.ms) * 1000)} events/s (target >= 20,000/s)`);
  if (values["skip-browser"]) return 0;
  const b = await browser(hosts, steps);
  if (!b.delays.length) {
    console.log("browser: no chip update was observed (is the run page built?)");
    return 1;
  }
  console.log(`browser: run of ${b.stored} stored events took ${(b.runMs / 1000).toFixed(1)} s on the local transport (${Math.round((b.stored / b.runMs) * 1000)} events/s end to end)`);
  console.log(`browser: event -> DOM delay over ${b.delays.length} chip updates in view: median ${median(b.delays).toFixed(0)} ms, p95 ${pct(b.delays, 95).toFixed(0)} ms, max ${Math.max(...b.delays).toFixed(0)} ms (target p95 < 250 ms)`);
  return 0;
}
