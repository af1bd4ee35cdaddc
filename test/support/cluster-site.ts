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
 * Follows a site's runs as its dashboard does: a socket in the site's room (on the client's replica), and on
 * each `site.runs` the run is read again. `until` resolves with the run once `ok` holds, without polling: the
 * broadcast of every status change is what wakes it (so a missing broadcast fails the wait).
 */
export async function siteWatcher(client: Client, slug: string) {
  const socket = client.socket();
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const ack = (await socket.timeout(5000).emitWithAck("site.watch", slug)) as { ok: boolean; error?: string };
  if (!ack.ok) throw new Error(`site.watch ${slug}: ${ack.error}`);
  const listeners = new Set<(run: number) => void>();
  socket.on("site.runs", (e: { site: string; run: number }) => {
    if (e.site === slug) for (const l of [...listeners]) l(e.run);
  });
  const read = (id: number) => client.ok<{ run: RunState }>("runs.get", { id }, "query").then((r) => r.run);
  return {
    read,
    until(id: number, ok: (run: RunState) => boolean, what: string, timeoutMs = 60_000): Promise<RunState> {
      return new Promise((resolve, reject) => {
        let last: RunState | undefined;
        let settled = false;
        const finish = (settle: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          listeners.delete(onRun);
          settle();
        };
        const check = () =>
          read(id).then(
            (run) => {
              last = run;
              if (ok(run)) finish(() => resolve(run));
            },
            (e: Error) => finish(() => reject(e)),
          );
        const onRun = (run: number) => void (run === id && check());
        const timer = setTimeout(() => finish(() => reject(new Error(`run ${id}: ${what} not within ${timeoutMs / 1000} s (last seen: ${JSON.stringify(last)})`))), timeoutMs);
        listeners.add(onRun);
        void check();
      });
    },
    close: () => void socket.disconnect(),
  };
}
