/**
 * Controller-side actions run where Flightdeck runs, once per targeted host, without a connection to the host:
 * they drive an API about the host (MAAS) or wait for the host to answer (wait.ssh).
 */
import type { Site } from "../../inventory";
import type { Connection } from "../../transports/types";
import type { ActionResult } from "./types";

export interface ControllerContext {
  host: string;
  site: Site;
  /** The host's resolved variables (secret references as written, not values). */
  vars: Record<string, unknown>;
  /** The step's params, already rendered for this host. */
  params: Record<string, unknown>;
  /** A `secret:` or `env:` reference's value (masked in everything the run emits from then on). */
  secret: (ref: string) => Promise<string>;
  /** One attempt to reach the host on its connection; on success the run keeps it for the next steps. */
  connect: (timeoutMs: number) => Promise<Connection>;
  /** The MAAS machine this run found or allocated for the host, so later steps act on the same one. */
  machine: { get(): string | undefined; set(systemId: string): void };
  /** A short state for the progress view ("Deploying"), shown while the step runs. */
  progress: (message: string) => void;
  signal: AbortSignal;
  onStdout: (chunk: string) => void;
  onStderr: (chunk: string) => void;
}

export type ControllerAction = (ctx: ControllerContext) => Promise<ActionResult>;
