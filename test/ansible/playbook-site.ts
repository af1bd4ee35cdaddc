/**
 * Sites on disk for ansible.playbook tests: the test fleet's hosts, a deployment running one playbook step, and
 * `flightdeck exec --json` run as the real command (bin/flightdeck.mjs) with its JSON lines read as they come.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { fleetInventory } from "../engine/fleet-site";
import type { Fleet } from "../fleet/fleet";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "bin", "flightdeck.mjs");

export interface PlaybookSiteOptions {
  /** playbooks/site.yml */
  playbook: string;
  /** The `all` group's data (YAML flow map). */
  data?: string;
  runOptions?: string;
  /** Params of the step besides `playbook` (YAML flow map entries). */
  params?: string;
  /** More files of the site (path -> content). */
  files?: Record<string, string>;
  /** Changes to the fleet inventory's text. */
  inventory?: (text: string) => string;
}

/** Writes the site into `dir` and returns `dir`. */
export function writePlaybookSite(dir: string, fleet: Fleet, o: PlaybookSiteOptions): string {
  let inventory = fleetInventory(fleet);
  if (o.data) inventory = inventory.replace("  - name: all\n", `  - name: all\n    data: ${o.data}\n`);
  const files: Record<string, string> = {
    "inventory.yml": o.inventory ? o.inventory(inventory) : inventory,
    "deploy.yml": `kind: blueprint
api_version: v1beta1
spec:
  name: web
  steps:
  - name: configure
    action: ansible.playbook
    params: {playbook: playbooks/site.yml${o.params ? `, ${o.params}` : ""}}
---
kind: deployment
api_version: v1beta1
spec:
  name: d
  stages: [{name: s, operations: [{blueprints: [web], targets: [all]${o.runOptions ? `, run_options: ${o.runOptions}` : ""}}]}]
`,
    "playbooks/site.yml": o.playbook,
    ...o.files,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export type JsonEvent = Record<string, unknown> & { seq: number; type: string; host?: string; step?: string; status?: string; parent?: string };

/** `flightdeck exec SITE --json` as a process: every line as it comes, and the end. */
export class Exec {
  readonly child: ChildProcess;
  readonly events: JsonEvent[] = [];
  readonly exited: Promise<number | null>;
  stderr = "";
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(site: string, env: Record<string, string> = {}, args: string[] = []) {
    this.child = spawn(process.execPath, [BIN, "exec", site, "--json", ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stderr!.on("data", (b: Buffer) => (this.stderr += b.toString()));
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      this.events.push(JSON.parse(line) as JsonEvent);
      this.waiters = this.waiters.filter((w) => (w.test() ? (w.resolve(), false) : true));
    });
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /** Resolves once `test` holds over the events so far (bounded by the test's timeout). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  steps(host?: string, step?: string): JsonEvent[] {
    return this.events.filter((e) => e.type === "step.status" && (!host || e.host === host) && (!step || e.step === step));
  }

  /** The last status of a host's step so far. */
  status(host: string, step: string): string | undefined {
    return this.steps(host, step).at(-1)?.status;
  }

  output(host: string, step: string): string {
    return this.events
      .filter((e) => e.type === "step.output" && e.host === host && e.step === step)
      .map((e) => e.data as string)
      .join("");
  }

  get summary(): JsonEvent & { hosts: Record<string, { status: string; steps: Record<string, string> }> } {
    return this.events.at(-1) as never;
  }
}

/** Processes whose command line contains `text` (ansible-playbook, its workers, ssh and its ControlPersist masters). */
export function processesWith(text: string): string[] {
  const r = spawnSync("pgrep", ["-af", "--", text], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .filter((l) => !l.includes("pgrep"));
}
