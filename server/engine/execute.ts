/**
 * The executor: runs a plan. Stages one after another, operations in order, batches by `serial`; inside a
 * batch every host moves through its steps on its own, meeting the others only at `sync` barriers. A global
 * semaphore (`forks`) bounds how many steps run at once. One connection per host for the whole run.
 * Cancel and step timeouts are the same mechanism: an AbortSignal that ends the remote command.
 */
import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Site, SitePolicy } from "../inventory";
import { transportFor } from "../transports/registry";
import type { Sandbox } from "../transports/sandbox";
import { HostKeyError, UnreachableError, type Connection, type ConnectionSettings } from "../transports/types";
import { TemplateError, type MacroHook } from "../template";
import { BATCH_ACTION_IMPLS, CONTROLLER_ACTION_IMPLS, HOST_ACTIONS, type ActionResult, type Artifact } from "./actions";
import { MemoryArtifacts, type ArtifactStore } from "./artifacts";
import { BatchGate, SubStepNames, type HostOutcome } from "./batch";
import { Barrier, pause, Semaphore } from "./concurrency";
import { formatDuration } from "./duration";
import { hostOutcome, type EngineEvent, type EventSink, type RunStatus, type StepStatus } from "./events";
import { Macros, type MacroCommand } from "./macros";
import { MaskingSink } from "./masking";
import type { Plan, PlannedOperation, PlannedStep } from "./plan";
import { renderParams, testCondition, type TemplateContext, type TemplateEvent } from "./render";
import { referenceOf, RunSecrets, type SecretsSource } from "./secrets";

export interface ExecuteOptions {
  site: Site;
  plan: Plan;
  sink: EventSink;
  /** Aborting it cancels the run: no new step starts, running commands are ended. */
  signal: AbortSignal;
  forks?: number;
  siteDir?: string;
  /** Where `secret:` and `env:` references are resolved from; without it, a step that uses one fails. */
  secrets?: SecretsSource;
  /**
   * Templates' `introspect` ({url, token}) for hosts with a maas.deploy step: the machine fetches its own
   * variables with it (the server's tokens end with the run). Absent in the CLI.
   */
  introspection?: { issue(host: string): { url: string; token: string } };
  /**
   * Set on a server (absent in the CLI, where everything is one's own): what the site may use. Local steps run
   * in `sandbox`, or are refused when the policy refuses them or there is no sandbox; connections read only the
   * files the policy allows.
   */
  server?: { policy: SitePolicy; sandbox?: Sandbox };
  /** Where `file.fetch` results are kept for the run (a server: with the run in its store). Default: in memory. */
  artifacts?: ArtifactStore;
  /** Asked before each batch starts (maintenance windows): a stop ends the run failed, saying why, before the batch. */
  mayStartBatch?: () => { ok: true } | { stop: string };
  /** Templates' `event` when a reaction requested the run. */
  event?: TemplateEvent;
}

/** Why a local step cannot run on this server, or its sandbox. */
function localMode(server: ExecuteOptions["server"]): { sandbox: Sandbox } | { refused: string } | undefined {
  if (!server) return undefined;
  if (server.policy.localRefused) return { refused: server.policy.localRefused };
  if (!server.sandbox) return { refused: "local steps are refused: this server has no sandbox to run them in" };
  return { sandbox: server.sandbox };
}

/** Params that become command lines: they keep `${FD_SECRET_n}` references, the values go in the environment. */
const COMMAND_PARAMS: Record<string, string[]> = { "cmd.run": ["cmd", "creates", "unless"], "script.run": ["args", "interpreter"] };

/** What `steps['name']` shows a later step of the same host. Output kept for templates is capped. */
interface StepRecord {
  status: StepStatus;
  stdout: string;
  stderr: string;
  exit_code: number | null;
  rc: number | null;
  changed: boolean;
  failed: boolean;
  /** What a `file.fetch` step fetched (the bytes are in the run's artifact store under `host` and `step`). */
  artifact?: { type: Artifact["type"]; size: number; sha256: string; host: string; step: string };
}

const KEEP_OUTPUT = 1 << 20;

/** The host that runs an operation's `run_once` steps, and each such step's end, which the other hosts wait for. */
interface Once {
  runner?: string;
  done: Map<string, { promise: Promise<void>; resolve: () => void }>;
}

export async function execute(options: ExecuteOptions): Promise<RunStatus> {
  // Every connection and command listens on the run's signal: hundreds of listeners are expected.
  setMaxListeners(0, options.signal);
  return new Run(options).run();
}

class Run {
  private readonly forks: Semaphore;
  private readonly forksCount: number;
  private readonly status = new Map<string, Map<string, StepStatus>>();
  private readonly results = new Map<string, Record<string, StepRecord>>();
  private readonly connections = new Map<string, Promise<Connection>>();
  /** The MAAS machine found or allocated for each host, for the later MAAS steps of the run. */
  private readonly machines = new Map<string, string>();
  /** Hosts with a maas.deploy step: the ones templates may give an introspection token. */
  private readonly deploys: Set<string>;
  /** Hosts out of the run (failed or unreachable): later operations skip them. */
  private readonly out = new Set<string>();
  private readonly hostVars: Record<string, unknown>;
  /** `hosts` in templates: each host's vars, and its results so far as `hosts['h'].steps`. */
  private readonly hostsView: Record<string, unknown>;
  private readonly macros: Macros;
  private readonly artifacts: ArtifactStore;
  private readonly contexts = new Map<string, TemplateContext>();
  private stopped: string | undefined;
  /** Why mayStartBatch stopped the run (it then ends failed). */
  private gateStopped: string | undefined;
  /** Every event and output chunk goes through it: nothing downstream sees a secret value. */
  private readonly sink: MaskingSink;
  private readonly secrets: RunSecrets;

  constructor(private readonly o: ExecuteOptions) {
    this.sink = new MaskingSink(o.sink);
    this.secrets = new RunSecrets(o.secrets, this.sink);
    this.forksCount = Math.max(1, o.forks ?? 50);
    this.forks = new Semaphore(this.forksCount);
    // Each host has the steps of the operations that target it, and only those.
    for (const h of o.plan.hosts) this.status.set(h, new Map());
    for (const stage of o.plan.stages) for (const op of stage.operations) for (const h of op.hosts) for (const s of op.steps) this.status.get(h)!.set(s.id, "pending");
    this.deploys = new Set(o.plan.stages.flatMap((st) => st.operations.filter((op) => op.steps.some((x) => x.action === "maas.deploy")).flatMap((op) => op.hosts)));
    this.hostVars = Object.fromEntries(o.plan.hosts.map((h) => [h, this.secrets.placeholders(o.site.resolver.resolve(h).vars)]));
    for (const h of o.plan.hosts) this.results.set(h, {});
    this.hostsView = Object.fromEntries(o.plan.hosts.map((h) => [h, { ...(this.hostVars[h] as Record<string, unknown>), steps: this.results.get(h) }]));
    this.macros = new Macros(o.site.workflows.macros, (c, signal) => this.macroCommand(c, signal));
    this.artifacts = o.artifacts ?? new MemoryArtifacts();
  }

  async run(): Promise<RunStatus> {
    const { plan, signal } = this.o;
    const sink = this.sink;
    sink.event({ type: "run.started", hosts: plan.hosts.length, steps: plan.steps.length });
    try {
      for (const [s, stage] of plan.stages.entries()) {
        sink.event({ type: "stage.started", stage: s, name: stage.name });
        for (const [o, op] of stage.operations.entries()) await this.operation(s, o, op);
      }
    } finally {
      await Promise.all([...this.connections.values()].map((c) => c.then((x) => x.close()).catch(() => undefined)));
    }
    // Whatever never got to run is skipped (stopped by max_fail_percentage) or cancelled.
    for (const [host, steps] of this.status) {
      for (const [step, st] of steps) if (st === "pending") this.set(host, step, signal.aborted ? "cancelled" : "skipped", { message: this.stopped });
      sink.event({ type: "host.status", host, status: hostOutcome([...steps.values()]) });
    }
    const outcome: RunStatus = signal.aborted ? "cancelled" : this.gateStopped ? "failed" : [...this.status.values()].some((m) => [...m.values()].some((s) => s === "failed" || s === "unreachable")) ? "failed" : "succeeded";
    sink.event({ type: "run.finished", status: outcome, message: signal.aborted ? "cancelled" : this.stopped });
    return outcome;
  }

  private async operation(stage: number, index: number, op: PlannedOperation) {
    const total = op.hosts.length;
    const once: Once = {
      done: new Map(
        op.steps
          .filter((s) => s.runOnce)
          .map((s) => {
            let resolve!: () => void;
            const promise = new Promise<void>((r) => (resolve = r));
            return [s.id, { promise, resolve }];
          }),
      ),
    };
    for (const [b, batch] of op.batches.entries()) {
      if (this.o.signal.aborted || this.stopped) return;
      const gate = this.o.mayStartBatch?.();
      if (gate && "stop" in gate) {
        this.stopped = this.gateStopped = gate.stop;
        return this.sink.event({ type: "notice", message: gate.stop });
      }
      const hosts = batch.filter((h) => !this.out.has(h));
      this.sink.event({ type: "batch.started", stage, operation: index, batch: b, batches: op.batches.length, hosts });
      const barriers = new Map(op.steps.filter((s) => s.sync && !BATCH_ACTION_IMPLS[s.action]).map((s) => [s.id, new Barrier(new Set(hosts))]));
      // A batch step runs once for the hosts that reach it: they meet there as at a sync barrier.
      const gates: Gates = new Map(
        op.steps.filter((s) => BATCH_ACTION_IMPLS[s.action]).map((s) => [s.id, new BatchGate(new Set(hosts), (arrived: Map<string, Record<string, unknown>>) => this.runBatch(op, s, arrived))]),
      );
      // run_once: the first host of the first batch that has one does the work; the others wait for its result.
      once.runner ??= hosts[0];
      await Promise.all(hosts.map((h) => this.hostSteps(h, op, barriers, gates, once)));
      const failed = op.hosts.filter((h) => this.out.has(h)).length;
      if (total && (failed * 100) / total > op.maxFailPercentage && b < op.batches.length - 1) {
        this.stopped = `stopped: ${failed} of ${total} hosts failed in '${op.name}', more than max_fail_percentage ${op.maxFailPercentage}%`;
        this.sink.event({ type: "notice", message: this.stopped });
      }
    }
  }

  private async hostSteps(host: string, op: PlannedOperation, barriers: Map<string, Barrier>, gates: Gates, once: Once) {
    const runner = once.runner === host;
    try {
      for (const step of op.steps) {
        const goOn = await this.hostStep(host, step, barriers, gates, once);
        if (runner && step.runOnce) once.done.get(step.id)?.resolve();
        if (!goOn) return;
      }
    } finally {
      for (const b of barriers.values()) b.leave(host);
      for (const g of gates.values()) g.leave(host);
      if (runner) for (const d of once.done.values()) d.resolve();
    }
  }

  /** One step of a host's sequence; false when the run was cancelled and the host stops here. */
  private async hostStep(host: string, step: PlannedStep, barriers: Map<string, Barrier>, gates: Gates, once: Once): Promise<boolean> {
    if (this.o.signal.aborted) return false;
    const gate = gates.get(step.id);
    if (step.parent !== undefined) {
      // A sub-step is reported by its parent's action; one still pending here never ran on this host.
      if (this.status.get(host)?.get(step.id) === "pending") this.set(host, step.id, "skipped", { message: this.out.has(host) ? "an earlier step failed on this host" : `${step.parent} did not run on this host` }, step.parent);
      return true;
    }
    if (this.out.has(host)) {
      gate?.leave(host);
      this.set(host, step.id, "skipped", { message: "an earlier step failed on this host" });
      return true;
    }
    const barrier = barriers.get(step.id);
    if (barrier) {
      await barrier.arrive(host);
      if (this.o.signal.aborted) return false;
    }
    if (step.runOnce && host !== once.runner) {
      gate?.leave(host);
      // Its result is this host's too (`steps['x']`), so the host waits for it before going on.
      await once.done.get(step.id)?.promise;
      if (this.o.signal.aborted) return false;
      this.shareOnce(host, step, once.runner);
      return true;
    }
    if (gate) await this.batchStep(host, step, gate);
    else await this.step(host, step);
    return true;
  }

  /** A host that skipped a run_once step gets the runner's result; the runner's failure is its own too. */
  private shareOnce(host: string, step: PlannedStep, runner: string | undefined) {
    const record = runner === undefined ? undefined : this.results.get(runner)?.[step.name];
    const mine = this.results.get(host)!;
    if (record) mine[step.name] = mine[step.id] = record;
    if (record && (record.status === "failed" || record.status === "unreachable")) this.fail(host, step, "failed", `run_once: it failed on ${runner}`);
    else this.set(host, step.id, "skipped", { message: `run_once: runs on ${runner ?? "the first host"} only${record ? "; its result is this host's too" : ""}` });
  }

  /** A host at a batch step: its condition and params are its own; the step then runs once for the batch. */
  private async batchStep(host: string, step: PlannedStep, gate: BatchGate<Record<string, unknown>, HostOutcome>) {
    const context = this.context(host);
    let params: Record<string, unknown>;
    try {
      if (step.when !== undefined && !(await this.withMacros(host, context, (m) => testCondition(step.when!, context, m)))) {
        gate.leave(host);
        this.set(host, step.id, "skipped", { message: `when: ${step.when} is false` });
        return;
      }
    } catch (e) {
      gate.leave(host);
      this.fail(host, step, "failed", `when: ${conditionError(e)}`);
      return;
    }
    try {
      params = await this.withMacros(host, context, (m) => renderParams(step.action, step.params, context, m));
    } catch (e) {
      gate.leave(host);
      this.fail(host, step, "failed", message(e));
      return;
    }
    await gate.arrive(host, params);
  }

  /**
   * A batch step, once for the hosts that arrived: every host's state and outcome, and its sub-steps as the action
   * reports them. Sub-steps the plan listed that a host never reached are skipped; the run's end says cancelled.
   */
  private async runBatch(op: PlannedOperation, step: PlannedStep, arrived: Map<string, Record<string, unknown>>): Promise<Map<string, HostOutcome>> {
    const { signal } = this.o;
    const hosts = op.hosts.filter((h) => arrived.has(h));
    const outcomes = new Map<string, HostOutcome>();
    const failAll = (msg: string) => hosts.forEach((h) => this.fail(h, step, "failed", msg));
    const first = JSON.stringify(arrived.get(hosts[0]!));
    const differs = hosts.find((h) => JSON.stringify(arrived.get(h)) !== first);
    if (differs) {
      failAll(`params render differently on ${hosts[0]} and ${differs}, and ${step.action} runs once for its whole batch: keep them the same for every host (what differs per host belongs in the host's variables)`);
      return outcomes;
    }
    let params = arrived.get(hosts[0]!)!;
    const used = this.secrets.used(params);
    if (used.length) {
      try {
        params = this.secrets.reveal(params, await this.secrets.environment(used));
      } catch (e) {
        failAll(message(e));
        return outcomes;
      }
    }
    let release: () => void;
    try {
      release = await this.forks.acquire(signal);
    } catch {
      return outcomes; // cancelled while waiting: reported as cancelled at the end
    }
    const planned = op.steps.filter((s) => s.parent === step.id).map((s) => s.id);
    const own = new Set(planned);
    const names = new SubStepNames(step.id, new Set(this.o.plan.steps.filter((id) => !own.has(id))));
    const reached = new Map(hosts.map((h) => [h, new Set<string>()]));
    try {
      for (const h of hosts) this.set(h, step.id, "running", { attempt: 1 });
      const started = performance.now();
      const deadline = step.timeoutMs !== undefined ? AbortSignal.timeout(step.timeoutMs) : undefined;
      let answers: Map<string, HostOutcome>;
      try {
        answers = await BATCH_ACTION_IMPLS[step.action]!({
          step,
          hosts,
          site: this.o.site,
          params,
          secret: (ref) => this.secrets.resolve(ref),
          connection: (h) => connectionSettings(this.o.site, h, this.o.siteDir),
          siteDir: this.o.siteDir,
          server: this.o.server,
          forks: this.forksCount,
          become: step.become,
          signal: deadline ? AbortSignal.any([signal, deadline]) : signal,
          subStep: (h, u) => {
            const id = names.idFor(u.key, u.name);
            reached.get(h)?.add(id);
            this.set(h, id, u.status, { durationMs: u.durationMs, exitCode: u.exitCode, message: u.message }, step.id);
          },
          output: (h, key, stream, data) => this.sink.output({ host: h, step: key === undefined ? step.id : (names.known(key) ?? step.id), stream, data }),
          notice: (m) => this.sink.event({ type: "notice", message: m }),
        });
      } catch (e) {
        answers = new Map(hosts.map((h) => [h, { status: "failed" as const, message: message(e) }]));
      }
      const durationMs = Math.round(performance.now() - started);
      for (const h of hosts) {
        // Sub-steps left running were ended with the action; those never reached did not run here.
        const subs = new Set([...planned, ...reached.get(h)!]);
        for (const id of subs) {
          const st = this.status.get(h)?.get(id);
          if (st === "running") this.set(h, id, signal.aborted ? "cancelled" : "failed", { message: signal.aborted ? "cancelled" : `${step.id} ended while this ran` }, step.id);
        }
        if (signal.aborted) {
          this.set(h, step.id, "cancelled", { durationMs, message: "cancelled" });
          continue;
        }
        let answer = answers.get(h) ?? { status: "failed" as const, message: `${step.action} reported nothing for ${h}` };
        if (deadline?.aborted && answer.status === "failed") answer = { ...answer, message: `timed out after ${step.timeoutMs} ms` };
        outcomes.set(h, answer);
        const why = answer.status === "failed" ? "not run: an earlier task failed on this host" : answer.status === "unreachable" ? "not run: this host was unreachable" : "not run on this host";
        for (const id of subs) if (this.status.get(h)?.get(id) === "pending") this.set(h, id, "skipped", { message: why }, step.id);
        this.results.get(h)![step.name] = this.results.get(h)![step.id] = {
          status: answer.status,
          stdout: "",
          stderr: "",
          exit_code: null,
          rc: null,
          changed: answer.status === "changed",
          failed: answer.status === "failed",
        };
        if (answer.status === "failed" || answer.status === "unreachable") this.fail(h, step, answer.status, answer.message, { durationMs });
        else this.set(h, step.id, answer.status, { durationMs, message: answer.message });
      }
    } finally {
      release();
    }
    return outcomes;
  }

  private async step(host: string, step: PlannedStep) {
    const { signal } = this.o;
    const sink = this.sink;
    const context = this.context(host);
    try {
      if (step.when !== undefined && !(await this.withMacros(host, context, (m) => testCondition(step.when!, context, m)))) {
        this.set(host, step.id, "skipped", { message: `when: ${step.when} is false` });
        return;
      }
    } catch (e) {
      this.fail(host, step, "failed", `when: ${conditionError(e)}`);
      return;
    }
    let params: Record<string, unknown>;
    let fetched: Artifact | undefined;
    try {
      params = await this.withMacros(host, context, (m) => renderParams(step.action, step.params, context, m));
      if (step.action === "file.managed" && params.from) fetched = await this.fetched(host, params.from as { step: string; host?: string });
    } catch (e) {
      this.fail(host, step, "failed", this.explain(host, message(e)));
      return;
    }
    // Values are looked up only now, for the references this step's rendered params contain.
    let secretEnv: Record<string, string> = {};
    const used = this.secrets.used(params);
    if (used.length > 0) {
      try {
        secretEnv = await this.secrets.environment(used);
      } catch (e) {
        this.fail(host, step, "failed", message(e));
        return;
      }
      params = withValues(params, COMMAND_PARAMS[step.action] ?? [], (v) => this.secrets.reveal(v, secretEnv));
    }

    let release: (() => void) | undefined;
    try {
      release = await this.forks.acquire(signal);
    } catch {
      return; // cancelled while waiting: reported as cancelled at the end
    }
    try {
      const controller = CONTROLLER_ACTION_IMPLS[step.action];
      let conn: Connection | undefined;
      // Controller-side actions are about the host, not on it: no connection (the machine may not exist yet).
      if (!controller) {
        try {
          conn = await this.connection(host);
        } catch (e) {
          this.fail(host, step, e instanceof UnreachableError ? "unreachable" : "failed", message(e));
          return;
        }
      }
      const attempts = 1 + (step.retry?.limit ?? 0);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (signal.aborted) return;
        const record: StepRecord = { status: "running", stdout: "", stderr: "", exit_code: null, rc: null, changed: false, failed: false };
        this.set(host, step.id, "running", { attempt });
        const started = performance.now();
        const deadline = step.timeoutMs !== undefined ? AbortSignal.timeout(step.timeoutMs) : undefined;
        const stepSignal = deadline ? AbortSignal.any([signal, deadline]) : signal;
        let result: ActionResult;
        const onStdout = (data: string) => {
          if (record.stdout.length < KEEP_OUTPUT) record.stdout += data;
          sink.output({ host, step: step.id, stream: "stdout", data });
        };
        const onStderr = (data: string) => {
          if (record.stderr.length < KEEP_OUTPUT) record.stderr += data;
          sink.output({ host, step: step.id, stream: "stderr", data });
        };
        try {
          result = controller
            ? await controller({
                host,
                site: this.o.site,
                vars: this.o.site.resolver.resolve(host).vars,
                params,
                secret: (ref) => this.secrets.resolve(ref),
                connect: (timeoutMs) => this.tryConnection(host, timeoutMs),
                machine: { get: () => this.machines.get(host), set: (id) => void this.machines.set(host, id) },
                progress: (m) => this.set(host, step.id, "running", { attempt, message: m }),
                signal: stepSignal,
                onStdout,
                onStderr,
              })
            : await HOST_ACTIONS[step.action]!({ conn: conn!, host, params, secretEnv, become: step.become, siteDir: this.o.siteDir, fetched, signal: stepSignal, onStdout, onStderr });
        } catch (e) {
          if (e instanceof UnreachableError) {
            this.fail(host, step, "unreachable", message(e));
            return;
          }
          result = { status: "failed" as const, message: message(e) };
        }
        const durationMs = Math.round(performance.now() - started);
        if (signal.aborted) {
          this.set(host, step.id, "cancelled", { durationMs, exitCode: result.exitCode ?? null, message: "cancelled" });
          return;
        }
        if (deadline?.aborted && result.status === "failed") result = { ...result, message: `timed out after ${step.timeoutMs} ms` };
        if (result.artifact && result.status !== "failed") {
          const a = result.artifact;
          try {
            await this.artifacts.put(host, step.id, a);
            record.artifact = { type: a.type, size: a.content.length, sha256: createHash("sha256").update(a.content).digest("hex"), host, step: step.id };
          } catch (e) {
            result = { status: "failed", message: `what was fetched cannot be kept with the run: ${message(e)}` };
          }
        }
        Object.assign(record, { status: result.status, exit_code: result.exitCode ?? null, rc: result.exitCode ?? null, changed: result.status === "changed", failed: result.status === "failed" });
        this.results.get(host)![step.name] = record;
        this.results.get(host)![step.id] = record;
        if (result.status !== "failed" && step.success !== undefined) {
          const holds = await this.check(host, context, record, step.success);
          if (signal.aborted) return this.set(host, step.id, "cancelled", { durationMs, message: "cancelled" });
          if (holds !== true) {
            result = { ...result, status: "failed" as const, message: holds === false ? `success condition false: ${step.success}` : `success condition: ${holds}` };
            Object.assign(record, { status: "failed", failed: true });
          }
        }
        if (result.status !== "failed" && step.continue) {
          // Held: the fork is given back while waiting, as between retries.
          const c = step.continue;
          let last: string | false = false;
          let checks = 0;
          let held = false;
          for (;;) {
            checks++;
            const holds = await this.check(host, context, record, c.condition);
            if (signal.aborted) return this.set(host, step.id, "cancelled", { durationMs, message: "cancelled" });
            if (holds === true) {
              held = true;
              break;
            }
            last = holds;
            if (checks > c.limit) break;
            this.set(host, step.id, "running", { attempt, message: `continue: ${c.condition} is ${last === false ? "false" : `not known (${last})`}; checking again in ${formatDuration(c.intervalMs)} (${checks + 1} of ${c.limit + 1})` });
            release?.();
            release = undefined;
            await pause(c.intervalMs, signal);
            if (signal.aborted) return this.set(host, step.id, "cancelled", { durationMs, message: "cancelled" });
            try {
              release = await this.forks.acquire(signal);
            } catch {
              return this.set(host, step.id, "cancelled", { durationMs, message: "cancelled" });
            }
          }
          if (!held) {
            Object.assign(record, { status: "failed", failed: true });
            const why = `continue condition still false after ${checks} check${checks === 1 ? "" : "s"}: ${c.condition}${last === false ? "" : ` (last: ${last})`}`;
            this.fail(host, step, "failed", why, { durationMs, exitCode: result.exitCode, attempt });
            return;
          }
        }
        if (result.status !== "failed") {
          this.set(host, step.id, result.status, { durationMs, exitCode: result.exitCode, message: result.message, attempt });
          return;
        }
        if (attempt < attempts) {
          this.set(host, step.id, "running", { durationMs, exitCode: result.exitCode, message: `${result.message ?? "failed"}; retrying in ${step.retry!.intervalMs} ms (attempt ${attempt + 1} of ${attempts})`, attempt });
          release();
          await pause(step.retry!.intervalMs, signal);
          try {
            release = await this.forks.acquire(signal);
          } catch {
            release = undefined;
            return;
          }
          continue;
        }
        this.fail(host, step, "failed", result.message, { durationMs, exitCode: result.exitCode, attempt });
      }
    } finally {
      release?.();
    }
  }

  /** `fn` with the site's macros callable; command macros run first (see ./macros). */
  private withMacros<T>(host: string, context: TemplateContext, fn: (macro?: MacroHook) => T): Promise<T> {
    if (this.macros.empty) return Promise.resolve(fn(undefined));
    return this.macros.evaluate(host, context as unknown as Record<string, unknown>, fn, this.o.signal);
  }

  /** A success or continue condition over the step's `result`: true, false, or why it could not be evaluated. */
  private async check(host: string, context: TemplateContext, record: StepRecord, condition: string): Promise<boolean | string> {
    const scope: TemplateContext = { ...context, result: record as unknown as Record<string, unknown> };
    try {
      return await this.withMacros(host, scope, (m) => testCondition(condition, scope, m));
    } catch (e) {
      return conditionError(e);
    }
  }

  /** A command macro's stdout: on the controller (sandboxed on a server) or on a host, over the run's connection. */
  private async macroCommand(c: MacroCommand, signal: AbortSignal): Promise<string> {
    const where = "controller" in c.target ? "the controller" : c.target.host;
    const conn = "controller" in c.target ? await this.controllerConnection() : await this.connection(c.target.host);
    const used = this.secrets.used(c.command);
    const env = used.length ? await this.secrets.environment(used) : undefined;
    const deadline = AbortSignal.timeout(c.timeoutMs);
    let out = "";
    let err = "";
    const r = await conn.exec(c.command, {
      signal: AbortSignal.any([signal, deadline]),
      env,
      onStdout: (d) => void (out.length < KEEP_OUTPUT && (out += d)),
      onStderr: (d) => void (err.length < 4096 && (err += d)),
    });
    if (r.exitCode === 0) return out;
    const last = err.trim().split("\n").at(-1)?.slice(0, 300);
    throw new Error(`its command ${deadline.aborted ? `timed out after ${formatDuration(c.timeoutMs)}` : `exited ${r.exitCode ?? r.signal}`} on ${where}${last ? `: ${last}` : ""}`);
  }

  private controllerConnection(): Promise<Connection> {
    const key = "\0controller";
    let c = this.connections.get(key);
    if (!c) {
      const settings: ConnectionSettings = { host: "controller", transport: "local", address: "localhost", host_key_checking: "off", siteDir: this.o.siteDir };
      this.connections.set(key, (c = transportFor("local").connect(settings, { signal: this.o.signal, local: localMode(this.o.server) })));
    }
    return c;
  }

  /** What a `file.fetch` step fetched, for `file.managed` `from:` (another host's with `host`). */
  private async fetched(host: string, from: { step: string; host?: string }): Promise<Artifact> {
    const source = from.host ?? host;
    const record = this.results.get(source)?.[from.step];
    if (!record?.artifact) {
      const why = !this.results.has(source)
        ? `${source} is not a host of this run`
        : record
          ? `it ended ${record.status} there`
          : `it has not run on ${source}${source === host ? "" : " yet: give this step sync: true to wait for the batch's other hosts, or fetch in an earlier operation"}`;
      throw new Error(`from: step '${from.step}' fetched nothing for ${source === host ? "this host" : source} (${why})`);
    }
    const a = await this.artifacts.get(record.artifact.host, record.artifact.step);
    if (!a) throw new Error(`from: what step '${from.step}' fetched on ${record.artifact.host} is no longer kept with the run`);
    return a;
  }

  /** A template error about `steps['x']` says what became of step x on this host. */
  private explain(host: string, msg: string): string {
    const m = /'steps\[(?:"|')(.+?)(?:"|')\]/.exec(msg) ?? /'steps\.([A-Za-z_][A-Za-z0-9_]*)/.exec(msg);
    if (!m || !/is undefined/.test(msg)) return msg;
    const name = m[1]!;
    const ran = [...(this.status.get(host) ?? [])].find(([id]) => id === name || id.endsWith(`/${name}`));
    if (!ran) return `${msg} (no step '${name}' runs on this host before this one)`;
    return `${msg} (step '${name}' is ${ran[1]} on this host${ran[1] === "skipped" ? ": it produced no result" : ""})`;
  }

  private fail(host: string, step: PlannedStep, status: "failed" | "unreachable", msg?: string, extra: { durationMs?: number; exitCode?: number | null; attempt?: number } = {}) {
    this.set(host, step.id, status, { ...extra, message: msg });
    this.out.add(host);
  }

  private set(host: string, step: string, status: StepStatus, extra: { attempt?: number; exitCode?: number | null; durationMs?: number; message?: string } = {}, parent?: string) {
    this.status.get(host)?.set(step, status);
    // Twice per step and host: copied key by key (in extra's order, as events always had), without the undefined ones.
    const event: Record<string, unknown> = { type: "step.status", host, step, status };
    for (const key in extra) {
      const value = extra[key as keyof typeof extra];
      if (value !== undefined) event[key] = value;
    }
    if (parent !== undefined) event.parent = parent;
    this.sink.event(event as EngineEvent);
  }

  /**
   * What a host's templates see. Built once per host (resolution and the placeholder walk are not redone for
   * every step); `steps` is the live record that later steps read.
   */
  private context(host: string): TemplateContext {
    let c = this.contexts.get(host);
    if (!c) {
      const r = this.o.site.resolver.resolve(host);
      const steps = this.results.get(host) ?? {};
      c = {
        vars: this.hostVars[host] as Record<string, unknown>,
        host: { name: host, groups: r.groups, labels: r.labels, connection: this.secrets.placeholders(r.connection), profile: r.profile },
        hosts: this.hostsView,
        steps,
      };
      // A machine MAAS deploys gets a token (in its user_data) to fetch its own variables while the run lasts.
      if (this.o.introspection && this.deploys.has(host)) c.introspect = this.o.introspection.issue(host);
      if (this.o.event) c.event = this.o.event;
      this.contexts.set(host, c);
    }
    return c;
  }

  /** A `key_file` given as a `secret:` reference is the key itself: the transport gets it as `private_key`. */
  private async withKeys(settings: ConnectionSettings): Promise<ConnectionSettings> {
    const jump = settings.jump ? await this.withKeys(settings.jump) : undefined;
    const ref = referenceOf(settings.key_file);
    if (ref === undefined) return { ...settings, jump };
    let key: string;
    try {
      key = await this.secrets.resolve(ref);
    } catch (e) {
      throw new UnreachableError(`${settings.host}: key_file: ${message(e)}`);
    }
    return { ...settings, jump, key_file: undefined, private_key: key };
  }

  /**
   * One attempt to connect within `timeoutMs`, kept for the rest of the run when it succeeds (wait.ssh). A failed
   * attempt is not cached, so the next one really tries again.
   */
  private async tryConnection(host: string, timeoutMs: number): Promise<Connection> {
    const existing = this.connections.get(host);
    if (existing) {
      const conn = await existing.catch(() => undefined);
      if (conn) return conn;
      this.connections.delete(host);
    }
    const conn = await this.open(host, `${timeoutMs}ms`);
    this.connections.set(host, Promise.resolve(conn));
    return conn;
  }

  /** The host's connection for the whole run, opened on first use. */
  private connection(host: string): Promise<Connection> {
    let c = this.connections.get(host);
    if (!c) this.connections.set(host, (c = this.open(host)));
    return c;
  }

  private async open(host: string, connectTimeout?: string): Promise<Connection> {
    const settings = connectionSettings(this.o.site, host, this.o.siteDir);
    const s = await this.withKeys(connectTimeout ? { ...settings, connect_timeout: connectTimeout } : settings);
    return transportFor(s.transport).connect(s, {
      signal: this.o.signal,
      onNotice: (m) => this.sink.event({ type: "notice", host, message: m }),
      local: localMode(this.o.server),
      files: this.o.server?.policy.files,
    });
  }
}

type Gates = Map<string, BatchGate<Record<string, unknown>, HostOutcome>>;

/** Params with `fn` applied to every one but the command-line ones. */
function withValues(params: Record<string, unknown>, keep: readonly string[], fn: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, keep.includes(k) ? v : fn(v)]));
}

/** A host's resolved `connection` as transport settings, its jump host resolved the same way. */
export function connectionSettings(site: Site, host: string, siteDir?: string, seen: string[] = []): ConnectionSettings {
  const c = site.resolver.resolve(host).connection as Record<string, unknown>;
  const jump = typeof c.jump === "string" ? c.jump : undefined;
  if (jump && (seen.includes(jump) || jump === host)) throw new HostKeyError(`jump host loop: ${[...seen, host, jump].join(" -> ")}`);
  if (jump && !site.model.hosts.has(jump)) throw new UnreachableError(`${host}: jump host '${jump}' is not a host of the site`);
  return {
    host,
    transport: typeof c.transport === "string" ? c.transport : "ssh",
    address: typeof c.address === "string" ? c.address : host,
    port: typeof c.port === "number" ? c.port : undefined,
    user: typeof c.user === "string" ? c.user : undefined,
    key_file: typeof c.key_file === "string" ? c.key_file : undefined,
    known_hosts: typeof c.known_hosts === "string" ? c.known_hosts : undefined,
    host_key_checking: (c.host_key_checking as ConnectionSettings["host_key_checking"]) ?? "strict",
    connect_timeout: typeof c.connect_timeout === "number" || typeof c.connect_timeout === "string" ? c.connect_timeout : undefined,
    jump: jump ? connectionSettings(site, jump, siteDir, [...seen, host]) : undefined,
    siteDir,
  };
}

/** A condition's error without its position: that would point into the wrapper it is compiled in, not at anything written. */
function conditionError(e: unknown): string {
  return e instanceof TemplateError ? e.reason : message(e);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
