/**
 * Runs on the server: launch (plan a revision, freeze the plan, queue it), execute with stored events,
 * cancel, re-run the failed hosts, and mark runs that a restart interrupted.
 */
import type { Broadcaster } from "../broadcaster";
import type { SitePolicy } from "../inventory";
import { withPlaybookTasks } from "../ansible/playbook/list-tasks";
import { execute, planDeployment, RunTracker, type EngineEvent, type Plan, type RunSnapshot, type RunStatus } from "../engine";
import type { Site } from "../inventory";
import type { SecretsSource } from "../engine/secrets";
import { findIdentities, type IdentitySet, type ServerIdentity } from "../secrets/keys";
import { SECRETS_FILE_NAMES } from "../secrets/site";
import { loadRevision } from "../site-cache";
import { ConflictError, ForbiddenError, InvalidInputError } from "../store/errors";
import type { IntrospectionStore, RunStore, SiteStore } from "../store/types";
import { IntrospectionTokens } from "./introspection";
import type { ServerPolicies } from "./policy";
import { StoredSink } from "./sink";

/** Who executes which run. In one process, right here; later a PostgreSQL job queue feeding workers. */
export interface RunQueue {
  submit(run: number): void;
}

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
}

const MAX_PARALLEL_RUNS = 8;

export class RunService {
  private readonly active = new Map<number, AbortController>();
  private readonly finished = new Map<number, Promise<RunStatus>>();
  private readonly folds = new Map<number, { snapshot: RunSnapshot; lastSeq: number }>();
  readonly queue: RunQueue;
  /** Machines being deployed fetch their own variables with these while their run lasts. */
  readonly introspection: IntrospectionTokens;

  constructor(
    private readonly runs: RunStore,
    private readonly sites: SiteStore,
    private readonly broadcaster: Broadcaster,
    /** What each site may use on this server (local steps, env:, key files); lint, plan and execution ask it. */
    private readonly policies: ServerPolicies,
    private readonly serverIdentity: Promise<ServerIdentity> | undefined,
    /** The URL machines reach this server at (FLIGHTDECK_URL), for introspection. */
    private readonly publicUrl: string,
    /** Where introspection tokens are kept (by hash), so any process can answer a machine. */
    introspection: IntrospectionStore,
  ) {
    this.queue = { submit: (id) => void this.execute(id) };
    this.introspection = new IntrospectionTokens(introspection);
  }

  async launch(request: LaunchRequest): Promise<number> {
    if (this.active.size >= MAX_PARALLEL_RUNS) throw new ConflictError(`${MAX_PARALLEL_RUNS} runs are in progress; wait for one to finish`);
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
      options: { forks: request.forks ?? 50, limit: request.limit, rerunOf: request.rerunOf },
      status: "awaiting_approval",
    });
    const required = (await this.sites.get(request.site)).approvalsRequired;
    if (required > 0) {
      const needs = required === 1 ? "one approval" : `${required} approvals`;
      await this.statusEvent(id, { type: "run.status", status: "awaiting_approval", by: request.requestedBy, message: `requested by ${request.requestedBy}; waiting for ${needs}` });
      this.broadcaster.siteRuns(request.site, id);
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
    return { status: "approved" as RunStatus, approvals, required };
  }

  async reject(id: number, reviewer: { userId: string; username: string }, comment: string) {
    const run = await this.awaiting(id, reviewer, "reject");
    if (!comment.trim()) throw new InvalidInputError("say why the run is rejected");
    if (!(await this.runs.addReview(id, { ...reviewer, decision: "reject", comment }))) throw new ConflictError(`you already reviewed run ${id}`);
    const message = `rejected by ${reviewer.username}: ${comment}`;
    await this.statusEvent(id, { type: "run.status", status: "rejected", by: reviewer.username, message });
    await this.runs.setStatus(id, "rejected", { finishedAt: new Date(), message });
    this.broadcaster.siteRuns(run.site, id);
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
    const next = await this.launch({ site: run.site, deployment: run.deployment, requestedBy, requestedById, reason: run.reason, forks: run.options.forks, limit: run.options.limit, rerunOf: run.options.rerunOf });
    const message = `superseded by run ${next}, requested again at the newest revision`;
    await this.statusEvent(id, { type: "run.status", status: "cancelled", by: requestedBy, message });
    await this.runs.setStatus(id, "cancelled", { finishedAt: new Date(), message });
    this.broadcaster.siteRuns(run.site, id);
    return next;
  }

  private async awaiting(id: number, reviewer: { userId: string }, what: string) {
    const run = await this.runs.get(id);
    if (run.status !== "awaiting_approval") throw new ConflictError(`run ${id} is ${run.status.replace("_", " ")}; only a run awaiting approval can be reviewed`);
    if (run.requestedById && run.requestedById === reviewer.userId) throw new ForbiddenError(`nobody may ${what} their own run`);
    return run;
  }

  private async approved(id: number, by: string, message: string) {
    const run = await this.runs.get(id);
    await this.runs.setStatus(id, "approved", { approvedAt: new Date() });
    await this.statusEvent(id, { type: "run.status", status: "approved", by, message });
    this.broadcaster.siteRuns(run.site, id);
    this.queue.submit(id);
  }

  /** Events before execution go through the same stored, numbered stream as the engine's. */
  private async statusEvent(id: number, event: EngineEvent) {
    const sink = new StoredSink(id, this.runs, this.broadcaster);
    sink.event(event);
    await sink.flush();
  }

  /** Resolves when the run ends (tests and the CLI's `launch --wait` use it). */
  async done(id: number): Promise<RunStatus> {
    return this.finished.get(id) ?? (await this.runs.get(id)).status;
  }

  async cancel(id: number, by = "") {
    const run = await this.runs.get(id);
    const controller = this.active.get(id);
    if (controller) {
      controller.abort(new Error(by ? `cancelled by ${by}` : "cancelled"));
      return;
    }
    if (run.status === "running" || run.status === "approved" || run.status === "queued" || run.status === "awaiting_approval") {
      const message = `cancelled before it started${by ? ` by ${by}` : ""}`;
      await this.statusEvent(id, { type: "run.status", status: "cancelled", by, message });
      await this.runs.setStatus(id, "cancelled", { finishedAt: new Date(), message });
      this.broadcaster.siteRuns(run.site, id);
      return;
    }
    throw new ConflictError(`run ${id} is ${run.status}; only a running run can be cancelled`);
  }

  /** A new run of the deployment at the newest revision (a fix saved since is what gets tried), on the hosts that failed, were unreachable or were cancelled. */
  async rerunFailed(id: number, requestedBy: string, requestedById?: string | null): Promise<number> {
    const run = await this.runs.get(id);
    if (this.active.has(id)) throw new ConflictError(`run ${id} is still running`);
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
    if (!this.active.has(id) && tracker.snapshot.status !== "running") {
      this.folds.set(id, fold);
      if (this.folds.size > 32) this.folds.delete(this.folds.keys().next().value!);
    }
    return fold;
  }

  /** At start: runs that were in flight when the server stopped are `interrupted`, each host's last step said. */
  async recover() {
    for (const id of await this.runs.inFlight()) {
      const run = await this.runs.get(id);
      const tracker = new RunTracker(run.plan);
      for (const e of await this.runs.events(id)) tracker.apply(e);
      const sink = new StoredSink(id, this.runs, this.broadcaster);
      for (const [host, h] of Object.entries(tracker.snapshot.hosts)) {
        const entries = Object.entries(h.steps);
        const running = entries.filter(([, s]) => s.status === "running");
        const last = [...entries].reverse().find(([, s]) => s.status !== "pending");
        for (const [step] of running) sink.event({ type: "step.status", host, step, status: "interrupted", message: "the server stopped while this step ran" });
        if (last) sink.event({ type: "notice", host, message: `interrupted at step '${last[0]}' (${last[1].status})` });
      }
      sink.event({ type: "run.finished", status: "interrupted", message: "the server stopped during this run" });
      await sink.flush();
      await this.runs.setStatus(id, "interrupted", { finishedAt: new Date(), message: "the server stopped during this run" });
      await this.introspection.endRun(id);
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

  private execute(id: number): Promise<RunStatus> {
    const promise = this.executeNow(id);
    this.finished.set(id, promise);
    void promise.finally(() => setTimeout(() => this.finished.delete(id), 60_000).unref());
    return promise;
  }

  private async executeNow(id: number): Promise<RunStatus> {
    const run = await this.runs.get(id);
    // Only an approved run executes (a cancel may have come first).
    if (run.status !== "approved") return run.status;
    const controller = new AbortController();
    this.active.set(id, controller);
    const sink = new StoredSink(id, this.runs, this.broadcaster);
    await this.runs.setStatus(id, "running", { startedAt: new Date() });
    this.broadcaster.siteRuns(run.site, id);
    let status: RunStatus = "failed";
    let message: string | undefined;
    try {
      const { site } = await loadRevision(this.sites, run.site, run.revision);
      // Asked now, not at the request: a setting turned off since then counts.
      const server = await this.policies.forSite(run.site);
      status = await execute({
        site,
        plan: run.plan,
        sink,
        signal: controller.signal,
        forks: run.options.forks,
        secrets: { ...(await this.secretsSource(run.site, run.revision)), alwaysMasked: await this.serverSecrets() },
        server,
        introspection: {
          issue: (host) => ({ url: new URL("/api/v1/introspect", this.publicUrl).href, token: this.introspection.issue({ run: id, site: run.site, revision: run.revision, host }) }),
        },
      });
    } catch (e) {
      message = `the run stopped on an internal error: ${e instanceof Error ? e.message : String(e)}`;
      sink.event({ type: "run.finished", status: "failed", message });
    } finally {
      await this.introspection.endRun(id).catch(() => undefined);
      await sink.flush().catch(() => undefined);
      this.active.delete(id);
      await this.runs.setStatus(id, status, { finishedAt: new Date(), message });
      this.broadcaster.siteRuns(run.site, id);
    }
    return status;
  }
}
