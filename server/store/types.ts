/**
 * The store, as an interface: everything Flightdeck keeps (sites and their revisions, runs with their events and
 * output, accounts, the audit log, introspection tokens, live processes), behind async methods so the same callers
 * work on the embedded SQLite file and on PostgreSQL. Both implementations return exactly the types declared here
 * (Date for timestamps, boolean for flags, parsed JSON where the type says so), so no caller knows which it has.
 *
 * Logic that is not a query (path and slug rules, normalising files, lint counts, role maths, token rules, the
 * audit query's validation) lives once, in dialect-free modules above this interface (store/site-files.ts,
 * auth/access.ts, auth/users.ts, auth/audit.ts); implementations only read and write rows.
 */
import type { drizzleAdapter } from "better-auth/adapters/drizzle";
import type { EngineEvent, OutputChunk, Plan, RunEvent, RunStatus } from "../engine";
import type { Artifact } from "../engine/actions/types";
import type { TemplateEvent } from "../engine/render";
import type { EventStore } from "../events/types";
import type { SiteFile } from "../inventory";
import type { NotificationStore } from "../notify/types";

export type Dialect = "sqlite" | "postgres";

/** A run's fetched files and directories (gzipped tars), by host and step: the engine's ArtifactStore for one run. */
export interface RunArtifactStore {
  /** Stores (or replaces, when the step ran again) what `step` fetched on `host`. */
  put(runId: number, host: string, step: string, artifact: Artifact): Promise<void>;
  get(runId: number, host: string, step: string): Promise<Artifact | null>;
}

export interface Store {
  readonly dialect: Dialect;
  readonly projects: ProjectStore;
  readonly sites: SiteStore;
  readonly runs: RunStore;
  readonly accounts: AccountStore;
  readonly audit: AuditStore;
  readonly introspection: IntrospectionStore;
  readonly workers: WorkerRegistry;
  /** The notification outbox and each site's rules (server/notify/types.ts). */
  readonly notifications: NotificationStore;
  /** Schedule fires and runs waiting for a maintenance window (server/schedules). */
  readonly schedules: ScheduleStore;
  /** Site events, their settings and the reactions' limiter state (server/events/types.ts). */
  readonly events: EventStore;
  /** What runs' `file.fetch` steps fetched, kept with the run (deleted with it). */
  readonly artifacts: RunArtifactStore;
  /** better-auth's database adapter over the same connection and the same user/session/account/verification tables. */
  betterAuthAdapter(): BetterAuthAdapter;
  /** Closes the connection (pool); the store is unusable afterwards. */
  close(): Promise<void>;
}

export type BetterAuthAdapter = ReturnType<typeof drizzleAdapter>;

// --- Sites -------------------------------------------------------------------------------------------------

export interface FileChange {
  path: string;
  /** New content, or null to delete the file. */
  content: string | null;
}

/** What a revision stores about its lint. */
export interface LintCounts {
  errors: number;
  warnings: number;
  hosts: number;
}

export interface SaveRequest {
  baseRevision: number;
  changes: FileChange[];
  author: string;
  message: string;
  /** The lint counts of the result, when the caller checked it already (off the event loop: server/workers). */
  lint?: LintCounts;
}

export interface CreateSiteRequest {
  slug: string;
  name: string;
  description?: string;
  /** The owning project's slug (default: `default`; NotFoundError for an unknown one). */
  project?: string;
  files: SiteFile[];
  author: string;
  message: string;
  lint?: LintCounts;
}

export interface ReplaceRequest {
  files: SiteFile[];
  author: string;
  message: string;
  lint?: LintCounts;
}

/** A site with its newest revision's summary. */
export interface SiteSummary {
  slug: string;
  name: string;
  description: string;
  /** The slug of the project that owns the site. */
  project: string;
  createdAt: Date;
  approvalsRequired: number;
  localExecution: boolean;
  /** Runs of this site at once, across all workers (1: one at a time). */
  parallelRuns: number;
  revision: number;
  updatedAt: Date;
  updatedBy: string;
  errors: number;
  warnings: number;
  hosts: number;
  /** Number of files in the newest revision. */
  files: number;
}

export interface RevisionSummary {
  number: number;
  author: string;
  message: string;
  createdAt: Date;
  errors: number;
  warnings: number;
  hosts: number;
}

/** What a save, create or replace wrote. */
export interface SavedRevision {
  number: number;
  errors: number;
  warnings: number;
  hosts: number;
}

export interface SiteSettings {
  approvalsRequired?: number;
  parallelRuns?: number;
}

export interface SiteStore {
  /** Every site with its newest revision, by name. */
  list(): Promise<SiteSummary[]>;
  /** One site (NotFoundError when there is none). */
  get(slug: string): Promise<SiteSummary>;
  exists(slug: string): Promise<boolean>;
  /** A new site whose revision 1 holds `files`, atomically (ConflictError when the slug is taken, InvalidInputError on bad paths). */
  create(input: CreateSiteRequest): Promise<SavedRevision>;
  /** Changes on top of `baseRevision`, which must still be the newest (ConflictError otherwise), as one new revision, atomically. */
  save(slug: string, request: SaveRequest): Promise<SavedRevision>;
  /** The site's files replaced wholesale (a re-import), as one new revision, atomically. */
  replace(slug: string, input: ReplaceRequest): Promise<SavedRevision>;
  /** The site's revisions, newest first. */
  revisions(slug: string): Promise<RevisionSummary[]>;
  /** The files of a revision (the newest when `number` is omitted), in path order. */
  files(slug: string, number?: number): Promise<{ revision: number; files: SiteFile[] }>;
  /** A revision's paths and content hashes (sha256 hex) without contents, in path order: what site caches key on. */
  manifest(slug: string, number?: number): Promise<{ revision: number; files: { path: string; hash: string }[] }>;
  /** The newest revision's number (NotFoundError for an unknown site). */
  head(slug: string): Promise<number>;
  setSettings(slug: string, settings: SiteSettings): Promise<void>;
  /** Whether the site may run `transport: local` steps: a server admin's decision. */
  setLocalExecution(slug: string, enabled: boolean): Promise<void>;
  /** The site and everything of it (revisions, runs, memberships, tokens) by cascade; the audit log keeps its slug. */
  delete(slug: string): Promise<void>;
}

// --- Projects ----------------------------------------------------------------------------------------------

/** A project with how many sites it owns. */
export interface ProjectSummary {
  slug: string;
  name: string;
  description: string;
  createdAt: Date;
  sites: number;
}

export interface NewProject {
  slug: string;
  name: string;
  description?: string;
}

export interface ProjectChange {
  name?: string;
  description?: string;
}

export interface ProjectStore {
  /** Every project, by name. */
  list(): Promise<ProjectSummary[]>;
  /** One project (NotFoundError when there is none). */
  get(slug: string): Promise<ProjectSummary>;
  /** A new project (ConflictError when the slug is taken, InvalidInputError for a bad slug). */
  create(input: NewProject): Promise<void>;
  /** Renames or re-describes a project (NotFoundError when there is none). */
  update(slug: string, change: ProjectChange): Promise<void>;
  /** Deletes an empty project (ConflictError while it owns sites, and always for `default`). */
  delete(slug: string): Promise<void>;
  /** The slugs of the project's sites, by slug (NotFoundError for an unknown project). */
  sites(slug: string): Promise<string[]>;
  /** Moves a site to another project; returns the project it left (NotFoundError for an unknown site or project). */
  moveSite(site: string, project: string): Promise<string>;
}

// --- Runs --------------------------------------------------------------------------------------------------

export interface RunOptions {
  forks: number;
  limit?: string[];
  rerunOf?: number;
  /** The event a reaction requested the run for: templates see it as `event`. */
  event?: TemplateEvent;
}

export interface CreateRunRequest {
  site: string;
  revision: number;
  plan: Plan;
  requestedBy: string;
  requestedById?: string | null;
  reason: string;
  options: RunOptions;
  status: RunStatus;
}

/** A run with its frozen plan. */
export interface RunRow {
  id: number;
  siteId: number;
  site: string;
  revision: number;
  deployment: string;
  title: string;
  status: RunStatus;
  requestedBy: string;
  requestedById: string | null;
  approvedAt: Date | null;
  reason: string;
  plan: Plan;
  options: RunOptions;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  message: string | null;
  /** When it entered the queue (approved, waiting for a slot); the queue is FIFO by (queuedAt, id). */
  queuedAt: Date | null;
  /** The process (WorkerRegistry id) executing it. */
  worker: string | null;
  leaseExpiresAt: Date | null;
  /** Set when a cancel was asked of a running run; its worker sees it on lease renewal. */
  cancelRequestedBy: string | null;
  /** The seq of its newest stored event (0: none). */
  lastSeq: number;
  /** While `scheduled`: when its maintenance window next opens. */
  scheduledFor: Date | null;
}

/** A run as lists show it (no plan). */
export interface RunListItem {
  id: number;
  revision: number;
  deployment: string;
  title: string;
  status: RunStatus;
  requestedBy: string;
  requestedById: string | null;
  reason: string;
  createdAt: Date;
  queuedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  message: string | null;
  /** While `scheduled`: when its maintenance window next opens. */
  scheduledFor: Date | null;
}

/** More conditions on a run list, ANDed (the REST list's filters and cursor). */
export interface RunListFilter {
  deployment?: string;
  /** Who requested it, exactly as the run names them (a user, or "user (token name)"). */
  requestedBy?: string;
  /** Requested at or after this moment. */
  since?: Date;
  /** Runs with a smaller id (the next page). */
  before?: number;
}

export interface RunReview {
  userId: string;
  username: string;
  decision: string;
  comment: string;
  createdAt: Date;
}

/** The columns a status change may set alongside the status (undefined: left as is; null: cleared). */
export interface RunStatusExtra {
  startedAt?: Date;
  finishedAt?: Date;
  approvedAt?: Date;
  queuedAt?: Date | null;
  message?: string;
  worker?: string | null;
  leaseExpiresAt?: Date | null;
  cancelRequestedBy?: string | null;
  scheduledFor?: Date | null;
}

/** An event as the sink has it: everything but its seq, which the store assigns. */
export type UnnumberedEvent = EngineEvent & { t: number };
export type StoredOutputChunk = OutputChunk & { t: number };

export interface RunOutputRow {
  id: number;
  step: string;
  stream: string;
  t: number;
  data: string;
}

export type ClaimResult = "claimed" | "busy" | "gone";

export interface RunStore {
  /** A new run of the site's revision (NotFoundError for an unknown site); returns its id. */
  create(input: CreateRunRequest): Promise<number>;
  /** One run (NotFoundError when there is none). */
  get(id: number): Promise<RunRow>;
  /** The site's runs, newest first, optionally of one status and matching `filter`. */
  list(site: string, limit?: number, status?: RunStatus, filter?: RunListFilter): Promise<RunListItem[]>;
  /** Records a reviewer's decision; false when this reviewer already decided on this run. */
  addReview(runId: number, review: { userId: string; username: string; decision: "approve" | "reject"; comment: string }): Promise<boolean>;
  /** The run's reviews in the order given. */
  reviews(runId: number): Promise<RunReview[]>;
  /** The newest run of the site before run `before` that was approved (approvals diff against it). */
  lastApproved(site: string, before: number): Promise<{ id: number; revision: number; approvedAt: Date | null } | undefined>;
  /** Sets the status unconditionally, with `extra` columns. */
  setStatus(id: number, status: RunStatus, extra?: RunStatusExtra): Promise<void>;
  /** Sets the status only when it is one of `from`, atomically (compare-and-set); true when it changed. */
  transition(id: number, from: readonly RunStatus[], to: RunStatus, extra?: RunStatusExtra): Promise<boolean>;
  /** Ids of runs not finished and not waiting for approval (running, approved, queued). */
  inFlight(): Promise<number[]>;
  /**
   * Stores a batch of events and output chunks in one transaction, numbering the events from the run's last_seq
   * (unique and gap-free per run, under concurrent writers too); returns the events as stored, with their seq.
   */
  append(runId: number, events: readonly UnnumberedEvent[], output: readonly StoredOutputChunk[]): Promise<RunEvent[]>;
  /** The seq of the run's newest stored event (0: none). */
  lastSeq(runId: number): Promise<number>;
  /** The run's events with seq > `after`, in seq order (at most `limit` of them when given). */
  events(runId: number, after?: number, limit?: number): Promise<RunEvent[]>;
  /** A host's output chunks (of one step when given) with id > `afterId`, in storage order. */
  output(runId: number, host: string, step?: string, afterId?: number): Promise<RunOutputRow[]>;
  /**
   * Ends run `id` as `interrupted` with its closing events, in one transaction, if its status is still one of
   * `from`: the status (with `extra`) changes and `closing(stored)` is appended after the events stored so far
   * (`stored`: all of them, read under the same lock, so the closing events describe exactly what precedes
   * them), numbered like `append`. Returns the closing events as stored, or null when the run was not in `from`
   * (another process ended it first: nothing is written). A reader never sees the status without its events.
   * `closing` is called inside the transaction: it must be quick and must not touch the store.
   */
  finishInterrupted(
    id: number,
    from: readonly RunStatus[],
    closing: (stored: readonly RunEvent[]) => UnnumberedEvent[],
    extra?: RunStatusExtra,
  ): Promise<RunEvent[] | null>;
  /**
   * Lease times are the database's clock on PostgreSQL (`now()`), so that clock drift between machines can
   * neither end a live worker's run nor keep a dead one's; on SQLite (one process) the process's clock.
   *
   * Takes a queued run for `workerId`, in one transaction: "gone" unless it is `queued`; "busy" when its site
   * already runs `parallel_runs` runs or an older queued run of the site waits (FIFO within a site); otherwise
   * "claimed": status running, started_at = now, worker, lease_expires_at = now + leaseMs, queued_at kept.
   */
  claim(runId: number, workerId: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Extends the leases of `runIds` that `workerId` still holds (running, worker = workerId) to now + leaseMs
   * (the database's now, see `claim`); returns those runs with their cancel request (the cancel fallback when a
   * notification was missed).
   */
  renewLeases(workerId: string, runIds: readonly number[], leaseMs: number): Promise<{ id: number; cancelRequestedBy: string | null }[]>;
  /** Running runs whose lease expired before now, the database's (their worker died or stalled). */
  expiredLeases(): Promise<number[]>;
  /** Queued runs in queue order (queued_at, id): the index is the position. */
  queued(): Promise<{ id: number; site: string; queuedAt: Date }[]>;
  /** Marks a cancel request by `by` on the run (a running run's worker acts on it); idempotent. */
  requestCancel(id: number, by: string): Promise<void>;
}

// --- Accounts ----------------------------------------------------------------------------------------------

/** A user as access checks need them. */
export interface UserRef {
  id: string;
  username: string | null;
  name: string;
  isAdmin: boolean;
  disabled: boolean;
}

export interface UserListItem extends UserRef {
  mustChangePassword: boolean;
  createdAt: Date;
}

export interface NewUser {
  id: string;
  name: string;
  email: string;
  username: string;
  isAdmin: boolean;
  mustChangePassword: boolean;
  createdAt: Date;
}

export interface UserChange {
  isAdmin?: boolean;
  disabled?: boolean;
  name?: string;
}

export interface MemberRow {
  userId: string;
  username: string | null;
  name: string;
  /** As stored; Access validates it as a Role. */
  role: string;
  isAdmin: boolean;
  disabled: boolean;
}

export interface ApiTokenRow {
  id: number;
  kind: string;
  name: string;
  prefix: string;
  hash: string;
  userId: string;
  siteId: number | null;
  /** A project-scoped api token's project (siteId is then null). */
  projectId: number | null;
  role: string | null;
  boardId: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export type NewApiToken = Omit<ApiTokenRow, "id" | "lastUsedAt" | "revokedAt">;

/** A token as lists show it: never the hash. */
export interface TokenListItem {
  id: number;
  kind: string;
  name: string;
  prefix: string;
  owner: string | null;
  userId: string;
  site: string | null;
  /** The project of a project-scoped token. */
  project: string | null;
  role: string | null;
  board: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface KioskBoard {
  id: number;
  slug: string;
  title: string;
  /** The site slugs it shows. */
  sites: string[];
  createdAt: Date;
}

export interface AccountStore {
  // Sites, as access checks see them.
  /** The site's id, or undefined. */
  siteId(slug: string): Promise<number | undefined>;
  /** The site's slug by id, or undefined. */
  siteSlug(id: number): Promise<string | undefined>;
  /** Every site's slug. */
  allSiteSlugs(): Promise<string[]>;
  /** Those of `slugs` that name existing sites. */
  existingSites(slugs: readonly string[]): Promise<string[]>;

  // Projects, as access checks see them.
  /** The project's id, or undefined. */
  projectId(slug: string): Promise<number | undefined>;
  /** The project's slug by id, or undefined. */
  projectSlug(id: number): Promise<string | undefined>;
  /** The id of the project that owns the site, or undefined for an unknown site. */
  projectOfSite(siteId: number): Promise<number | undefined>;
  /** The project's sites (id and slug), by slug. */
  projectSites(projectId: number): Promise<{ id: number; slug: string }[]>;
  /** The stored role of a user on a project, or null. */
  projectMembership(projectId: number, userId: string): Promise<string | null>;
  /** Slugs of the sites of the projects the user is a member of. */
  projectMemberSites(userId: string): Promise<string[]>;
  /** The project's members, by user name. */
  projectMembers(projectId: number): Promise<MemberRow[]>;
  /** Sets (upsert) or with null removes a project membership. */
  setProjectMembership(projectId: number, userId: string, role: string | null): Promise<void>;

  // Memberships.
  /** The stored role of a user on a site, or null. */
  membership(siteId: number, userId: string): Promise<string | null>;
  /** Slugs of the sites the user is a member of. */
  memberSites(userId: string): Promise<string[]>;
  /** The site's members, by user name. */
  members(siteId: number): Promise<MemberRow[]>;
  /** Sets (upsert) or with null removes a membership. */
  setMembership(siteId: number, userId: string, role: string | null): Promise<void>;

  // Users (better-auth's tables; better-auth itself writes sessions through betterAuthAdapter()).
  user(id: string): Promise<UserRef | undefined>;
  userByUsername(username: string): Promise<UserRef | undefined>;
  countUsers(): Promise<number>;
  /** Every user, by user name. */
  listUsers(): Promise<UserListItem[]>;
  /** A user with a credential account holding `passwordHash`, in one transaction. */
  createUser(user: NewUser, passwordHash: string): Promise<void>;
  /** Changes a user's flags or name (updated_at = now); false when there is no such user. */
  updateUser(id: string, change: UserChange): Promise<boolean>;
  /** The user's credential password hash, or undefined (no such user or no password). */
  passwordHash(userId: string): Promise<string | undefined>;
  /** Sets the credential password hash and must_change_password, in one transaction; false when the user has no credential account. */
  setPassword(userId: string, passwordHash: string, mustChange: boolean): Promise<boolean>;
  /** Ends every session of the user. */
  deleteSessions(userId: string): Promise<void>;

  // Tokens.
  tokenByHash(hash: string): Promise<ApiTokenRow | undefined>;
  tokenById(id: number): Promise<ApiTokenRow | undefined>;
  /** Inserts a token; returns its id. */
  insertToken(token: NewApiToken): Promise<number>;
  /** Sets last_used_at. */
  touchToken(id: number, at: Date): Promise<void>;
  /** Sets revoked_at when not yet revoked; false when it already was (or there is no such token). */
  revokeToken(id: number, at: Date): Promise<boolean>;
  /** Tokens of `userId` (undefined: everyone's), newest first. */
  listTokens(userId?: string): Promise<TokenListItem[]>;

  // Kiosk boards.
  /** Every board, by slug. */
  boards(): Promise<KioskBoard[]>;
  boardBySlug(slug: string): Promise<KioskBoard | undefined>;
  boardById(id: number): Promise<KioskBoard | undefined>;
  /** Creates the board or updates its title and sites (upsert by slug). */
  saveBoard(board: { slug: string; title: string; sites: string[] }): Promise<void>;
  deleteBoard(id: number): Promise<void>;
}

// --- Audit -------------------------------------------------------------------------------------------------

export interface NewAuditEntry {
  at: Date;
  actor: string;
  actorId: string | null;
  action: string;
  site: string | null;
  target: string;
  /** JSON text. */
  detail: string;
  ip: string | null;
}

export interface AuditRow extends NewAuditEntry {
  id: number;
}

/** A validated audit query (AuditLog parses the user's input into this). All conditions are ANDed. */
export interface AuditFilter {
  /** Only these sites (undefined: any; never empty). */
  sites?: readonly string[];
  site?: string;
  /** An exact action, or with `actionPrefix` every action starting with it. */
  action?: string;
  actionPrefix?: boolean;
  /** Substring of the actor, case-insensitive for ASCII (as SQLite's LIKE). */
  actor?: string;
  /** Substring of the target or the detail JSON, case-insensitive for ASCII. */
  text?: string;
  from?: Date;
  to?: Date;
  /** Entries with a smaller id (the next page). */
  before?: number;
  limit: number;
}

export interface AuditStore {
  /** Appends an entry (the table refuses UPDATE and DELETE). */
  insert(entry: NewAuditEntry): Promise<void>;
  /** Matching entries, newest (highest id) first, at most `limit`. */
  query(filter: AuditFilter): Promise<AuditRow[]>;
}

// --- Introspection tokens ----------------------------------------------------------------------------------

export interface IntrospectionGrant {
  run: number;
  site: string;
  revision: number;
  host: string;
}

export interface IntrospectionStore {
  /** Stores a grant under the token's sha256 hash (never the token itself). */
  issue(hash: string, grant: IntrospectionGrant): Promise<void>;
  /** The grant of a token hash while its run is running, else undefined (a run ended by another process before its tokens were deleted grants nothing). */
  lookup(hash: string): Promise<IntrospectionGrant | undefined>;
  /** Deletes every grant of the run (its tokens stop working). */
  endRun(run: number): Promise<void>;
}

// --- Schedules and maintenance windows ----------------------------------------------------------------------

/** One slot of a schedule that fired, with the run it requested (or why none). */
export interface ScheduleFire {
  schedule: string;
  slot: Date;
  firedAt: Date;
  runId: number | null;
  /** The run's status now (null: no run, or it was deleted). */
  runStatus: RunStatus | null;
  message: string | null;
}

export interface ScheduleStore {
  /**
   * Claims a schedule's slot for this process, atomically (INSERT ... ON CONFLICT DO NOTHING on the
   * (site, schedule, slot) key): true for exactly one caller across every process; false when already fired.
   */
  claimFire(site: string, schedule: string, slot: Date, firedAt: Date): Promise<boolean>;
  /** What a claimed fire did: the run it requested, or why it requested none. */
  recordFire(site: string, schedule: string, slot: Date, outcome: { runId?: number; message?: string }): Promise<void>;
  /** The site's newest fires (of one schedule when given), newest slot first. */
  fires(site: string, limit: number, schedule?: string): Promise<ScheduleFire[]>;
  /** Runs `scheduled` whose scheduled_for is at or before `now` (their window may have opened), oldest first. */
  dueScheduled(now: Date): Promise<{ id: number; site: string }[]>;
}

// --- Live processes ----------------------------------------------------------------------------------------

export interface WorkerInfo {
  /** Unique per process, e.g. `host:pid:random`. */
  id: string;
  host: string;
  pid: number;
  version: string;
}

export interface WorkerRow extends WorkerInfo {
  startedAt: Date;
  seenAt: Date;
}

export interface WorkerRegistry {
  /** Records the process (upsert), started and seen now. */
  register(info: WorkerInfo): Promise<void>;
  /** Sets seen_at = now; false when the row is gone (a sweeper removed it: the process must stop or re-register). */
  heartbeat(id: string): Promise<boolean>;
  /** Processes seen at or after `since`, by id. */
  live(since: Date): Promise<WorkerRow[]>;
  remove(id: string): Promise<void>;
}
