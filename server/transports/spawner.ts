/**
 * Starting a server's local step processes. Node forks to spawn, and a fork blocks the forking thread for a
 * time that grows with the process's memory: about 7 ms for a worker executing a large run, against about 1 ms
 * for a small Node process. Profiled with a 10,000-host local run, the worker's event loop spent 85% of its time
 * in spawn, and every stored event waited for it. So a server starts its sandboxed steps through a small,
 * long-lived process of its own (server/workers/spawner.mjs) that relays their pipes over its IPC channel; the
 * server's loop only passes messages. Where that process's entry is missing, steps are spawned directly.
 *
 * The spawner also gives steps one session to share, at the lowest priority: with the kernel's autogroups (the
 * default on Debian) the scheduler shares CPU between sessions, and 50 steps at once in 50 sessions of their
 * own took most of two cores from the server however nice each process was.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { STEP_NICENESS } from "./sandbox";

/** What the local transport needs of a step's process: its pipes, its end, and a way to end its whole group. */
export interface StepProcess extends EventEmitter<{ error: [Error]; close: [number | null, NodeJS.Signals | null] }> {
  readonly stdin: Writable;
  readonly stdout: PassThrough | NodeJS.ReadableStream;
  readonly stderr: PassThrough | NodeJS.ReadableStream;
  /** Ends the step and everything it started (its process group; a sandboxed step's pid namespace). */
  killTree(signal: NodeJS.Signals): void;
}

/** Starts `file args` with exactly `env`, in a process group of its own, with three pipes. */
export type StartStep = (file: string, args: readonly string[], env: Readonly<Record<string, string | undefined>> | undefined) => StepProcess;

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Spawns from this process (the CLI, and the fallback). */
export const spawnDirectly: StartStep = (file, args, env) => {
  const child = spawn(file, args, { detached: true, stdio: ["pipe", "pipe", "pipe"], env: env as NodeJS.ProcessEnv | undefined });
  return Object.assign(child, { killTree: (signal: NodeJS.Signals) => signalGroup(child.pid, signal) }) as unknown as StepProcess;
};

type FromSpawner =
  | { t: "out"; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: "error"; id: number; message: string }
  | { t: "close"; id: number; code: number | null; signal: NodeJS.Signals | null };

type ToSpawner =
  | { t: "spawn"; id: number; file: string; args: readonly string[]; env: Readonly<Record<string, string | undefined>> | undefined }
  | { t: "in" | "end"; id: number; data?: Uint8Array }
  | { t: "kill"; id: number; signal: NodeJS.Signals };

class RelayedStep extends EventEmitter<{ error: [Error]; close: [number | null, NodeJS.Signals | null] }> implements StepProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;

  constructor(
    private readonly id: number,
    private readonly post: (m: ToSpawner) => void,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        post({ t: "in", id, data: chunk });
        done();
      },
      final: (done) => {
        post({ t: "end", id });
        done();
      },
    });
  }

  killTree(signal: NodeJS.Signals): void {
    this.post({ t: "kill", id: this.id, signal });
  }

  /** A message from the spawner about this step. */
  take(m: FromSpawner): void {
    if (m.t === "out") (m.fd === 1 ? this.stdout : this.stderr).write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    else if (m.t === "error") this.emit("error", new Error(m.message));
    else if (m.t === "close") {
      // The streams end first, so their last chunk is read before `close`, as with a child of our own.
      this.stdout.end();
      this.stderr.end();
      let pending = 2;
      const done = () => {
        if (--pending === 0) this.emit("close", m.code, m.signal);
      };
      this.stdout.once("end", done).resume();
      this.stderr.once("end", done).resume();
    }
  }

  /** The spawner is gone: the step is lost with it (killed as the spawner ended). */
  lost(reason: string): void {
    this.emit("error", new Error(reason));
  }
}

/** One spawner process, started on first use and again after it ends; idle, it keeps nothing alive. */
export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly steps = new Map<number, RelayedStep>();

  constructor(
    private readonly entry: string,
    /** The niceness of the session steps share (none: left as it is). */
    private readonly sessionNiceness?: number,
  ) {}

  readonly start: StartStep = (file, args, env) => {
    const child = this.process();
    const id = this.nextId++;
    const step = new RelayedStep(id, (m) => this.post(child, m));
    this.steps.set(id, step);
    if (this.steps.size === 1) child.channel?.ref();
    step.once("close", () => this.forget(id));
    this.post(child, { t: "spawn", id, file, args, env });
    return step;
  };

  private forget(id: number): void {
    this.steps.delete(id);
    if (this.steps.size === 0) this.child?.channel?.unref();
  }

  private post(child: ChildProcess, m: ToSpawner): void {
    if (child.connected) child.send(m);
  }

  private process(): ChildProcess {
    if (this.child?.connected) return this.child;
    // An empty environment and no inherited flags: the spawner needs nothing of the server's, and tsx's
    // loader or an inspector given to the server would only make it bigger and slower to fork.
    // detached: a session of its own, without a terminal, for its steps to share.
    const child = fork(this.entry, this.sessionNiceness === undefined ? [] : [String(this.sessionNiceness)], {
      env: {} as NodeJS.ProcessEnv,
      execArgv: [],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      detached: true,
    });
    child.unref();
    child.channel?.unref();
    child.on("message", (m: FromSpawner) => this.steps.get(m.id)?.take(m));
    const gone = () => {
      if (this.child !== child) return;
      this.child = undefined;
      for (const [id, step] of this.steps) {
        this.steps.delete(id);
        step.lost("the step spawner process ended");
      }
    };
    child.on("exit", gone);
    child.on("error", gone);
    this.child = child;
    return child;
  }

  /** Ends the spawner process (its running steps' groups are killed as it goes). */
  close(): void {
    this.child?.disconnect();
  }
}

let shared: StartStep | undefined;

/** This process's way of starting sandboxed steps: through the spawner when its entry is here, else directly. */
export function stepStarter(): StartStep {
  if (!shared) {
    const entry = join(/* turbopackIgnore: true */ process.cwd(), "server", "workers", "spawner.mjs");
    shared = existsSync(entry) ? new Spawner(entry, STEP_NICENESS).start : spawnDirectly;
  }
  return shared;
}
