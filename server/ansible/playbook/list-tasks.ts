/**
 * A plan's ansible.playbook steps with their tasks: `ansible-playbook --list-tasks` (with the step's tags) lists
 * them, and each becomes a sub-step `STEP/TASK` of the plan, so `flightdeck plan`, the dashboard's preview,
 * approvals and the progress bar count them before they run. Tasks it cannot list (handlers, included tasks,
 * fact gathering) appear as they run. Run where the playbook would run (the sandbox on a server, without
 * network), bounded in time, cached by the content of the site's Ansible files; when Ansible is missing or the
 * listing fails, the plan simply has no tasks yet.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { SubStepNames } from "../../engine/batch";
import type { Plan, PlannedStep } from "../../engine/plan";
import type { Site } from "../../inventory";
import type { Sandbox } from "../../transports/sandbox";
import { contentHash, writeAnsibleContent } from "../content";
import { findAnsiblePlaybook } from "../syntax-check";
import type { PlaybookParams } from "./config";
import { privateDir } from "./private-dir";

export interface ListTasksOptions {
  /** The site's directory (the CLI): its Ansible content is used where it is. */
  siteDir?: string;
  /** On a server: the sandbox playbooks run in; without one (or when refused) nothing is listed. */
  server?: { sandbox?: Sandbox; refused?: string };
  timeoutMs?: number;
  /** A directory that keeps listings between processes (the CLI's cache), by the same key as in memory. */
  cacheDir?: string;
}

const TIMEOUT_MS = 30_000;
const CACHED = 64;
const cache = new Map<string, Promise<string[] | undefined>>();

/** The plan with every ansible.playbook step's listed tasks after it (a plan without such steps comes back as it is). */
export async function withPlaybookTasks(site: Site, plan: Plan, o: ListTasksOptions = {}): Promise<Plan> {
  const steps = plan.stages.flatMap((s) => s.operations.flatMap((op) => op.steps)).filter((s) => s.action === "ansible.playbook" && s.parent === undefined);
  if (!steps.length) return plan;
  const ansible = findAnsiblePlaybook(process.env.PATH ?? "/usr/bin:/bin");
  if (!ansible || (o.server && (o.server.refused || !o.server.sandbox))) return plan;
  const hash = contentHash(site.files);
  const lists = new Map<string, string[] | undefined>();
  for (const step of steps) {
    const params = step.params as unknown as PlaybookParams;
    if ([params.playbook, params.tags, params.skip_tags].flat().some((v) => typeof v === "string" && v.includes("{{"))) continue; // known per host only
    // Ansible's own version counts: an upgrade may list differently.
    const version = await stat(ansible).then((s) => s.mtimeMs, () => 0);
    const key = createHash("sha256").update(JSON.stringify([ansible, version, hash, params.playbook, params.tags ?? null, params.skip_tags ?? null])).digest("hex");
    let listed = cache.get(key);
    if (!listed) {
      const file = o.cacheDir && join(o.cacheDir, `${key}.json`);
      // A listing that failed (Ansible's error shows when the step runs) is tried again next time.
      listed = (file ? readCached(file) : Promise.resolve(undefined))
        .then((known) => known ?? listTasks(ansible, site, params, o).then((tasks) => (file && tasks ? writeCached(file, tasks) : tasks)))
        .catch(() => undefined)
        .then((tasks) => {
          if (!tasks) cache.delete(key);
          return tasks;
        });
      cache.set(key, listed);
      if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
    }
    lists.set(step.id, await listed);
  }

  // Ids as the run gives them: STEP/TASK, the same name again STEP/TASK (2), never another step's id.
  const reserved = new Set(plan.steps);
  const subSteps = new Map<string, PlannedStep[]>();
  for (const step of steps) {
    const names = new SubStepNames(step.id, reserved);
    const tasks = (lists.get(step.id) ?? []).map((name, i): PlannedStep => {
      const id = names.idFor(String(i), name);
      reserved.add(id);
      return { id, name, blueprint: step.blueprint, action: step.action, params: {}, requires: [step.id], sync: false, runOnce: false, parent: step.id };
    });
    if (tasks.length) subSteps.set(step.id, tasks);
  }
  if (!subSteps.size) return plan;
  const expand = (list: PlannedStep[]) => list.flatMap((s) => [s, ...(subSteps.get(s.id) ?? [])]);
  const stages = plan.stages.map((stage) => ({ ...stage, operations: stage.operations.map((op) => ({ ...op, steps: expand(op.steps) })) }));
  return { ...plan, stages, steps: stages.flatMap((s) => s.operations.flatMap((op) => op.steps.map((st) => st.id))) };
}

/** The task names `ansible-playbook --list-tasks` prints, in order, or undefined when it could not list them. */
async function listTasks(ansible: string, site: Site, params: PlaybookParams, o: ListTasksOptions): Promise<string[] | undefined> {
  const dir = await privateDir(o.server?.sandbox);
  try {
    let root: string;
    if (o.siteDir && !dir.sandboxed) root = resolve(o.siteDir);
    else {
      await writeAnsibleContent(join(dir.outside, "site"), site.files);
      root = join(dir.inside, "site");
    }
    const cfg = ["[defaults]", `roles_path = ${join(root, "roles")}`, `collections_path = ${join(root, "collections")}:/usr/share/ansible/collections`, "retry_files_enabled = False", "nocolor = True", ""].join("\n");
    await dir.write("ansible.cfg", cfg);
    const list = (v: string | string[]) => (Array.isArray(v) ? v.join(",") : v);
    const argv = [ansible, "--list-tasks", "-i", "localhost,", ...(params.tags ? ["--tags", list(params.tags)] : []), ...(params.skip_tags ? ["--skip-tags", list(params.skip_tags)] : []), join(root, params.playbook)];
    const env = { ANSIBLE_CONFIG: join(dir.inside, "ansible.cfg"), ANSIBLE_HOME: join(dir.inside, ".ansible"), ANSIBLE_LOCAL_TEMP: join(dir.inside, ".ansible", "tmp"), ANSIBLE_NOCOLOR: "1" };
    const out = await capture(dir.command(argv, env), dir.outside, o.timeoutMs ?? TIMEOUT_MS);
    return out === undefined ? undefined : parseTaskList(out);
  } finally {
    await dir.dispose();
  }
}

async function readCached(file: string): Promise<string[] | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
  } catch {
    return undefined;
  }
}

async function writeCached(file: string, tasks: string[]): Promise<string[]> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 }).catch(() => undefined);
  await writeFile(file, JSON.stringify(tasks)).catch(() => undefined); // a cache that cannot be written is no cache
  return tasks;
}

/**
 * Task lines of --list-tasks: six spaces, the name, a tab and `TAGS: [...]`, under each play's `tasks:`.
 * An unnamed task is listed by its action (a role's too, which runs as `ROLE : action`).
 */
export function parseTaskList(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const tags = line.lastIndexOf("\tTAGS: [");
    if (!line.startsWith("      ") || tags < 0) continue;
    const name = line.slice(6, tags).trim();
    if (name) out.push(name);
  }
  return out;
}

/** stdout of a successful run, or undefined (failed, or over time: then killed with all it started). */
function capture(command: { file: string; args: string[]; env: NodeJS.ProcessEnv }, cwd: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    const child = spawn(command.file, command.args, { cwd, env: command.env, detached: true, stdio: ["ignore", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on("data", (b: Buffer) => {
      if ((size += b.length) <= 4 << 20) chunks.push(b);
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }, timeoutMs);
    child.on("error", () => {
      clearTimeout(timer);
      resolvePromise(undefined);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise(code === 0 ? Buffer.concat(chunks).toString("utf8") : undefined);
    });
  });
}
