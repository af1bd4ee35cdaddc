/**
 * Batch actions: a step that runs once for all the hosts of a batch together, where Flightdeck runs (an Ansible
 * playbook against the batch's hosts), instead of once per host. The hosts meet at the step as at a `sync`
 * barrier; the action then runs once with those that arrived, and reports each host's outcome, plus sub-steps
 * (a playbook's tasks) that each host goes through, as steps of their own named `STEP/SUB-STEP`.
 */
import type { Site, SitePolicy } from "../inventory";
import type { Sandbox } from "../transports/sandbox";
import type { ConnectionSettings } from "../transports/types";
import type { ActionResult } from "./actions/types";
import type { StepStatus } from "./events";
import type { PlannedStep } from "./plan";

/** How the step ended on one host: `skipped` when the action had nothing to do there (no play of a playbook named it). */
export type HostOutcome = ActionResult | { status: "unreachable" | "skipped"; message?: string };

/** What a batch action reports about one host's sub-step (a task). */
export interface SubStepUpdate {
  /** Identifies the sub-step within this batch's run (an Ansible task's uuid). */
  key: string;
  /** Its name as the action knows it; the step's id is `STEP/NAME`, made unique in the run. */
  name: string;
  status: StepStatus;
  durationMs?: number;
  exitCode?: number | null;
  message?: string;
}

export interface BatchContext {
  step: PlannedStep;
  /** The hosts of the batch that reached the step, in inventory order. */
  hosts: string[];
  site: Site;
  /** The step's params, rendered (the same for every host) with secret values in place. */
  params: Record<string, unknown>;
  /** A `secret:` or `env:` reference's value (masked in everything the run emits from then on). */
  secret: (ref: string) => Promise<string>;
  /** A host's connection as Flightdeck's own transports use it (jump hosts resolved). */
  connection: (host: string) => ConnectionSettings;
  siteDir?: string;
  /** On a server: what the site may use, and the sandbox programs run in there. */
  server?: { policy: SitePolicy; sandbox?: Sandbox };
  /** The run's forks. */
  forks: number;
  become?: boolean | string;
  signal: AbortSignal;
  /** A host's sub-step changed state (it is created on first mention, after the sub-steps already seen). */
  subStep: (host: string, update: SubStepUpdate) => void;
  /** Output of a host's sub-step (by key), or of the step itself (key undefined). */
  output: (host: string, key: string | undefined, stream: "stdout" | "stderr", data: string) => void;
  /** A run-wide notice (not about one host). */
  notice: (message: string) => void;
}

/** Every host of the batch gets an outcome; a host left out of the answer failed with `missing`. */
export type BatchAction = (ctx: BatchContext) => Promise<Map<string, HostOutcome>>;

/**
 * The meeting point of a batch step: every expected host arrives (with its rendered params) or leaves (it failed
 * earlier, its `when` was false); then `run` is called once with those that arrived, and each gets its answer.
 */
export class BatchGate<A, R> {
  private readonly arrived = new Map<string, A>();
  private readonly waiters = new Map<string, (r: R | undefined) => void>();
  private started = false;

  constructor(
    private readonly expected: Set<string>,
    private readonly run: (arrived: Map<string, A>) => Promise<Map<string, R>>,
  ) {}

  /** Resolves with this host's answer once the batch's run has ended (undefined when it had none). */
  arrive(who: string, arg: A): Promise<R | undefined> {
    this.arrived.set(who, arg);
    const p = new Promise<R | undefined>((resolve) => this.waiters.set(who, resolve));
    this.check();
    return p;
  }

  leave(who: string) {
    if (this.arrived.has(who)) return;
    this.expected.delete(who);
    this.check();
  }

  private check() {
    if (this.started) return;
    for (const e of this.expected) if (!this.arrived.has(e)) return;
    this.started = true;
    if (!this.arrived.size) return;
    const settle = (results: Map<string, R> | undefined) => {
      for (const [who, resolve] of this.waiters) resolve(results?.get(who));
    };
    this.run(this.arrived).then(settle, () => settle(undefined));
  }
}

/**
 * Ids of a step's sub-steps: `STEP/NAME`, the second sub-step of the same name `STEP/NAME (2)` and so on, never one
 * of `reserved` (the run's other step ids). The same names in the same order give the same ids, so a playbook's
 * tasks listed at plan time and reported live (once per batch) meet under one id.
 */
export class SubStepNames {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(
    private readonly parent: string,
    private readonly reserved: ReadonlySet<string>,
  ) {}

  /** The id given to `key`, if it has one yet. */
  known(key: string): string | undefined {
    return this.byKey.get(key);
  }

  idFor(key: string, name: string): string {
    let id = this.byKey.get(key);
    if (id === undefined) {
      const base = `${this.parent}/${name}`;
      id = base;
      for (let n = 2; this.used.has(id) || this.reserved.has(id); n++) id = `${base} (${n})`;
      this.used.add(id);
      this.byKey.set(key, id);
    }
    return id;
  }
}
