/**
 * An action compares what the host has with what the step wants and does only what is needed: `ok` when
 * nothing had to change, `changed` when it did something, `failed` with a reason otherwise.
 */
import type { Connection } from "../../transports/types";

export interface ActionContext {
  conn: Connection;
  host: string;
  /** The step's params, already rendered for this host. */
  params: Record<string, unknown>;
  /** `FD_SECRET_n` values for the `${FD_SECRET_n}` references in command-line params: set in the command's environment. */
  secretEnv?: Record<string, string>;
  become?: boolean | string;
  siteDir?: string;
  /** For `file.managed` `from:`: what the named `file.fetch` step fetched (the engine looks it up). */
  fetched?: Artifact;
  signal: AbortSignal;
  onStdout: (chunk: string) => void;
  onStderr: (chunk: string) => void;
}

/** A file, or a directory as a gzipped tar, that a step fetched from a host (kept with the run). */
export interface Artifact {
  type: "file" | "directory";
  content: Buffer;
}

export interface ActionResult {
  status: "ok" | "changed" | "failed";
  exitCode?: number | null;
  message?: string;
  /** What `file.fetch` fetched. */
  artifact?: Artifact;
}

export type Action = (ctx: ActionContext) => Promise<ActionResult>;
