/**
 * Importing an Ansible inventory on the server, off the event loop: each import runs in a thread of its own
 * (ansible-import-worker.ts) with a time and a heap limit, a few at a time. The caller gets the site's files, or
 * the inventory's problems as an AnsibleInventoryError (every one located: `file:line:col: message`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { AnsibleInventoryError, type Problem } from "../ansible/inventory/errors";
import { FlightdeckError, type ErrorCode } from "../errors";
import { tooLarge, tooMany } from "../limits";
import type { SiteFile } from "../inventory";

export interface AnsibleImportRequest {
  /** A file or directory on the server, or an archive's text files (`inventory`: where in it the inventory is). */
  source: { path: string } | { files: SiteFile[]; inventory?: string };
  /** Named in the written inventory's header. */
  label: string;
  vaultPassword?: string;
  /** The server's age recipients, for secrets.yml (empty while its identity is locked). */
  recipients: string[];
}

export interface AnsibleImported {
  files: SiteFile[];
  warnings: Problem[];
  hosts: number;
  groups: number;
  secrets: number;
  corrections: number;
}

export type AnsibleImportReply = { ok: true; result: AnsibleImported } | { ok: false; problems: Problem[] } | { ok: false; code?: ErrorCode; message: string };

export const ANSIBLE_IMPORT_LIMITS = {
  /** An import's thread is stopped after this long. */
  timeoutMs: 60_000,
  /** MiB of JS heap one import may use. */
  memoryMb: 512,
  /** Imports running at once on the server (each takes a core while it runs). */
  parallel: 2,
};

const KEY = Symbol.for("flightdeck.ansibleImports");
type Holder = { [KEY]?: { running: number } };

/** Same as check-pool.ts: the entry from the project directory, a path the bundler leaves alone. */
function entryFile(): string {
  const file = join(/* turbopackIgnore: true */ process.cwd(), "server", "workers", "ansible-import-thread.mjs");
  if (!existsSync(file)) throw new Error(`the Ansible importer's thread is missing: ${file} (start the server from the project directory)`);
  return file;
}

class ThreadFailure extends FlightdeckError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export function importAnsibleOffThread(request: AnsibleImportRequest, limits = ANSIBLE_IMPORT_LIMITS): Promise<AnsibleImported> {
  // One count for the custom server and Next's route bundle (they share globalThis).
  const count = ((globalThis as Holder)[KEY] ??= { running: 0 });
  if (count.running >= limits.parallel) return Promise.reject(tooMany(`${limits.parallel} Ansible imports are running`, 10));
  count.running++;
  return new Promise<AnsibleImported>((resolve, reject) => {
    let settled = false;
    let worker: Worker;
    try {
      worker = new Worker(/* turbopackIgnore: true */ /* webpackIgnore: true */ entryFile(), {
        workerData: request,
        resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
        stdout: false,
        stderr: false,
      });
    } catch (e) {
      count.running--;
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      count.running--;
      void worker.terminate();
      done();
    };
    const timer = setTimeout(() => settle(() => reject(tooLarge(`the inventory took longer than ${limits.timeoutMs / 1000} s to import; the server stops there`))), limits.timeoutMs);
    worker.on("message", (reply: AnsibleImportReply) =>
      settle(() => {
        if (reply.ok) resolve(reply.result);
        else if ("problems" in reply) reject(new AnsibleInventoryError(reply.problems));
        else if (reply.code) reject(new ThreadFailure(reply.code, reply.message));
        else reject(new Error(`the Ansible import failed: ${reply.message}`));
      }),
    );
    worker.on("error", (e: Error & { code?: string }) =>
      settle(() => reject(e.code === "ERR_WORKER_OUT_OF_MEMORY" ? tooLarge(`the inventory needs more than ${limits.memoryMb} MiB of memory to import`) : new Error(`the Ansible importer stopped: ${e.message}`))),
    );
    worker.on("exit", (code) => settle(() => reject(new Error(`the Ansible importer's thread exited (code ${code})`))));
  });
}
