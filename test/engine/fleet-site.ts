/** A site whose hosts are a running test fleet, and a sink that records what a run emits. */
import { execute, planDeployment, type EngineEvent, type EventSink, type OutputChunk, type Plan, type RunStatus } from "../../server/engine";
import { loadSite, type Site } from "../../server/inventory";
import type { Fleet } from "../fleet/fleet";

export function fleetInventory(fleet: Fleet, overrides: Record<string, string> = {}): string {
  const hosts = fleet.hosts
    .map((h) => `  - name: ${h.name}\n    labels: {n: "${h.name.replace(/\D/g, "")}"}\n    connection: {address: ${h.address}, port: ${h.port}${overrides[h.name] ? `, ${overrides[h.name]}` : ""}}`)
    .join("\n");
  return `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts}
  groups:
  - name: all
    connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}, connect_timeout: 5s}
`;
}

/** Hosts that run on this machine (the `local` transport), with data for the `all` group. */
export function localInventory(hosts: readonly string[], data = "{}"): string {
  return `kind: inventory
api_version: v1beta1
spec:
  hosts: [${hosts.map((h) => `{name: ${h}}`).join(", ")}]
  groups: [{name: all, connection: {transport: local}, data: ${data}}]
`;
}

/** A blueprint `b` with these steps (YAML list items) and a deployment (`d` by default) running it on `targets`. */
export function workflow(steps: string, options = "", targets = "[all]", deployment = "d"): string {
  return `kind: blueprint
api_version: v1beta1
spec:
  name: b
  steps:
${steps}
---
kind: deployment
api_version: v1beta1
spec:
  name: ${deployment}
  stages:
  - name: s
    operations:
    - blueprints: [b]
      targets: ${targets}
      ${options ? `run_options: ${options}` : ""}
`;
}

export class Recorder implements EventSink {
  readonly events: (EngineEvent & { seq: number })[] = [];
  readonly chunks: OutputChunk[] = [];
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  event(e: EngineEvent) {
    this.events.push({ ...e, seq: this.events.length + 1 });
    this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
  }

  output(c: OutputChunk) {
    this.chunks.push(c);
  }

  /** Resolves once `test` holds (checked on every event); bounded by the test runner's timeout. */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  steps(host?: string, step?: string) {
    return this.events.filter((e): e is Extract<EngineEvent, { type: "step.status" }> & { seq: number } => e.type === "step.status" && (!host || e.host === host) && (!step || e.step === step));
  }

  /** The last status of each step of a host. */
  final(host: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.steps(host)) out[e.step] = e.status;
    return out;
  }

  output_of(host: string, step: string): string {
    return this.chunks.filter((c) => c.host === host && c.step === step).map((c) => c.data).join("");
  }
}

export interface Ran {
  site: Site;
  plan: Plan;
  status: RunStatus;
  rec: Recorder;
}

export function siteOf(...files: string[]): Site {
  const site = loadSite(files.map((content, i) => ({ path: `f${i}.yml`, content })));
  const errors = site.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(`test site has lint errors: ${JSON.stringify(errors)}`);
  return site;
}

export async function runSite(site: Site, opts: { forks?: number; signal?: AbortSignal; rec?: Recorder; limit?: string[] } = {}): Promise<Ran> {
  const plan = planDeployment(site, { limit: opts.limit });
  const rec = opts.rec ?? new Recorder();
  const status = await execute({ site, plan, sink: rec, signal: opts.signal ?? new AbortController().signal, forks: opts.forks });
  return { site, plan, status, rec };
}
