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
