/** Shared helpers for the transport tests (both transports run commands on this very machine). */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection, ExecOptions, ExecResult } from "../../server/transports/types";

export const never = new AbortController().signal;

export interface Collected extends ExecResult {
  stdout: string;
  stderr: string;
  stdoutChunks: string[];
}

/** exec, collecting the streamed output. */
export async function run(conn: Connection, command: string, options: Partial<ExecOptions> = {}): Promise<Collected> {
  const stdoutChunks: string[] = [];
  const stderrChunks: string[] = [];
  const result = await conn.exec(command, {
    signal: never,
    ...options,
    onStdout: (c) => {
      stdoutChunks.push(c);
      options.onStdout?.(c);
    },
    onStderr: (c) => {
      stderrChunks.push(c);
      options.onStderr?.(c);
    },
  });
  return { ...result, stdout: stdoutChunks.join(""), stderr: stderrChunks.join(""), stdoutChunks };
}

/**
 * A scratch directory everyone (including `nobody`) can read, holding a copy of `sleep` whose path carries a
 * unique marker: `pgrep -f MARKER` then finds exactly the processes of one test's command tree.
 */
export function markerDir(): { dir: string; marker: string; sleep: string; cleanup: () => void } {
  const marker = `fd-marker-${randomBytes(6).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), `${marker}-`));
  chmodSync(dir, 0o755);
  const sleep = join(dir, "sleep");
  copyFileSync(execFileSync("sh", ["-c", "command -v sleep"]).toString().trim(), sleep);
  chmodSync(sleep, 0o755);
  return { dir, marker, sleep, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A shell loop that waits (bounded: 10 s) until `path` exists: lets a test decide when a command goes on. */
export function gate(path: string): string {
  return `__i=0; while [ ! -e '${path}' ] && [ $__i -lt 500 ]; do sleep 0.02; __i=$((__i + 1)); done`;
}

/** Bounded polling for a condition that another process makes true (no fixed sleeps). */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, tries = 100, pauseMs = 50): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Can this machine switch users with `sudo -n` (root with sudo installed, or a sudoer without a password)? */
export function sudoWorks(): string | undefined {
  if (!existsSync("/usr/bin/sudo") && !existsSync("/bin/sudo")) return "sudo is not installed (apt-get install sudo)";
  try {
    execFileSync("sudo", ["-n", "-u", "nobody", "true"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "sudo -n -u nobody does not work for this user";
  }
}

export function shellOut(cmd: string): string {
  return execFileSync("sh", ["-c", cmd]).toString();
}
