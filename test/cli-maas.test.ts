/**
 * The examples/maas-metal site through the real `flightdeck` process against the MAAS simulator: plan names each
 * host's machine; exec deploys five machines, one of which fails with MAAS's reason (its install stage only:
 * the configure stage needs machines that really boot).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { randomApiKey, startMaasSimulator, type MaasSimulator } from "./maas/simulator";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KEY = randomApiKey();
let sim: MaasSimulator;
let dir: string;

before(async () => {
  sim = await startMaasSimulator({
    machines: [1, 2, 3, 4, 5].map((n) => ({ system_id: `node0${n}`, hostname: `node-${n}`, pool: "compute", ...(n === 3 ? { deployFault: "fail" as const, faultMessage: "curtin: failed to partition /dev/sda" } : {}) })),
    keys: [{ key: KEY, username: "ops" }],
    pools: ["compute"],
    timings: { deployMs: 100 },
  });
  dir = mkdtempSync(join(tmpdir(), "fd-maas-metal-"));
  cpSync(join(ROOT, "examples", "maas-metal"), dir, { recursive: true });
  const design = join(dir, "design.yml");
  writeFileSync(design, readFileSync(design, "utf8").replace("http://127.0.0.1:5240/MAAS", sim.url).replace("poll_interval: 2s", "poll_interval: 50ms"));
  const deployment = join(dir, "deployment.yml");
  writeFileSync(deployment, readFileSync(deployment, "utf8").replace(/ {2}- name: configure\n.*\n/, ""));
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function flightdeck(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin", "flightdeck.mjs"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

test("plan shows which machine each host maps to", async () => {
  const r = await flightdeck(["plan", dir], {});
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /machines:\n {2}node-1 -> rack1: system_id node01\n/);
});

test("exec deploys the rack; the failed machine fails its host with MAAS's reason and events", async () => {
  const r = await flightdeck(["exec", dir, "--json"], { MAAS_API_KEY: KEY });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; host?: string; step?: string; status?: string; message?: string; data?: string; hosts?: Record<string, { status: string }> });
  const summary = lines.at(-1)!;
  assert.equal(summary.type, "run.finished");
  assert.deepEqual(Object.fromEntries(Object.entries(summary.hosts!).map(([h, s]) => [h, s.status])), { "node-1": "changed", "node-2": "changed", "node-3": "failed", "node-4": "changed", "node-5": "changed" });
  const failed = lines.find((e) => e.type === "step.status" && e.host === "node-3" && e.status === "failed")!;
  assert.match(failed.message!, /node-3 \(node03\).*Failed deployment.*curtin: failed to partition \/dev\/sda/s);
  for (let n = 1; n <= 5; n++) assert.match(Buffer.from(sim.userData(`node0${n}`)!, "base64").toString(), new RegExp(`hostname: node-${n}($|\\n)`));
  assert.ok(!r.stdout.includes(KEY.split(":")[2]!) && !r.stderr.includes(KEY.split(":")[2]!), "the key never appears");
});
