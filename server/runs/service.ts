/**
 * Runs, as any process of the installation sees them (the control plane): launch (plan a revision, freeze the
 * plan), approve or reject, queue, cancel, re-run the failed hosts, fold a run's events. None of it executes a
 * run: approval stores the run as `queued` and tells the queue, a worker (this process's or another's) claims
 * and executes it (server/runs/worker.ts), and cancel and the end of a run travel through the database and the
 * control channel, so they work whichever process received the click. `prepare` is what a worker asks of it.
 */
import type { Broadcaster } from "../broadcast";
import type { SitePolicy } from "../inventory";
import { withPlaybookTasks } from "../ansible/playbook/list-tasks";
import { planDeployment, RunTracker, type EngineEvent, type Plan, type RunSnapshot, type RunStatus } from "../engine";
import type { Site } from "../inventory";
import type { TemplateEvent } from "../engine/render";
import type { SecretsSource } from "../engine/secrets";
import { findIdentities, type IdentitySet, type ServerIdentity } from "../secrets/keys";
import { SECRETS_FILE_NAMES } from "../secrets/site";
import { holdOutsideWindow, runBatchGate } from "../schedules/hold";
import { systemClock, type Clock } from "../schedules/windows";
import { notify } from "../notify";
import { loadRevision } from "../site-cache";
import { ConflictError, ForbiddenError, InvalidInputError } from "../store/errors";
import type { RunRow, RunStore, SiteStore, Store } from "../store/types";
import type { ControlChannel } from "./control";
import { IntrospectionTokens } from "./introspection";
import { interruptRun } from "./leases";
import type { ServerPolicies } from "./policy";
import type { RunQueue } from "./queue/types";
import { StoredSink } from "./sink";
import type { RunExecution } from "./worker";

export type { RunQueue } from "./queue/types";

/** Statuses a run never leaves. */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled", "interrupted", "rejected"]);
/** Statuses of a run that has not started: cancelling one ends it at once. */
const NOT_STARTED: readonly RunStatus[] = ["awaiting_approval", "scheduled", "queued"];
/** How often `done` looks at the store when no control message came (a missed notification). */
const DONE_POLL_MS = 2000;

export interface LaunchRequest {
  site: string;
  deployment?: string;
  requestedBy: string;
  /** The requesting user: they cannot approve it. */
  requestedById?: string | null;
  reason?: string;
  forks?: number;
  limit?: string[];
  rerunOf?: number;
  /** The event a reaction requested the run for (templates' `event`). */
  event?: TemplateEvent;
  /**
   * Approved as it is requested, by Flightdeck itself (a reaction that says `approval: auto` on a site that allows
   * it): it never waits for reviewers, so none is told it does. The caller audits it.
   */
  approvedAs?: { by: string; message: string };
}

export interface RunServiceOptions {
  store: Store;
  broadcaster: Broadcaster;
  /** What each site may use on this server (local steps, env:, key files); lint, plan and execution ask it. */
  policies: ServerPolicies;
  serverIdentity?: Promise<ServerIdentity>;
  /** Cancel requests out, run ends in. */
  control: ControlChannel;
  /** Told of every run that becomes `queued`. */
  queue: RunQueue;
  /** What maintenance windows are judged by (tests inject one); default the system's. */
  clock?: Clock;
}

export class RunService implements RunExecution {
  private readonly runs: RunStore;
  private readonly sites: SiteStore;
  private readonly broadcaster: Broadcaster;
  private readonly policies: ServerPolicies;
  private readonly serverIdentity: Promise<ServerIdentity> | undefined;
  private readonly control: ControlChannel;
  private readonly folds = new Map<number, { snapshot: RunSnapshot; lastSeq: number }>();
  /** Callers of `done`, by run, resolved by the control channel's `finished`. */
  private readonly waiting = new Map<number, Set<(status: RunStatus) => void>>();
  readonly queue: RunQueue;
  /** Machines being deployed fetch their own variables with these while their run lasts (the store keeps them). */
  readonly introspection: IntrospectionTokens;

  constructor(private readonly o: RunServiceOptions) {
    this.runs = o.store.runs;
    this.sites = o.store.sites;
    this.broadcaster = o.broadcaster;
    this.policies = o.policies;
    this.serverIdentity = o.serverIdentity;
    this.control = o.control;
    this.queue = o.queue;
    this.introspection = new IntrospectionTokens(o.store.introspection);
    this.control.subscribe((m) => {
      if (m.kind === "finished") this.settle(m.run, m.status);
    });
  }

  /** A run is requested; it never waits on how many others run (it waits `queued` once approved). */
  async launch(request: LaunchRequest): Promise<number> {
    const { revision, site } = await loadRevision(this.sites, request.site, undefined, await this.sitePolicy(request.site));
    // A PlanError is an InvalidInputError: the caller hears why with a 400.
    const planned = planDeployment(site, { deployment: request.deployment, limit: request.limit });
    if (!planned.hosts.length) throw new InvalidInputError("the deployment targets no host");
    // Reviewers see the playbooks' tasks too: the plan is frozen with them.
    const plan = await this.withTasks(request.site, site, planned);
    const id = await this.runs.create({
      site: request.site,
      revision,
      plan,
      requestedBy: request.requestedBy,
      requestedById: request.requestedById,
      reason: request.reason ?? "",
      options: { forks: request.forks ?? 50, limit: request.limit, rerunOf: request.rerunOf, event: request.event },
      status: "awaiting_approval",
    });
    const required = (await this.sites.get(request.site)).approvalsRequired;
    if (request.approvedAs) {
      await this.approved(id, request.approvedAs.by, request.approvedAs.message);
    } else if (required > 0) {
      const needs = required === 1 ? "one approval" : `${required} approvals`;
      await this.statusEvent(id, { type: "run.status", status: "awaiting_approval", by: request.requestedBy, message: `requested by ${request.requestedBy}; waiting for ${needs}` });
      this.broadcaster.siteRuns(request.site, id);
      await notify(this.o, { site: request.site, kind: "approval_requested", run: id });
    } else {
      await this.approved(id, request.requestedBy, `requested by ${request.requestedBy}; this site runs without approval`);
    }
    return id;
  }

  /**
   * A reviewer approves: never their own run, never a run of a revision the site has moved past (the plan
   * they saw would not be what runs). With enough approvals the run executes, exactly the frozen revision.
   */
  async approve(id: number, reviewer: { userId: string; username: string }, comment: string) {
    const run = await this.awaiting(id, reviewer, "approve");
    const head = await this.sites.head(run.site);
    if (head !== run.revision) {
      throw new ConflictError(`stale: the site changed since run ${id} was requested (revision ${run.revision}, now ${head}); it must be requested again`);
    }
    if (!(await this.runs.addReview(id, { ...reviewer, decision: "approve", comment }))) throw new ConflictError(`you already reviewed run ${id}`);
    const approvals = (await this.runs.reviews(id)).filter((r) => r.decision === "approve").length;
    const required = Math.max(1, (await this.sites.get(run.site)).approvalsRequired);
    const said = `approved by ${reviewer.username}${required > 1 ? ` (${approvals} of ${required})` : ""}${comment ? `: ${comment}` : ""}`;
    if (approvals < required) {
      await this.statusEvent(id, { type: "notice", message: said });
      this.broadcaster.siteRuns(run.site, id);
      return { status: run.status, approvals, required };
    }
    await this.approved(id, reviewer.username, said);
    return { status: "queued" as RunStatus, approvals, required };
  }

  async reject(id: number, reviewer: { userId: string; username: string }, comment: string) {
    const run = await this.awaiting(id, reviewer, "reject");
    if (!comment.trim()) throw new InvalidInputError("say why the run is rejected");
    if (!(await this.runs.addReview(id, { ...reviewer, decision: "reject", comment }))) throw new ConflictError(`you already reviewed run ${id}`);
    const message = `rejected by ${reviewer.username}: ${comment}`;
    if (!(await this.runs.transition(id, ["awaiting_approval"], "rejected", { finishedAt: new Date(), message }))) {
      throw new ConflictError(`run ${id} is no longer awaiting approval`);
    }
    await this.statusEvent(id, { type: "run.status", status: "rejected", by: reviewer.username, message });
    this.broadcaster.siteRuns(run.site, id);
    void this.control.publish({ kind: "finished", run: id, status: "rejected" });
  }

  /** A plan with its ansible.playbook steps' tasks, listed where the site's playbooks would run (cached by content). */
  async withTasks(slug: string, site: Site, plan: Plan): Promise<Plan> {
    const server = await this.policies.forSite(slug);
    return withPlaybookTasks(site, plan, { server: { sandbox: server.sandbox, refused: server.policy.localRefused } });
  }

  /** A stale request asked again at the newest revision; the old one ends as superseded. */
  async rerequest(id: number, requestedBy: string, requestedById?: string | null): Promise<number> {
    const run = await this.runs.get(id);
    if (run.status !== "awaiting_approval") throw new ConflictError(`run ${id} is ${run.status.replace("_", " ")}; only a waiting request can be asked again`);
    const next = await this.launch({ site: run.site, deployment: run.deployment, requestedBy, requestedById, reason: run.reason, forks: run.options.forks, limit: run.options.limit, rerunOf: run.options.rerunOf, event: run.options.event });
    const message = `superseded by run ${next}, requested again at the newest revision`;
    if (await this.runs.transition(id, ["awaiting_approval"], "cancelled", { finishedAt: new Date(), message })) {
      await this.statusEvent(id, { type: "run.status", status: "cancelled", by: requestedBy, message });
      this.broadcaster.siteRuns(run.site, id);
      void this.control.publish({ kind: "finished", run: id, status: "cancelled" });
    }
    return next;
  }

  private async awaiting(id: number, reviewer: { userId: string }, what: string) {
    const run = await this.runs.get(id);
    if (run.status !== "awaiting_approval") throw new ConflictError(`run ${id} is ${run.status.replace("_", " ")}; only a run awaiting approval can be reviewed`);
    if (run.requestedById && run.requestedById === reviewer.userId) throw new ForbiddenError(`nobody may ${what} their own run`);
    return run;
  }

  /**
   * Approved: the run joins the queue (FIFO by the time it joined), and the queue tells the workers. Its event
   * is stored before the queue hears of it, so the stream says `queued` before a worker's `run.started`.
   */
  private async approved(id: number, by: string, message: string) {
    // Outside its maintenance windows it waits `scheduled` instead (the scheduler queues it when one opens).
    if (await holdOutsideWindow({ store: this.o.store, broadcaster: this.broadcaster, clock: this.o.clock ?? systemClock }, id, by, message)) return;
    const now = new Date();
    if (!(await this.runs.transition(id, ["awaiting_approval"], "queued", { approvedAt: now, queuedAt: now }))) {
      // Two last approvals at once: the other one queued it (its review counted, and so did this one).
      const { status } = await this.runs.get(id);
      if (status !== "cancelled" && status !== "rejected") return;
      throw new ConflictError(`run ${id} is ${status}; it can no longer be approved`);
    }
    await this.statusEvent(id, { type: "run.status", status: "queued", by, message });
    this.broadcaster.siteRuns((await this.runs.get(id)).site, id);
    await this.queue.submit(id);
  }

  /** Events before execution go through the same stored, numbered stream as the engine's. */
  private async statusEvent(id: number, event: EngineEvent) {
    const sink = new StoredSink(id, this.runs, this.broadcaster);
    sink.event(event);
    await sink.flush();
  }

  /**
   * Resolves with the run's final status once it ends, whichever process executes it (tests and the CLI's
   * `launch --wait` use it); a run awaiting approval resolves at once with that status (nothing will end it by
   * itself). The control channel's `finished` says it; the store is looked at now and then in case that was missed.
   */
  async done(id: number): Promise<RunStatus> {
    let resolve!: (status: RunStatus) => void;
    const ended = new Promise<RunStatus>((r) => (resolve = r));
    // Listening before reading the status: an end between the two is not missed.
    const set = this.waiting.get(id) ?? new Set();
    this.waiting.set(id, set);
    set.add(resolve);
    const poll = setInterval(() => {
      this.runs.get(id).then(
        (run) => FINAL_STATUSES.has(run.status) && resolve(run.status),
        () => undefined,
      );
    }, DONE_POLL_MS);
    try {
      const { status } = await this.runs.get(id);
      if (FINAL_STATUSES.has(status) || status === "awaiting_approval") return status;
      return await ended;
    } finally {
      clearInterval(poll);
      set.delete(resolve);
      if (!set.size && this.waiting.get(id) === set) this.waiting.delete(id);
    }
  }

  private settle(id: number, status: RunStatus) {
    for (const resolve of this.waiting.get(id) ?? []) resolve(status);
  }

  /**
   * A run not started yet ends here and now (a conditional change: if a worker claimed it meanwhile, it is
   * cancelled as a running run). A running run's cancel is stored, then said on the control channel: its worker,
   * in whatever process, stops it (and would see the stored request on its next lease renewal anyway).
   */
  async cancel(id: number, by = "") {
    let run = await this.runs.get(id);
    if (NOT_STARTED.includes(run.status)) {
      const message = `cancelled before it started${by ? ` by ${by}` : ""}`;
      if (await this.runs.transition(id, NOT_STARTED, "cancelled", { finishedAt: new Date(), message })) {
        await this.statusEvent(id, { type: "run.status", status: "cancelled", by, message });
        this.broadcaster.siteRuns(run.site, id);
        void this.control.publish({ kind: "finished", run: id, status: "cancelled" });
        // It may have been first in its site's line: the next one may start now.
        if (run.status === "queued") await this.queue.nudgeSite(run.site);
        return;
      }
      run = await this.runs.get(id);
    }
    if (run.status === "running") {
      await this.runs.requestCancel(id, by);
      await this.control.publish({ kind: "cancel", run: id, by });
      return;
    }
    throw new ConflictError(`run ${id} is ${run.status}; only a running run can be cancelled`);
  }

  /** Where queued runs stand: run id → place in line (1: next), in the order workers take them. */
  async queuePositions(): Promise<Map<number, number>> {
    return new Map((await this.runs.queued()).map((q, i) => [q.id, i + 1]));
  }

  /** A new run of the deployment at the newest revision (a fix saved since is what gets tried), on the hosts that failed, were unreachable or were cancelled. */
  async rerunFailed(id: number, requestedBy: string, requestedById?: string | null): Promise<number> {
    const run = await this.runs.get(id);
    if (!FINAL_STATUSES.has(run.status)) throw new ConflictError(`run ${id} is still ${run.status === "running" ? "running" : run.status.replace("_", " ")}`);
    const tracker = new RunTracker(run.plan);
    for (const e of await this.runs.events(id)) tracker.apply(e);
    const hosts = Object.entries(tracker.snapshot.hosts)
      .filter(([, h]) => h.status === "failed" || h.status === "unreachable" || h.status === "cancelled" || h.status === "interrupted")
      .map(([name]) => name);
    if (!hosts.length) throw new InvalidInputError(`run ${id} has no failed or unreachable host to re-run`);
    return this.launch({ site: run.site, deployment: run.deployment, requestedBy, reason: `re-run of the failed hosts of run ${id}`, limit: hosts, rerunOf: id, forks: run.options.forks, requestedById });
  }

  /**
   * A run's state folded from its events, with the sequence number it reflects: what a page needs to start
   * from, far smaller than every event of a large run. Finished runs never change, so their folds are kept.
   */
  async snapshot(id: number): Promise<{ snapshot: RunSnapshot; lastSeq: number }> {
    const cached = this.folds.get(id);
    if (cached) return cached;
    const run = await this.runs.get(id);
    const tracker = new RunTracker(run.plan);
    let lastSeq = 0;
    for (const e of await this.runs.events(id)) {
      tracker.apply(e);
      lastSeq = e.seq;
    }
    const fold = { snapshot: tracker.snapshot, lastSeq };
    if (FINAL_STATUSES.has(run.status) && FINAL_STATUSES.has(tracker.snapshot.status)) {
      this.folds.set(id, fold);
      if (this.folds.size > 32) this.folds.delete(this.folds.keys().next().value!);
    }
    return fold;
  }

  /**
   * At start, on SQLite (one process, so whatever was running was this process's): runs that were running when
   * the server stopped are `interrupted`, each host's last step said. Queued runs stay in line. On PostgreSQL a
   * starting process touches nothing: runs of live workers are theirs, and the lease sweeper ends a dead one's.
   */
  async recover() {
    if (this.o.store.dialect !== "sqlite") return;
    for (const id of await this.runs.inFlight()) {
      const { status } = await this.runs.get(id);
      if (status !== "running") continue;
      await interruptRun(this.o.store, this.broadcaster, id, ["running"], { run: "the server stopped during this run", step: "the server stopped while this step ran" });
      }
  }

  /** What `site` may use on this server: lint and plan of the site's pages take it, and so does a run. */
  async sitePolicy(site: string): Promise<SitePolicy> {
    return (await this.policies.forSite(site)).policy;
  }

  /**
   * Where a run (or introspection) of this revision finds its `secret:` and `env:` values: the site's own
   * secrets file only, and of the server's environment only the names FLIGHTDECK_ENV_ALLOW lists.
   */
  async secretsSource(site: string, revision: number): Promise<SecretsSource> {
    const files = (await this.sites.files(site, revision)).files;
    const secretsFile = SECRETS_FILE_NAMES.map((name) => files.find((f) => f.path === name)).find((f) => f !== undefined);
    return {
      file: secretsFile && { name: secretsFile.path, text: secretsFile.content },
      identities: () => this.identities(),
      env: this.policies.allowedEnv(),
      envAllow: (await this.sitePolicy(site)).envAllow,
    };
  }

  /**
   * The server's own secrets, masked in every run's output whatever a step does (defence in depth: the
   * sandbox keeps steps from them): its age identities, the first admin's password, the cookie secret.
   */
  private async serverSecrets(): Promise<{ value: string; label: string }[]> {
    const out: { value: string; label: string }[] = [];
    const identity = await this.serverIdentity?.catch(() => undefined);
    for (const id of identity?.source.identities ?? []) out.push({ value: id, label: "the server's age identity" });
    for (const name of ["FLIGHTDECK_ADMIN_PASSWORD", "FLIGHTDECK_AUTH_SECRET", "FLIGHTDECK_AGE_PASSPHRASE", "SOPS_AGE_KEY"]) {
      const value = process.env[name];
      if (value) out.push({ value, label: name });
    }
    return out;
  }

  /** The usual identity sources, with the server's own identity as loaded (and unlocked) at start. */
  private async identities(): Promise<IdentitySet> {
    // The data directory's identity file comes from the loaded source (unlocked with the passphrase at start), not re-read.
    const set = findIdentities({ env: process.env });
    if (this.serverIdentity) set.sources.push((await this.serverIdentity).source);
    return set;
  }

  /**
   * What a worker needs to execute `run`: its site at the frozen revision, and what the server allows it and
   * gives it now (asked at execution, not at the request: a setting turned off since then counts).
   */
  async prepare(run: RunRow) {
    const { site } = await loadRevision(this.sites, run.site, run.revision);
    const server = await this.policies.forSite(run.site);
    const secrets = { ...(await this.secretsSource(run.site, run.revision)), alwaysMasked: await this.serverSecrets() };
    return { site, server, secrets, mayStartBatch: runBatchGate(site, run, this.o.clock ?? systemClock) };
  }
}
