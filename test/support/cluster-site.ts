/**
 * A site for cluster tests and the scale bench, made over the dashboard's own API: `hosts` hosts on the local
 * transport (sandboxed steps on this machine) running `steps` steps of `cmd` each, allowed to execute locally
 * and needing no approval, so a launch starts as soon as a worker takes it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "../api/client";

export function localSiteYaml(hosts: number, steps: number, cmd = "true"): string {
  const list = Array.from({ length: hosts }, (_, i) => `  - {name: node-${String(i + 1).padStart(5, "0")}}`).join("\n");
  const stepList = Array.from({ length: steps }, (_, i) => `  - {name: s${String(i + 1).padStart(2, "0")}, action: cmd.run, params: {cmd: ${JSON.stringify(cmd)}}}`).join("\n");
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
  name: steps
  stages: [{name: all, operations: [{blueprints: [steps], targets: [all]}]}]
`;
}

/** Creates the site as `admin` (a signed-in server admin) through sites.importPath. The deployment is "steps". */
export async function createLocalSite(admin: Client, slug: string, options: { hosts: number; steps: number; cmd?: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fd-cluster-site-"));
  try {
    writeFileSync(join(dir, "site.yml"), localSiteYaml(options.hosts, options.steps, options.cmd));
    await admin.ok("sites.importPath", { slug, name: slug, path: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await admin.ok("sites.localExecution", { slug, enabled: true });
  await admin.ok("sites.settings", { slug, approvalsRequired: 0 });
}

/** Requests a run of the site's "steps" deployment; its id. */
export async function launch(client: Client, slug: string, forks?: number): Promise<number> {
  return (await client.ok<{ id: number }>("runs.launch", { slug, deployment: "steps", reason: "cluster test", ...(forks ? { forks } : {}) })).id;
}

export interface RunState {
  id: number;
  status: string;
  worker: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
  lastSeq: number;
}

/**
 * Follows a site's runs as its dashboard does: a socket in the site's room (and, for a run waited on, the run's
 * room, on the client's replica); the run is read again on each `site.runs` and `run.events` about it. `until`
 * resolves once `ok` holds, without polling: broadcasts are what wake it (so a missing one fails the wait).
 */
export async function siteWatcher(client: Client, slug: string) {
  const socket = client.socket();
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const join = async (event: "site.watch" | "run.watch", arg: string | number) => {
    const ack = (await socket.timeout(5000).emitWithAck(event, arg)) as { ok: boolean; error?: string };
    if (!ack.ok) throw new Error(`${event} ${arg}: ${ack.error}`);
  };
  await join("site.watch", slug);
  const listeners = new Set<(run: number) => void>();
  const wake = (run: number) => {
    for (const l of [...listeners]) l(run);
  };
  socket.on("site.runs", (e: { site: string; run: number }) => e.site === slug && wake(e.run));
  socket.on("run.events", (e: { run: number }) => wake(e.run));
  const read = (id: number) =>
    client.ok<{ run: RunState }>("runs.get", { id }, "query").then(({ run: r }) => ({ id: r.id, status: r.status, worker: r.worker, startedAt: r.startedAt, finishedAt: r.finishedAt, message: r.message, lastSeq: r.lastSeq }));
  return {
    read,
    async until(id: number, ok: (run: RunState) => boolean, what: string, timeoutMs = 60_000): Promise<RunState> {
      await join("run.watch", id);
      return new Promise((resolve, reject) => {
        let last: RunState | undefined;
        let settled = false;
        let reading = false;
        let again = false;
        const finish = (settle: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          listeners.delete(onRun);
          settle();
        };
        // One read at a time; a wake-up during a read asks for one more after it.
        const check = (): void => {
          if (reading) {
            again = true;
            return;
          }
          reading = true;
          read(id).then(
            (run) => {
              reading = false;
              last = run;
              if (ok(run)) return finish(() => resolve(run));
              if (again) {
                again = false;
                check();
              }
            },
            (e: Error) => finish(() => reject(e)),
          );
        };
        const onRun = (run: number) => void (run === id && check());
        const timer = setTimeout(() => finish(() => reject(new Error(`run ${id}: ${what} not within ${timeoutMs / 1000} s (last seen: ${JSON.stringify(last)})`))), timeoutMs);
        listeners.add(onRun);
        check();
      });
    },
    close: () => void socket.disconnect(),
  };
}
