/**
 * The sandbox of local steps on a server: bubblewrap (Debian's `bubblewrap`, `bwrap`), the tool Flatpak and
 * others build on, maintained and small. A step sees the system's programs and configuration read-only (/usr,
 * /etc and the /bin, /lib links), a fresh /proc and /dev, its own /tmp and home (a private directory per
 * host and run, kept between that host's steps), the environment PATH, HOME, LANG and what the step sets,
 * and nothing else of the server's files: no data directory, no identity, no database, no server process.
 * It runs unprivileged: as the server's own user inside a user namespace, or, when the server is root, as
 * FLIGHTDECK_RUN_USER (switched with util-linux's setpriv before bwrap starts), so it cannot read what that
 * user cannot. The network is shared: local steps exist to reach controllers (MAAS, APIs) from the server.
 * When a sandbox cannot be made, `findSandbox` says what to install or set, and local steps are refused.
 */
import { spawnSync } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, realpathSync, rmSync, statSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** One connection's private directories (its steps' home and /tmp), and how to run a program inside them. */
export interface Workspace {
  /** argv that runs `inner` sandboxed in this workspace. */
  argv(inner: readonly string[]): string[];
  /** The environment to start that argv with (the sandbox clears it anyway). */
  readonly env: NodeJS.ProcessEnv;
  /** The home directory on the server's side (it is SANDBOX_HOME inside): where to put files for the program. */
  readonly home: string;
  dispose(): Promise<void>;
}

export interface WorkspaceOptions {
  /** Share the server's network (default true: local steps reach controllers); false leaves only loopback. */
  network?: boolean;
  /**
   * Start each program in a session of its own (bwrap --new-session, the default): no way back to a terminal
   * of the caller's. Steps start in a session that has no terminal anyway (the spawner's, or their own), and
   * must share it: a session per step is a scheduling entity per step, which niceness cannot lower.
   */
  newSession?: boolean;
}

export interface Sandbox {
  /** e.g. "bubblewrap sandbox as nobody": how a connection's description says where steps run. */
  readonly description: string;
  workspace(options?: WorkspaceOptions): Promise<Workspace>;
}

export type SandboxStatus = { ok: true; sandbox: Sandbox } | { ok: false; message: string };

export interface SandboxOptions {
  /** Hidden even where they lie inside the system directories a step sees (the data directory, identity files). */
  hide: readonly string[];
  /** When the server is root: the unprivileged user steps run as. */
  runUser: string;
  /** bwrap's path; default: found on PATH. */
  bwrap?: string;
  lang?: string;
  /** Where workspaces are made (default: the temp directory); see `prepareWorkspaces`. */
  workspaces?: string;
}

/** The home directory (and working directory) of a step inside the sandbox. */
export const SANDBOX_HOME = "/home/flightdeck";
const SANDBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** What setpriv and bwrap start with: nothing of the server's environment (Next's types insist on NODE_ENV). */
const SPAWN_ENV = { PATH: SANDBOX_PATH } as Partial<NodeJS.ProcessEnv> as NodeJS.ProcessEnv;
/** System directories a step sees read-only (those that exist; symlinks such as /bin -> usr/bin stay links). */
const SYSTEM_DIRS = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const INSTALL_BWRAP = "install bubblewrap (apt-get install bubblewrap)";
/**
 * Steps run at the lowest CPU priority: on the server, the server's own work comes first (the scheduler still
 * gives steps every cycle the server leaves). Measured with a 10,000-host run of 50 local steps at once on 2
 * cores: the steps' processes otherwise delay storing and broadcasting the run's events, and every other
 * request, by hundreds of milliseconds. This is each step process's niceness (coreutils' nice, when present);
 * with the kernel's autogroups (Debian's default), sessions are what the scheduler weighs, so steps also share
 * one session whose niceness is this (the spawner's: ./spawner).
 */
export const STEP_NICENESS = 19;

function findProgram(name: string, explicit?: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"].filter(Boolean);
  for (const candidate of explicit ? [explicit] : dirs.map((d) => join(d, name))) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function idOf(flag: "-u" | "-g", user: string): number | undefined {
  const r = spawnSync("id", [flag, "--", user], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isInteger(n) ? n : undefined;
}

/** bwrap arguments that show the system read-only and hide `hide`. */
function systemArgs(hide: readonly string[]): string[] {
  const args: string[] = [];
  const roots: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (st.isDirectory()) {
      args.push("--ro-bind", dir, dir);
      roots.push(dir);
    }
  }
  // /etc/resolv.conf may be a link into /run (systemd-resolved): its target is needed for names to resolve.
  try {
    const resolv = realpathSync("/etc/resolv.conf");
    if (!roots.some((r) => resolv.startsWith(`${r}/`))) args.push("--ro-bind", resolv, resolv);
  } catch {
    // no resolver configuration
  }
  for (const path of hide) {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      continue; // does not exist: nothing to hide
    }
    if (!roots.some((r) => real === r || real.startsWith(`${r}/`))) continue; // not visible anyway
    args.push(...(statSync(real).isDirectory() ? ["--tmpfs", real] : ["--ro-bind", "/dev/null", real]));
  }
  return args;
}

class Bubblewrap implements Sandbox {
  readonly description: string;

  constructor(
    private readonly bwrap: string,
    /** setpriv and the ids to switch to, when the server is root. */
    private readonly drop: { setpriv: string; uid: number; gid: number; user: string } | undefined,
    private readonly system: readonly string[],
    private readonly lang: string,
    private readonly parent: string,
    /** coreutils' nice, to start steps at STEP_NICENESS; none: they run at the server's own priority. */
    private readonly nice: string | undefined,
  ) {
    this.description = `bubblewrap sandbox as ${drop ? drop.user : "the server's user"}`;
  }

  argvIn(dir: string, inner: readonly string[], network = true, newSession = true): string[] {
    const lower = this.nice ? [this.nice, "-n", String(STEP_NICENESS)] : [];
    const drop = this.drop ? [this.drop.setpriv, `--reuid=${this.drop.uid}`, `--regid=${this.drop.gid}`, "--clear-groups", "--"] : [];
    return [
      ...lower,
      ...drop,
      this.bwrap,
      "--unshare-all",
      ...(network ? ["--share-net"] : []),
      "--die-with-parent",
      ...(newSession ? ["--new-session"] : []),
      "--clearenv",
      "--setenv", "PATH", SANDBOX_PATH,
      "--setenv", "HOME", SANDBOX_HOME,
      "--setenv", "LANG", this.lang,
      ...this.system,
      "--proc", "/proc",
      "--dev", "/dev",
      "--bind", join(dir, "tmp"), "/tmp",
      "--bind", join(dir, "home"), SANDBOX_HOME,
      "--chdir", SANDBOX_HOME,
      "--",
      ...inner,
    ];
  }

  async workspace(options: WorkspaceOptions = {}): Promise<Workspace> {
    await mkdir(this.parent, { recursive: true, mode: 0o711 }); // a temp cleaner may have removed it
    const dir = await mkdtemp(join(this.parent, "flightdeck-local-"));
    try {
      await mkdir(join(dir, "home"), { mode: 0o700 });
      await mkdir(join(dir, "tmp"), { mode: 0o700 });
      // The unprivileged user owns its directories; the parent stays 0700 so no one else can look in.
      if (this.drop) for (const d of [dir, join(dir, "home"), join(dir, "tmp")]) await chown(d, this.drop.uid, this.drop.gid);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return {
      argv: (inner) => this.argvIn(dir, inner, options.network ?? true, options.newSession ?? true),
      env: SPAWN_ENV,
      home: join(dir, "home"),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }

  /** Run `true` in a throwaway workspace: the sandbox works here, or why not. */
  probe(): string | undefined {
    // In the workspaces' directory: a run user who cannot reach it is found here, not at the first step.
    const dir = mkdtempSync(join(this.parent, "flightdeck-probe-"));
    try {
      for (const d of ["home", "tmp"]) spawnSync("mkdir", ["-m", "700", join(dir, d)]);
      if (this.drop) spawnSync("chown", ["-R", `${this.drop.uid}:${this.drop.gid}`, dir]);
      const [file, ...args] = this.argvIn(dir, ["/bin/sh", "-c", "exit 0"]);
      const r = spawnSync(file!, args, { encoding: "utf8", timeout: 15_000, env: SPAWN_ENV });
      if (r.status === 0) return undefined;
      const said = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split("\n")[0];
      const who = this.drop ? this.drop.user : "the server's user";
      return (
        `local steps are refused: bwrap cannot make its sandbox as ${who} (${said}). Allow unprivileged user namespaces ` +
        `(sysctl -w kernel.unprivileged_userns_clone=1 on Debian, kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu, ` +
        `user.max_user_namespaces above 0), or make bwrap setuid root (chmod u+s ${this.bwrap})`
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The server's sandbox, or why local steps cannot be isolated here. It runs a real probe; callers cache the
 * answer (see `sandboxFinder`).
 */
export function findSandbox(options: SandboxOptions): SandboxStatus {
  const bwrap = findProgram("bwrap", options.bwrap);
  if (!bwrap) return { ok: false, message: `local steps run in a sandbox, and this server has none: ${INSTALL_BWRAP}` };
  let drop: { setpriv: string; uid: number; gid: number; user: string } | undefined;
  if (process.getuid?.() === 0) {
    const setpriv = findProgram("setpriv");
    if (!setpriv) return { ok: false, message: "local steps are refused: the server runs as root and needs setpriv to drop to an unprivileged user: install util-linux (apt-get install util-linux)" };
    const user = options.runUser;
    const uid = idOf("-u", user);
    const gid = idOf("-g", user);
    if (uid === undefined || gid === undefined) {
      return { ok: false, message: `local steps are refused: FLIGHTDECK_RUN_USER names '${user}', which is not a user on this server: create it (useradd --system --no-create-home ${user}) or name another unprivileged user` };
    }
    if (uid === 0 || gid === 0) return { ok: false, message: `local steps are refused: FLIGHTDECK_RUN_USER '${user}' is root; name an unprivileged user` };
    drop = { setpriv, uid, gid, user };
  }
  const sandbox = new Bubblewrap(bwrap, drop, systemArgs(options.hide), options.lang || "C.UTF-8", options.workspaces ?? tmpdir(), findProgram("nice"));
  const problem = sandbox.probe();
  return problem ? { ok: false, message: problem } : { ok: true, sandbox };
}

/** How long a failed probe is trusted: an admin who installs bubblewrap needs no restart. */
const RETRY_FAILED_MS = 30_000;

/** `findSandbox`, probed once when it works and again (at most every 30 s) while it does not. */
export function sandboxFinder(options: SandboxOptions): () => SandboxStatus {
  let last: { status: SandboxStatus; at: number } | undefined;
  return () => {
    if (!last || (!last.status.ok && Date.now() - last.at > RETRY_FAILED_MS)) last = { status: findSandbox(options), at: Date.now() };
    return last.status;
  };
}

/**
 * A server's own directory of workspaces, emptied at start: what a killed server left behind goes, and no other
 * server's (each has its own). Traversable by the unprivileged run user, listable only by the server.
 */
export function prepareWorkspaces(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  chmodSync(dir, 0o711); // whatever the umask
  return dir;
}

/** Paths a sandbox must hide besides the data directory: identity files named by the server's environment. */
export function identityPaths(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (env.SOPS_AGE_KEY_FILE) out.push(env.SOPS_AGE_KEY_FILE);
  const config = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, ".config") : undefined);
  if (config) out.push(join(config, "sops", "age"));
  return out.filter((p) => existsSync(p) || existsSync(dirname(p)));
}
