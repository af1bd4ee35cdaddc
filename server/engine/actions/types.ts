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
  signal: AbortSignal;
  onStdout: (chunk: string) => void;
  onStderr: (chunk: string) => void;
}

export interface ActionResult {
  status: "ok" | "changed" | "failed";
  exitCode?: number | null;
  message?: string;
}

export type Action = (ctx: ActionContext) => Promise<ActionResult>;
