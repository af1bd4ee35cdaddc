/**
 * Ansible's own check of the playbooks that `ansible.playbook` steps name: `ansible-playbook --syntax-check`,
 * its errors turned into diagnostics located where Ansible says (the playbook, or the role file it names).
 *
 * A syntax check runs the site's content (vars plugins, collections beside the playbook), so it runs as a local
 * step does: in the bubblewrap sandbox (server/transports/sandbox.ts), here without network, on a temporary copy
 * of the site's Ansible content, with HOME and Ansible's temp in the sandbox, a time limit and bounded output,
 * and never with the server's environment or files. Nothing here blocks the event loop (a child process).
 * Results are cached by content hash: live lint while someone edits an inventory runs no Ansible at all.
 * When Ansible or the sandbox is missing, each step's `playbook:` gets a warning saying it was not checked.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, realpathSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { playbookPath, siteFileKind, type Diagnostic, type PlaybookRef, type SiteFile } from "../inventory";
import { TokenBuckets } from "../rate-limit";
import { SANDBOX_HOME, type SandboxStatus } from "../transports/sandbox";
import { contentHash, writeAnsibleContent } from "./content";

export const ANSIBLE_MISSING = "playbook not checked: ansible-playbook is not installed (apt-get install ansible-core)";

/** Where the site's Ansible content is inside the sandbox; Ansible's messages name files below it. */
const SITE_ROOT = `${SANDBOX_HOME}/site`;
/** Folders the sandbox shows (server/transports/sandbox.ts): an ansible-playbook elsewhere cannot run in it. */
const VISIBLE = ["/usr/", "/bin/", "/sbin/", "/lib/", "/etc/"];

export const SYNTAX_CHECK_LIMITS = {
  /** One `ansible-playbook --syntax-check`. */
  timeoutMs: 30_000,
  /** Output kept of one check (stdout and stderr each); the error is at the start. */
  outputBytes: 64 << 10,
  /** Distinct playbooks checked for one lint; the others get a warning. */
  playbooks: 16,
  /** Checks running at once in this process (each is a Python process; the machine may have 2 cores). */
  running: 1,
  /** Checks waiting, over all callers and per caller, before more are answered "not checked now". */
  queued: 8,
  queuedPerUser: 2,
  /** Results remembered (by content hash). */
  cached: 256,
  /** Each caller's seconds of syntax checking (server only; the CLI has no budget). */
  budget: { burst: 30, perSecond: 0.5 },
} as const;

export interface PlaybookCheckerOptions {
  /** The sandbox checks run in, or why there is none (asked only when a site has playbooks to check). */
  sandbox: () => SandboxStatus;
  /** The PATH ansible-playbook is looked up on (default: this process's). */
  path?: string;
  timeoutMs?: number;
  /** Charge callers' time (the server); without it every check runs (the CLI). */
  budget?: boolean;
}

/** A check's outcome, as cached: diagnostics located in the site, or why the playbook was not checked. */
type Outcome = { diagnostics: Diagnostic[] } | { notChecked: string; cache: boolean };

interface Waiting {
  user: string;
  start: () => void;
}

export class PlaybookChecker {
  private readonly cache = new Map<string, Outcome>();
  private readonly inFlight = new Map<string, Promise<Outcome>>();
  private readonly queue: Waiting[] = [];
  private running = 0;
  private readonly budget?: TokenBuckets;
  /** How many ansible-playbook processes this checker started (the cache's effect, for tests and figures). */
  started = 0;

  constructor(private readonly options: PlaybookCheckerOptions) {
    if (options.budget) this.budget = new TokenBuckets(SYNTAX_CHECK_LIMITS.budget);
  }

  /**
   * Diagnostics of Ansible's syntax check for every playbook the refs name that exists in the site's Ansible
   * content (a missing one is loadSite's error already), for `user` (their budget and fair share).
   */
  async check(files: readonly SiteFile[], refs: readonly PlaybookRef[], user = "cli"): Promise<Diagnostic[]> {
    const present = new Set(files.map((f) => f.path));
    const byPlaybook = new Map<string, PlaybookRef[]>();
    for (const ref of refs) {
      const named = playbookPath(ref.playbook);
      if ("problem" in named || !present.has(named.path) || siteFileKind(named.path) !== "ansible" || !/\.ya?ml$/i.test(named.path)) continue;
      byPlaybook.set(named.path, [...(byPlaybook.get(named.path) ?? []), ref]);
    }
    if (!byPlaybook.size) return [];
    const warnAll = (message: string, at: Iterable<PlaybookRef[]> = byPlaybook.values()) => [...at].flat().map((ref): Diagnostic => ({ ...ref.at, severity: "warning", message }));

    const ansible = findAnsiblePlaybook(this.options.path ?? process.env.PATH ?? "");
    if (!ansible) return warnAll(ANSIBLE_MISSING);
    if (![ansible, realpathSync(ansible)].every((p) => VISIBLE.some((dir) => p.startsWith(dir)))) {
      return warnAll(`playbook not checked: ${ansible} is outside the folders the sandbox shows (/usr, /bin, /etc): install Debian's ansible-core (apt-get install ansible-core)`);
    }
    const status = this.options.sandbox();
    if (!status.ok) return warnAll(`playbook not checked: Ansible's syntax check runs in the sandbox of local steps, and ${status.message}`);

    const hash = contentHash(files);
    const out: Diagnostic[] = [];
    const playbooks = [...byPlaybook];
    for (const [, refsOf] of playbooks.slice(SYNTAX_CHECK_LIMITS.playbooks)) {
      out.push(...warnAll(`playbook not checked: a site's lint checks at most ${SYNTAX_CHECK_LIMITS.playbooks} playbooks with Ansible`, [refsOf]));
    }
    const outcomes = await Promise.all(
      playbooks.slice(0, SYNTAX_CHECK_LIMITS.playbooks).map(([path]) => this.outcome(createHash("sha256").update(`${ansible}\u0000${hash}\u0000${path}`).digest("hex"), user, () => this.run(status.sandbox, ansible, files, path))),
    );
    playbooks.slice(0, SYNTAX_CHECK_LIMITS.playbooks).forEach(([, refsOf], i) => {
      const outcome = outcomes[i]!;
      if ("notChecked" in outcome) out.push(...warnAll(outcome.notChecked, [refsOf]));
      else out.push(...outcome.diagnostics);
    });
    // Two playbooks that use one broken role report it once.
    const seen = new Set<string>();
    return out.filter((d) => {
      const key = `${d.file}:${d.line}:${d.col}:${d.severity}:${d.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  }

  /** The cached outcome, the one in flight for the same content, or a new check when the caller may start one. */
  private outcome(key: string, user: string, run: () => Promise<Outcome>): Promise<Outcome> {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key); // most recently used last
      this.cache.set(key, cached);
      return Promise.resolve(cached);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const wait = this.budget?.take(user, 0.05);
    if (wait !== undefined) {
      const { burst, perSecond } = SYNTAX_CHECK_LIMITS.budget;
      return Promise.resolve({ notChecked: `playbook not checked now: you have used your time for Ansible syntax checks (${burst} s, refilled at ${perSecond} s per second); it is checked again in ${Math.ceil(wait)} s`, cache: false });
    }
    if (this.running >= SYNTAX_CHECK_LIMITS.running) {
      if (this.queue.length >= SYNTAX_CHECK_LIMITS.queued || this.queue.filter((w) => w.user === user).length >= SYNTAX_CHECK_LIMITS.queuedPerUser) {
        return Promise.resolve({ notChecked: "playbook not checked now: the server is busy with other Ansible syntax checks; it is checked at the next change", cache: false });
      }
    }
    const promise = new Promise<Outcome>((resolve) => {
      const start = () => {
        this.running++;
        this.started++;
        const started = performance.now();
        void run()
          .catch((e: unknown): Outcome => ({ notChecked: `playbook not checked: ${e instanceof Error ? e.message : String(e)}`, cache: false }))
          .then((outcome) => {
            this.running--;
            this.budget?.charge(user, Math.max(0, (performance.now() - started) / 1000 - 0.05));
            this.inFlight.delete(key);
            if (!("notChecked" in outcome) || outcome.cache) {
              this.cache.set(key, outcome);
              if (this.cache.size > SYNTAX_CHECK_LIMITS.cached) this.cache.delete(this.cache.keys().next().value!);
            }
            resolve(outcome);
            this.queue.shift()?.start();
          });
      };
      if (this.running < SYNTAX_CHECK_LIMITS.running) start();
      else this.queue.push({ user, start });
    });
    this.inFlight.set(key, promise);
    return promise;
  }

  /** One `ansible-playbook --syntax-check` in a fresh sandbox workspace without network. */
  private async run(sandbox: Extract<SandboxStatus, { ok: true }>["sandbox"], ansible: string, files: readonly SiteFile[], playbook: string): Promise<Outcome> {
    const workspace = await sandbox.workspace({ network: false });
    try {
      await writeAnsibleContent(join(workspace.home, "site"), files);
      await writeFile(join(workspace.home, "ansible.cfg"), ansibleConfig(), { mode: 0o644 });
      const argv = workspace.argv([
        "/usr/bin/env",
        `ANSIBLE_CONFIG=${SANDBOX_HOME}/ansible.cfg`,
        "ANSIBLE_NOCOLOR=1",
        "ANSIBLE_FORCE_COLOR=0",
        "ANSIBLE_LOCAL_TEMP=/tmp/ansible-local",
        "ANSIBLE_REMOTE_TEMP=/tmp/ansible-remote",
        ansible,
        "--syntax-check",
        "-i",
        "localhost,",
        `${SITE_ROOT}/${playbook}`,
      ]);
      const result = await runBounded(argv, workspace.env, this.options.timeoutMs ?? SYNTAX_CHECK_LIMITS.timeoutMs);
      if (result.timedOut) {
        const seconds = Math.round((this.options.timeoutMs ?? SYNTAX_CHECK_LIMITS.timeoutMs) / 1000);
        return { notChecked: `playbook not checked: ansible-playbook --syntax-check took longer than ${seconds} s and was stopped`, cache: true };
      }
      if (result.code === 0) return { diagnostics: [] };
      return { diagnostics: [syntaxDiagnostic(`${result.stderr}\n${result.stdout}`, playbook, result.code)] };
    } finally {
      await workspace.dispose();
    }
  }
}

/** Roles and collections come from the site; nothing else is configured (no server-wide ansible.cfg is read). */
function ansibleConfig(): string {
  return [
    "[defaults]",
    `roles_path = ${SITE_ROOT}/roles`,
    `collections_path = ${SITE_ROOT}/collections:/usr/share/ansible/collections`,
    "retry_files_enabled = False",
    "",
  ].join("\n");
}

/**
 * ansible-playbook on `path` (directories separated by ':'), or undefined. Its path as found, not resolved: some
 * installs link every ansible-* command to one script that reads the name it was started as.
 */
export function findAnsiblePlaybook(path: string): string | undefined {
  for (const dir of path.split(":").filter(Boolean)) {
    const candidate = join(dir, "ansible-playbook");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run argv, keeping at most SYNTAX_CHECK_LIMITS.outputBytes of each stream, killed at the time limit. */
function runBounded(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    const streams = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const kept = { stdout: 0, stderr: 0 };
    for (const name of ["stdout", "stderr"] as const) {
      child[name].on("data", (chunk: Buffer) => {
        const room = SYNTAX_CHECK_LIMITS.outputBytes - kept[name];
        if (room <= 0) return;
        streams[name].push(chunk.subarray(0, room));
        kept[name] += Math.min(room, chunk.byteLength);
      });
    }
    let timedOut = false;
    // bwrap --die-with-parent ends everything inside when it goes.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout: Buffer.concat(streams.stdout).toString("utf8"), stderr: Buffer.concat(streams.stderr).toString("utf8") });
    });
  });
}

/**
 * Ansible's error as a diagnostic: `ERROR! message` and, when it can tell, "The error appears to be in 'FILE':
 * line L, column C". Paths inside the sandbox become site paths; a place outside the site's files is reported
 * at the playbook, naming it.
 */
export function syntaxDiagnostic(output: string, playbook: string, code: number | null): Diagnostic {
  const local = (text: string) => text.replaceAll(`${SITE_ROOT}/`, "");
  const lines = output.split("\n").map((l) => l.trimEnd());
  const start = lines.findIndex((l) => l.startsWith("ERROR! "));
  let message: string;
  if (start < 0) {
    const last = lines.filter((l) => l.trim() && !/^\[(DEPRECATION )?WARNING\]/.test(l)).pop();
    message = `failed (exit status ${code})${last ? `: ${local(last.trim())}` : ""}`;
  } else {
    const block: string[] = [];
    for (let i = start; i < lines.length && lines[i]!.trim(); i++) block.push(lines[i]!.trim());
    message = block.join(" ").replace(/^ERROR! /, "");
    // A YAML error: Ansible first says it tried JSON too; the YAML parser's own words are what helps.
    if (/^We were unable to read either as JSON nor YAML/.test(message)) {
      const at = lines.findIndex((l) => l.startsWith("Syntax Error while loading YAML."));
      const detail = at >= 0 ? lines[at + 1]?.trim() : undefined;
      message = `YAML syntax: ${detail || "the file is not valid YAML"}`;
    }
    message = local(message);
  }
  const where = /The error appears to be in '([^']+)': line (\d+), column (\d+)/.exec(output);
  let file = playbook;
  let line = 1;
  let col = 1;
  if (where) {
    const [, path, l, c] = where;
    if (path!.startsWith(`${SITE_ROOT}/`)) {
      file = path!.slice(SITE_ROOT.length + 1);
      line = Number(l);
      col = Number(c);
    } else message += ` (at ${path}:${l}:${c})`;
  }
  if (file !== playbook) message += ` (syntax check of ${playbook})`;
  return { file, line, col, endLine: line, endCol: col, severity: "error", message: `ansible-playbook --syntax-check${start < 0 ? " " : ": "}${message}` };
}
