/**
 * Starting a server's local step processes. Node forks to spawn, and a fork blocks the forking thread for a
 * time that grows with the process's memory: about 7 ms for a worker executing a large run, against about 1 ms
 * for a small Node process. Profiled with a 10,000-host local run, the worker's event loop spent 85% of its time
 * in spawn, and every stored event waited for it. So a server starts its steps through a small, long-lived
 * process of its own (server/workers/spawner.mjs) that relays their pipes over its IPC channel; the server's
 * loop only passes messages. Where that process cannot start, steps are spawned directly, as before.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";

/** What the local transport needs of a step's process: its pipes, its end, and a way to end its whole group. */
export interface StepProcess extends EventEmitter<{ error: [Error]; close: [number | null, NodeJS.Signals | null] }> {
  readonly stdin: Writable;
  readonly stdout: PassThrough | NodeJS.ReadableStream;
  readonly stderr: PassThrough | NodeJS.ReadableStream;
  /** Signals the step's process group (it leads one of its own). */
  killGroup(signal: NodeJS.Signals): void;
}

/** Starts `file args` with exactly `env`, in a process group of its own, with three pipes. */
export type StartStep = (file: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined) => StepProcess;

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
  const child = spawn(file, args, { detached: true, stdio: ["pipe", "pipe", "pipe"], env });
  return Object.assign(child, { killGroup: (signal: NodeJS.Signals) => signalGroup(child.pid, signal) }) as unknown as StepProcess;
};

type FromSpawner =
  | { t: "out"; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: "error"; id: number; message: string }
  | { t: "close"; id: number; code: number | null; signal: NodeJS.Signals | null };

type ToSpawner =
  | { t: "spawn"; id: number; file: string; args: readonly string[]; env: NodeJS.ProcessEnv | undefined }
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

  killGroup(signal: NodeJS.Signals): void {
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

  /** The spawner is gone: the step is lost with it (its group was killed as the spawner ended). */
  lost(reason: string): void {
    this.emit("error", new Error(reason));
  }
}

/** One spawner process, started on first use and again after it ends; idle, it keeps nothing alive. */
export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly steps = new Map<number, RelayedStep>();

  constructor(private readonly entry: string) {}

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
    const child = fork(this.entry, [], { env: {} as NodeJS.ProcessEnv, execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "inherit", "ipc"] });
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
    shared = existsSync(entry) ? new Spawner(entry).start : spawnDirectly;
  }
  return shared;
}
