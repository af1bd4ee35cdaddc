/**
 * One ansible-playbook process: started in its own process group (in the sandbox, bwrap's pid namespace holds
 * everything it starts), its callback plugin's event lines read from a pipe on fd 3 as they come, its stdout and
 * stderr passed on, and ended with everything it started when the run is cancelled or times out.
 */
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** The descriptor the plugin writes to (FLIGHTDECK_EVENTS_FD). */
export const EVENTS_FD = 3;
/** After SIGTERM, how long ansible-playbook has before everything it started is killed. */
const KILL_AFTER_MS = 2_000;
/** What is kept of stderr for the error message (the start holds Ansible's "ERROR!"). */
const STDERR_KEPT = 64 << 10;

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  signal: AbortSignal;
  onEvent: (line: string) => void;
  onOutput: (stream: "stdout" | "stderr", text: string) => void;
}

export function runPlaybook(command: { file: string; args: string[]; env: NodeJS.ProcessEnv }, o: RunOptions): Promise<Finished> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) return resolve({ code: null, signal: "SIGTERM", stderr: "" });
    const child = spawn(command.file, command.args, { cwd: o.cwd, env: command.env, detached: true, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    let stderr = "";
    let killer: NodeJS.Timeout | undefined;
    const group = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      group("SIGTERM");
      killer ??= setTimeout(() => group("SIGKILL"), KILL_AFTER_MS);
    };
    o.signal.addEventListener("abort", onAbort, { once: true });

    readLines(child.stdio[EVENTS_FD] as Readable, o.onEvent);
    for (const stream of ["stdout", "stderr"] as const) {
      const decoder = new StringDecoder("utf8");
      child[stream]!.on("data", (b: Buffer) => {
        const text = decoder.write(b);
        if (stream === "stderr" && stderr.length < STDERR_KEPT) stderr += text;
        if (text) o.onOutput(stream, text);
      });
    }
    child.on("error", (e) => {
      o.signal.removeEventListener("abort", onAbort);
      clearTimeout(killer);
      reject(new Error(`cannot run ${command.file}: ${e.message}`));
    });
    child.on("close", (code, sig) => {
      o.signal.removeEventListener("abort", onAbort);
      clearTimeout(killer);
      // Anything of the group still alive (a worker that ignored SIGTERM) goes with the process.
      group("SIGKILL");
      resolve({ code, signal: sig, stderr });
    });
  });
}

/** Whole lines of a stream, as they come. */
function readLines(stream: Readable, onLine: (line: string) => void) {
  const decoder = new StringDecoder("utf8");
  let rest = "";
  stream.on("data", (b: Buffer) => {
    const text = rest + decoder.write(b);
    const lines = text.split("\n");
    rest = lines.pop()!;
    for (const line of lines) if (line) onLine(line);
  });
  stream.on("end", () => {
    if (rest) onLine(rest);
  });
}

/**
 * Ends the ssh ControlPersist masters that ansible-playbook left in `controlDir` (outside a sandbox they outlive
 * it by design; a sandbox's pid namespace ends them with it). Each is asked to exit through its socket.
 */
export async function closeMasters(controlDir: string): Promise<void> {
  const sockets = await readdir(controlDir).catch(() => [] as string[]);
  await Promise.all(
    sockets.map(
      (name) =>
        new Promise<void>((resolve) => {
          const child = spawn("ssh", ["-o", `ControlPath=${join(controlDir, name)}`, "-O", "exit", "flightdeck"], { stdio: "ignore" });
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          child.on("error", () => resolve());
          child.on("close", () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}
