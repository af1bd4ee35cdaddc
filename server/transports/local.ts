/**
 * The local transport: commands run on the machine Flightdeck runs on, through the same abortable script as
 * ssh (./script) fed to `/bin/sh -s` on stdin. Two ways: directly, as the CLI's own user (`flightdeck exec` on
 * one's own machine: files move with fs, become goes through `sudo -n`); or, on a server, inside the sandbox
 * of ./sandbox (commands and file moves alike, in a private workspace per connection; no become).
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname, userInfo } from "node:os";
import { basename, dirname, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { LOCAL_BECOME_REFUSED } from "../inventory/policy";
import type { Workspace } from "./sandbox";
import { spawnDirectly, type StartStep, stepStarter } from "./spawner";
import { ABORT_SEQUENCE_MS, abortedResult, becomeUser, buildExecScript, getArgv, GET_MISSING_STATUS, GET_PROGRAM, modeString, putArgv, PUT_PROGRAM, shellArgv } from "./script";
import type { ConnectOptions, Connection, ConnectionSettings, ExecOptions, ExecResult, PutOptions, Transport } from "./types";

/** After an abort, how long the script may take to end the command before its whole process group is killed. */
const ABORT_FORCE_KILL_MS = ABORT_SEQUENCE_MS + 3_000;

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}

/** Run argv with `stdin` as its whole input, in its own process group (killed on abort). */
function runArgv(start: StartStep, argv: string[], stdin: Buffer | undefined, signal: AbortSignal, env?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  signal.throwIfAborted();
  const [file, ...args] = argv;
  if (!file) throw new Error("empty argv");
  return new Promise((resolve, reject) => {
    const child = start(file, args, env);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const onAbort = () => child.killTree("SIGKILL");
    signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(new Error(`cannot run ${file}: ${e.message}`));
    });
    child.on("close", (code) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) return reject(abortError(signal));
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8").trim() });
    });
    child.stdin.end(stdin);
  });
}

/** What `become` in a sandboxed local step is told (lint says it first): sudo would be a way out of the sandbox. */
export const SANDBOX_BECOME_REFUSED = LOCAL_BECOME_REFUSED;

class LocalConnection implements Connection {
  readonly description: string;
  private readonly user = userInfo().username;
  /** Sandboxed steps start through the server's spawner process (./spawner); the CLI's directly. */
  private readonly start: StartStep;

  /** With a workspace, everything runs in the server's sandbox; without one, directly as this user (the CLI). */
  constructor(private readonly workspace?: Workspace) {
    this.description = workspace ? `local ${hostname()} (sandboxed)` : `local ${this.user}@${hostname()}`;
    this.start = workspace ? stepStarter() : spawnDirectly;
  }

  /** argv that runs `inner` as this connection runs things; sudo for become only outside a sandbox. */
  private argv(inner: string[], become: boolean | string | undefined, sudoArgv: (user: string) => string[]): { argv: string[]; env?: NodeJS.ProcessEnv } {
    if (this.workspace) {
      if (become !== undefined && become !== false) throw new Error(SANDBOX_BECOME_REFUSED);
      return { argv: this.workspace.argv(inner), env: this.workspace.env };
    }
    const user = becomeUser(become, this.user);
    return { argv: user === undefined ? inner : sudoArgv(user) };
  }

  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const started = performance.now();
    const { signal } = options;
    const script = buildExecScript({ command, env: options.env, cwd: options.cwd, pidNamespace: this.workspace !== undefined });
    let run;
    try {
      run = this.argv(shellArgv(undefined), options.become, (user) => shellArgv(user));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const [file, ...args] = run.argv;
    if (signal.aborted) return Promise.resolve({ exitCode: null, signal: "SIGTERM", durationMs: 0 });
    return new Promise<ExecResult>((resolve, reject) => {
      // detached: the shell leads its own process group, so nothing of it can outlive a forced kill below.
      const child = this.start(file ?? "/bin/sh", args, run.env);
      const stdout = new StringDecoder("utf8");
      const stderr = new StringDecoder("utf8");
      let aborted = false;
      let forceKill: NodeJS.Timeout | undefined;
      const emit = (text: string, cb: ((chunk: string) => void) | undefined) => {
        if (text) cb?.(text);
      };
      const onAbort = () => {
        if (aborted) return;
        aborted = true;
        // End of stdin is the script's signal to end the command's process group (see ./script).
        child.stdin.end();
        forceKill = setTimeout(() => child.killTree("SIGKILL"), ABORT_FORCE_KILL_MS);
      };
      const cleanup = () => {
        clearTimeout(forceKill);
        signal.removeEventListener("abort", onAbort);
      };
      child.stdout.on("data", (b: Buffer) => emit(stdout.write(b), options.onStdout));
      child.stderr.on("data", (b: Buffer) => emit(stderr.write(b), options.onStderr));
      child.stdin.on("error", () => undefined); // the shell may exit before reading everything
      child.on("error", (err) => {
        cleanup();
        reject(new Error(`local: cannot run ${file}: ${err.message}`));
      });
      child.on("close", (code, sig) => {
        cleanup();
        emit(stdout.end(), options.onStdout);
        emit(stderr.end(), options.onStderr);
        const durationMs = performance.now() - started;
        if (aborted) return resolve({ ...abortedResult(code, sig ?? undefined), durationMs });
        if (sig) return resolve({ exitCode: null, signal: sig, durationMs });
        resolve({ exitCode: code, durationMs });
      });
      signal.addEventListener("abort", onAbort, { once: true });
      child.stdin.write(script);
      if (signal.aborted) onAbort();
    });
  }

  async putFile(path: string, content: Buffer | string, options: PutOptions): Promise<void> {
    const { signal } = options;
    signal.throwIfAborted();
    const data = typeof content === "string" ? Buffer.from(content) : content;
    const become = this.workspace ? undefined : becomeUser(options.become, this.user);
    if (this.workspace || become !== undefined) {
      const inner = ["/bin/sh", "-c", PUT_PROGRAM, "sh", path, options.mode === undefined ? "" : modeString(options.mode), options.owner ?? "", options.group ?? ""];
      const run = this.argv(inner, options.become, (user) => putArgv(user, path, options.mode, options.owner, options.group));
      const r = await runArgv(this.start, run.argv, data, signal, run.env);
      if (r.code !== 0) throw new Error(`local: cannot write ${path}${become ? ` as ${become}` : ""}: ${r.stderr || `exit status ${r.code}`}`);
      return;
    }
    const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    const tmp = join(dirname(path), `.${basename(path)}.fd-${randomBytes(6).toString("hex")}`);
    const handle = await open(tmp, "wx", 0o600);
    try {
      try {
        await handle.writeFile(data);
      } finally {
        await handle.close();
      }
      signal.throwIfAborted();
      if (options.owner !== undefined || options.group !== undefined) {
        const spec = `${options.owner ?? ""}${options.group !== undefined ? `:${options.group}` : ""}`;
        const r = await runArgv(spawnDirectly, ["chown", "--", spec, tmp], undefined, signal);
        if (r.code !== 0) throw new Error(`chown ${spec}: ${r.stderr || `exit status ${r.code}`}`);
      } else if (existing) {
        await chown(tmp, existing.uid, existing.gid).catch(() => undefined); // keep the old owner when allowed
      }
      await chmod(tmp, options.mode ?? (existing ? existing.mode & 0o7777 : 0o644));
      signal.throwIfAborted();
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (signal.aborted) throw err;
      throw new Error(`local: cannot write ${path}: ${(err as Error).message}`);
    }
  }

  async getFile(path: string, options: { become?: boolean | string; signal: AbortSignal }): Promise<Buffer | null> {
    options.signal.throwIfAborted();
    const become = this.workspace ? undefined : becomeUser(options.become, this.user);
    if (this.workspace || become !== undefined) {
      const run = this.argv(["/bin/sh", "-c", GET_PROGRAM, "sh", path], options.become, (user) => getArgv(user, path));
      const r = await runArgv(this.start, run.argv, undefined, options.signal, run.env);
      if (r.code === GET_MISSING_STATUS) return null;
      if (r.code !== 0) throw new Error(`local: cannot read ${path}${become ? ` as ${become}` : ""}: ${r.stderr || `exit status ${r.code}`}`);
      return r.stdout;
    }
    try {
      return await readFile(path, { signal: options.signal });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.workspace?.dispose();
  }
}

export const localTransport: Transport = {
  name: "local",
  async connect(_settings: ConnectionSettings, options: ConnectOptions): Promise<Connection> {
    options.signal.throwIfAborted();
    const local = options.local;
    if (!local) return new LocalConnection();
    // A server never runs a local step outside its sandbox: without one the step is refused, with the reason.
    if ("refused" in local) throw new Error(local.refused);
    return new LocalConnection(await local.sandbox.workspace({ newSession: false }));
  },
};
