/**
 * `npm run bench -- scale`: growing past one machine, with a 10,000-host x 5-step run (local transport).
 *  1. Storage across workers: two worker processes (as many as --workers) each take a run's events through the
 *     server's sink into PostgreSQL (numbered and stored in batched transactions, then broadcast with the
 *     emitter, as a worker does), both at once: events stored per second across them (target >= 20,000/s, as
 *     on SQLite); and the same run through the sink on SQLite in one process (`bench -- events`' measure).
 *  2. Browser: a cluster (two web replicas with --no-worker, two workers; test/support/cluster.ts) executes the
 *     run for real; Chromium watches it on the replica it was not requested on, which executes nothing: every
 *     event reaches it from a worker through PostgreSQL. Event-to-DOM delay p95 (target < 250 ms), measured as
 *     `bench -- events` measures it; then the same run on one SQLite server.
 *
 *   npm run bench -- scale [--hosts 10000] [--steps 5] [--workers 2] [--skip-browser] [--skip-sqlite] [--skip-postgres] [--second-run]
 *
 * PostgreSQL: FLIGHTDECK_TEST_PG_URL's server, else one started for the bench (test/support/postgres.ts).
 * Needs the production build (`npm run build`) for the browser part.
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { PostgresEmitterBroadcaster } from "../server/broadcast";
import { planDeployment } from "../server/engine";
import { loadSite } from "../server/inventory";
import { StoredSink } from "../server/runs/sink";
import { openStore } from "../server/store/open";
import { Client } from "../test/api/client";
import { CLUSTER_ADMIN_PASSWORD, clusterSkipReason, startCluster } from "../test/support/cluster";
import { createLocalSite, launch, localSiteYaml } from "../test/support/cluster-site";
import { createTestDatabase, stopOwnServer } from "../test/support/postgres";
import { browser, feedSink, figures, instrumentedPage, launchChromium, measureRun, storage, type BrowserResult } from "./events";

export const description = "a 10,000-host x 5-step run on PostgreSQL with two workers (events stored/s across workers, event-to-DOM p95 on a replica that does not run it) and on SQLite";

const SELF = new URL(import.meta.url).pathname;

interface ChildResult {
  events: number;
  /** Date.now() at its first and last event stored. */
  start: number;
  end: number;
}

/** One worker's share: run `id`'s events, as the engine makes them for hosts x steps, through the sink. */
async function storageChild(url: string, id: number, hosts: number, steps: number): Promise<ChildResult> {
  const store = await openStore({ FLIGHTDECK_DATABASE_URL: url }, { migrate: false });
  const broadcaster = await PostgresEmitterBroadcaster.open(url);
  try {
    const plan = planDeployment(loadSite([{ path: "site.yml", content: localSiteYaml(hosts, steps) }]));
    const sink = new StoredSink(id, store.runs, broadcaster);
    const start = Date.now();
    const events = feedSink(sink, plan);
    await sink.flush();
    const end = Date.now();
    const stored = await store.runs.events(id);
    if (stored.length !== events || stored.some((e, i) => e.seq !== i + 1)) throw new Error(`run ${id}: ${stored.length} of ${events} events stored, or not numbered 1..n`);
    return { events, start, end };
  } finally {
    await broadcaster.close();
    await store.close();
  }
}

/** Runs `workers` storage children at once on a fresh database; events stored per second across them. */
async function pgStorage(hosts: number, steps: number, workers: number): Promise<{ events: number; ms: number; each: number[] }> {
  const database = await createTestDatabase();
  try {
    const store = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
    const ids: number[] = [];
    try {
      const site = loadSite([{ path: "site.yml", content: localSiteYaml(hosts, steps) }]);
      await store.sites.create({ slug: "bench", name: "bench", files: site.files.map((f) => ({ ...f })), author: "bench", message: "bench" });
      const plan = planDeployment(site);
      for (let i = 0; i < workers; i++) ids.push(await store.runs.create({ site: "bench", revision: 1, plan, requestedBy: "bench", reason: "", options: { forks: 50 }, status: "running" }));
    } finally {
      await store.close();
    }
    const results = await Promise.all(ids.map((id) => child(database.url, id, hosts, steps)));
    const start = Math.min(...results.map((r) => r.start));
    const end = Math.max(...results.map((r) => r.end));
    return { events: results.reduce((n, r) => n + r.events, 0), ms: end - start, each: results.map((r) => Math.round((r.events / (r.end - r.start)) * 1000)) };
  } finally {
    await database.drop();
  }
}

function child(url: string, id: number, hosts: number, steps: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", SELF, "storage-child", url, String(id), String(hosts), String(steps)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as ChildResult) : reject(new Error(`storage worker for run ${id} exited ${code}`))));
  });
}

/** The run executed by the cluster's workers, watched on the replica it was not requested on. */
async function pgBrowser(hosts: number, steps: number, workers: number, secondRun: boolean): Promise<BrowserResult & { storedPerSecond: number }> {
  const cluster = await startCluster({ web: 2, workers });
  const b = await launchChromium();
  try {
    const [a, viewer] = [cluster.web[0]!, cluster.web[1]!];
    const admin = new Client(a.url!, "admin on A");
    if ((await admin.signIn("admin", CLUSTER_ADMIN_PASSWORD)) !== 200) throw new Error("cannot sign in on replica A");
    await createLocalSite(admin, "scale", { hosts, steps, cmd: "true" });
    const { page, api } = await instrumentedPage(b, viewer.url!, "admin", CLUSTER_ADMIN_PASSWORD);
    const id = await launch(admin, "scale", 50);
    if (secondRun) await launch(admin, "scale", 50);
    const result = await measureRun(page, viewer.url!, "scale", id, api);
    const { run } = await admin.ok<{ run: { startedAt: string; finishedAt: string } }>("runs.get", { id }, "query");
    const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
    return { ...result, storedPerSecond: Math.round(result.stored / seconds) };
  } finally {
    await b.close();
    await cluster.close();
  }
}

function report(label: string, b: BrowserResult) {
  if (!b.endToEnd.length) return console.log(`${label}: no chip update was observed for an event that came over the socket (is the run page built?)`);
  console.log(`${label}: run of ${b.stored} stored events took ${(b.runMs / 1000).toFixed(1)} s from opening the page; 1-min load ${b.load[0].toFixed(1)} before, ${b.load[1].toFixed(1)} after`);
  console.log(`${label}: event -> DOM delay over ${b.endToEnd.length} chip updates in view: ${figures(b.endToEnd)} (target p95 < 250 ms)`);
  console.log(`${label}:   server -> socket frame in the page: ${figures(b.wire)}; frame -> DOM: ${figures(b.page)}; ${b.notLive} updates came in a fetch, not live, and are left out`);
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "10000" }, steps: { type: "string", default: "5" }, workers: { type: "string", default: "2" }, "skip-browser": { type: "boolean" }, "skip-sqlite": { type: "boolean" }, "skip-postgres": { type: "boolean" }, "second-run": { type: "boolean" } } });
  const postgres = !values["skip-postgres"];
  const hosts = Number(values.hosts);
  const steps = Number(values.steps);
  const workers = Number(values.workers);
  try {
    console.log(`\n${hosts} hosts x ${steps} steps; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
    const pg = postgres ? await pgStorage(hosts, steps, workers) : undefined;
    if (pg) console.log(`PostgreSQL storage: ${pg.events} events (+ ${pg.events / 2} output chunks) stored by ${workers} worker processes at once in ${(pg.ms / 1000).toFixed(2)} s = ${Math.round((pg.events / pg.ms) * 1000)} events/s across workers (each alone in its span: ${pg.each.join(", ")} /s) (target >= 20,000/s)`);
    if (!values["skip-sqlite"]) {
      const s = await storage(hosts, steps);
      console.log(`SQLite storage: ${s.events} events stored by one process in ${(s.ms / 1000).toFixed(2)} s = ${Math.round((s.events / s.ms) * 1000)} events/s`);
    }
    if (values["skip-browser"]) return 0;
    const skip = clusterSkipReason();
    if (skip) {
      console.log(`browser: skipped: ${skip}`);
      return 0;
    }
    const b = postgres ? await pgBrowser(hosts, steps, workers, values["second-run"] ?? false) : undefined;
    if (b) console.log(`PostgreSQL run executed by a worker: ${b.stored} events stored at ${b.storedPerSecond} events/s from its start to its end (local steps: one sandboxed process each)${values["second-run"] ? ", with a second run of the same size on the other worker" : ""}`);
    if (b) report("PostgreSQL browser on the replica that executes nothing", b);
    const s = values["skip-sqlite"] ? undefined : await browser(hosts, steps, false);
    if (s) report("SQLite browser on the one server", s);
    return [b, s].every((r) => r === undefined || r.endToEnd.length > 0) ? 0 : 1;
  } finally {
    await stopOwnServer();
  }
}

if (process.argv[1] === SELF && process.argv[2] === "storage-child") {
  const [url, id, hosts, steps] = process.argv.slice(3);
  storageChild(url!, Number(id), Number(hosts), Number(steps)).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (e: Error) => {
      console.error(`storage worker: ${e.message}`);
      process.exit(1);
    },
  );
}
