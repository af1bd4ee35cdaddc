/**
 * The database schema. Site files are stored like git stores them: content-addressed blobs, and per
 * revision a full list of (path -> blob), so any two revisions can be diffed and exported exactly.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A project (a tenant) owns sites; its members' roles apply to every site of it. */
export const projects = sqliteTable("projects", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

export const sites = sqliteTable(
  "sites",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
    /**
     * The project that owns the site (projects.id). The reference is enforced by triggers (migration 0005), not a
     * REFERENCES clause: SQLite adds a referencing NOT NULL column only by rebuilding the table, which inside the
     * migration's transaction (foreign keys on) would cascade-delete every site's revisions and runs. The default
     * is the `default` project (id 1), which that migration creates; the store always sets it.
     */
    projectId: integer("project_id").notNull().default(1),
    /** How many approvals a run needs before it executes (0: runs start when requested). */
    approvalsRequired: integer("approvals_required").notNull().default(1),
    /** Whether `transport: local` (commands on the server itself, sandboxed) is allowed; only server admins change it. */
    localExecution: integer("local_execution", { mode: "boolean" }).notNull().default(false),
    /** Runs of this site at once, across all workers (1: one at a time). */
    parallelRuns: integer("parallel_runs").notNull().default(1),
  },
  (t) => [index("sites_project").on(t.projectId)],
);

export const blobs = sqliteTable("blobs", {
  /** sha256 of the content, hex. */
  hash: text("hash").primaryKey(),
  content: text("content").notNull(),
});

export const revisions = sqliteTable(
  "revisions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    /** 1, 2, 3... per site. */
    number: integer("number").notNull(),
    author: text("author").notNull(),
    message: text("message").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    /** Lint summary of the site at this revision, so history shows which revisions were broken. */
    errors: integer("errors").notNull(),
    warnings: integer("warnings").notNull(),
    hosts: integer("hosts").notNull(),
  },
  (t) => [uniqueIndex("revisions_site_number").on(t.siteId, t.number)],
);

export const revisionFiles = sqliteTable(
  "revision_files",
  {
    revisionId: integer("revision_id").notNull().references(() => revisions.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    blobHash: text("blob_hash").notNull().references(() => blobs.hash),
  },
  (t) => [primaryKey({ columns: [t.revisionId, t.path] }), index("revision_files_blob").on(t.blobHash)],
);

/** A deployment run of one site revision. The plan is frozen at launch: the run executes exactly it. */
export const runs = sqliteTable(
  "runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    revision: integer("revision").notNull(),
    deployment: text("deployment").notNull(),
    title: text("title").notNull(),
    status: text("status").notNull(),
    requestedBy: text("requested_by").notNull(),
    /** The requesting user's id: nobody approves their own run. */
    requestedById: text("requested_by_id"),
    approvedAt: integer("approved_at", { mode: "timestamp_ms" }),
    reason: text("reason").notNull().default(""),
    /** JSON: the frozen plan. */
    plan: text("plan").notNull(),
    /** JSON: forks, limit (hosts), and the run this one re-runs. */
    options: text("options").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    message: text("message"),
    /** The newest stored event's seq: the store numbers appended events from it, inside the append transaction. */
    lastSeq: integer("last_seq").notNull().default(0),
    /** When it was approved and entered the queue: the queue is FIFO by (queued_at, id). */
    queuedAt: integer("queued_at", { mode: "timestamp_ms" }),
    /** The process (workers.id) executing it. */
    worker: text("worker"),
    /** The worker renews this while it runs; past it, the run's worker is taken for dead. */
    leaseExpiresAt: integer("lease_expires_at", { mode: "timestamp_ms" }),
    /** Who asked to cancel the run while it ran (its worker acts on it, whichever process got the click). */
    cancelRequestedBy: text("cancel_requested_by"),
    /** While `scheduled` (approved outside its maintenance window): when its window next opens. */
    scheduledFor: integer("scheduled_for", { mode: "timestamp_ms" }),
  },
  (t) => [index("runs_site").on(t.siteId, t.id), index("runs_status").on(t.status), index("runs_queue").on(t.status, t.queuedAt, t.id)],
);

/** The state stream of a run: every event with its per-run sequence number, stored before it is broadcast. */
export const runEvents = sqliteTable(
  "run_events",
  {
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    t: integer("t").notNull(),
    type: text("type").notNull(),
    host: text("host"),
    step: text("step"),
    /** JSON of the whole event. */
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] }), index("run_events_host").on(t.runId, t.host)],
);

/** The output stream: stdout/stderr chunks, stored in batches, capped per step (the cap is said in a chunk). */
export const runOutput = sqliteTable(
  "run_output",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    host: text("host").notNull(),
    step: text("step").notNull(),
    stream: text("stream").notNull(),
    t: integer("t").notNull(),
    data: text("data").notNull(),
  },
  (t) => [index("run_output_step").on(t.runId, t.host, t.step, t.id)],
);

// --- Accounts. The first four tables are better-auth's (its drizzle adapter reads them by these names). ---

export const user = sqliteTable("user", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
  image: text("image"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  username: text("username").unique(),
  displayUsername: text("display_username"),
  /** Server administrator: manages users, sites and kiosk boards, and holds the admin role on every site. */
  isAdmin: integer("is_admin", { mode: "boolean" }).notNull().default(false),
  /** Set for a one-time or reset password: nothing but changing it is allowed until it is changed. */
  mustChangePassword: integer("must_change_password", { mode: "boolean" }).notNull().default(false),
  /** Disabled users keep their name in the audit log but cannot sign in. */
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
});

export const session = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    token: text("token").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
  },
  (t) => [index("session_user").on(t.userId)],
);

export const account = sqliteTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: integer("access_token_expires_at", { mode: "timestamp_ms" }),
    refreshTokenExpiresAt: integer("refresh_token_expires_at", { mode: "timestamp_ms" }),
    scope: text("scope"),
    password: text("password"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("account_user").on(t.userId)],
);

export const verification = sqliteTable("verification", {
  id: text("id").primaryKey(),
  identifier: text("identifier").notNull(),
  value: text("value").notNull(),
  expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** A user's role on one site: viewer < operator < approver < admin. */
export const memberships = sqliteTable(
  "memberships",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.userId] }), index("memberships_user").on(t.userId)],
);

/** A user's role on every site of a project: a site membership can add to it, never lower it. */
export const projectMembers = sqliteTable(
  "project_members",
  {
    projectId: integer("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user").on(t.userId)],
);

/** A full-screen board of runs of chosen sites, for wall screens. */
export const kioskBoards = sqliteTable("kiosk_boards", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  title: text("title").notNull(),
  /** JSON: the site slugs it shows. */
  sites: text("sites").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * Bearer tokens, stored as sha256 hashes (shown once). `api` tokens act for their owner with a role on one
 * site or on every site of one project (never more than the owner still has); `kiosk` tokens read one board
 * and nothing else.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    /** The first characters, to tell tokens apart in lists. */
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    siteId: integer("site_id").references(() => sites.id, { onDelete: "cascade" }),
    /** A project-scoped api token's project (site_id is then null). */
    projectId: integer("project_id").references(() => projects.id, { onDelete: "cascade" }),
    role: text("role"),
    boardId: integer("board_id").references(() => kioskBoards.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("api_tokens_user").on(t.userId)],
);

/** Append-only (triggers refuse UPDATE and DELETE): who did what, when, to what. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    /** The user name, `token <name> (user)`, `kiosk <board>` or `anonymous`. */
    actor: text("actor").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    /** Site slug, kept as text so entries outlive the site. */
    site: text("site"),
    target: text("target").notNull().default(""),
    /** JSON: what changed. Never a secret value. */
    detail: text("detail").notNull().default("{}"),
    ip: text("ip"),
  },
  (t) => [index("audit_at").on(t.at), index("audit_site").on(t.site, t.at), index("audit_action").on(t.action, t.at)],
);

/** Reviewers' decisions on requested runs. */
export const runApprovals = sqliteTable(
  "run_approvals",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    username: text("username").notNull(),
    decision: text("decision").notNull(),
    comment: text("comment").notNull().default(""),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("run_approvals_once").on(t.runId, t.userId)],
);

/**
 * Introspection tokens of running runs, by the token's sha256 (the token itself is never stored): any process
 * may answer a machine's request, whichever one executes the run. Deleted when the run ends.
 */
export const introspectionTokens = sqliteTable(
  "introspection_tokens",
  {
    hash: text("hash").primaryKey(),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    site: text("site").notNull(),
    revision: integer("revision").notNull(),
    host: text("host").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("introspection_tokens_run").on(t.runId)],
);

/** Live processes (run workers and web replicas) with their heartbeat. */
export const workers = sqliteTable("workers", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  version: text("version").notNull(),
  startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
  seenAt: integer("seen_at", { mode: "timestamp_ms" }).notNull(),
});

// --- Events, reactions and notifications (issue "Events and reactions"). ---

/** Events received by a site (API, Alertmanager, GitHub) or raised by Flightdeck itself, with what each caused. */
export const siteEvents = sqliteTable(
  "site_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    /** `api`, `alertmanager`, `github` or `flightdeck`. */
    source: text("source").notNull(),
    /** e.g. `alertmanager/DiskFull`, `github/push`, `flightdeck/failure/step`. */
    name: text("name").notNull(),
    /** JSON object of string labels. */
    labels: text("labels").notNull().default("{}"),
    /** JSON: the event's data (bounded at intake). */
    data: text("data").notNull().default("{}"),
    /** Who sent it: a token's or user's name, `webhook` (signed), or `flightdeck`. */
    sender: text("sender").notNull(),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
    /** JSON array: per reaction considered, what happened (matched, held by a limiter until when, the run started). */
    outcome: text("outcome").notNull().default("[]"),
  },
  (t) => [index("site_events_site").on(t.siteId, t.id), index("site_events_name").on(t.siteId, t.name, t.receivedAt)],
);

/** A reaction's trigger-limiter state per key (the reaction, or the reaction and the targets it derives). */
export const reactionState = sqliteTable(
  "reaction_state",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    reaction: text("reaction").notNull(),
    key: text("key").notNull(),
    /** JSON array of the occurrences still inside the window: [{eventId, at}]. */
    occurrences: text("occurrences").notNull().default("[]"),
    lastFiredAt: integer("last_fired_at", { mode: "timestamp_ms" }),
    /** While `wait_for_more` waits: when it fires if nothing resets it. */
    waitUntil: integer("wait_until", { mode: "timestamp_ms" }),
    /** The event that fires when the wait ends. */
    waitEventId: integer("wait_event_id"),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.reaction, t.key] }), index("reaction_state_wait").on(t.waitUntil)],
);

/** Notifications to send (an outbox): one process claims each, so it is sent once whatever the number of processes. */
export const notifications = sqliteTable(
  "notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    /** approval_requested, run_started, run_finished, run_failed, reaction_fired. */
    kind: text("kind").notNull(),
    /** `webhook` or `email`. */
    channel: text("channel").notNull(),
    /** The URL or the address. */
    target: text("target").notNull(),
    /** JSON body (no secret values). */
    payload: text("payload").notNull(),
    /** pending, sending, sent, failed. */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    lastError: text("last_error"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("notifications_due").on(t.status, t.nextAttemptAt), index("notifications_site").on(t.siteId, t.id)],
);

/** Per-site settings of events and notifications. */
export const siteEventSettings = sqliteTable("site_event_settings", {
  siteId: integer("site_id")
    .primaryKey()
    .references(() => sites.id, { onDelete: "cascade" }),
  /** The webhook secret (HMAC-SHA256 key), encrypted with the server's key; null: signed webhooks are refused. */
  webhookSecret: text("webhook_secret"),
  /** Whether reactions that say `approval: auto` may start runs without a reviewer. */
  allowAutoApproval: integer("allow_auto_approval", { mode: "boolean" }).notNull().default(false),
  /** JSON: who gets which notification ([{kinds, channel, target}]). */
  notify: text("notify").notNull().default("[]"),
  /** The branch whose GitHub pushes request runs, and the deployment they request (JSON, null: none). */
  github: text("github"),
});

// --- Schedules, maintenance windows and data shared between hosts (issue "Schedules and maintenance windows"). ---

/** Each time a schedule fired: the (site, schedule, slot) key makes a slot fire once across processes. */
export const scheduleFires = sqliteTable(
  "schedule_fires",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    schedule: text("schedule").notNull(),
    /** The cron occurrence this fire is for. */
    slot: integer("slot", { mode: "timestamp_ms" }).notNull(),
    firedAt: integer("fired_at", { mode: "timestamp_ms" }).notNull(),
    runId: integer("run_id").references(() => runs.id, { onDelete: "set null" }),
    /** Why it requested no run, when it did not (a lint error, a missing deployment). */
    message: text("message"),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.schedule, t.slot] })],
);

/** Files and directories a step fetched from a host (`file.fetch`), kept with the run for `file.managed` to place. */
export const runArtifacts = sqliteTable(
  "run_artifacts",
  {
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    host: text("host").notNull(),
    step: text("step").notNull(),
    /** `file` or `directory` (a tar). */
    type: text("type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    /** base64 of the bytes (bounded by the step's size limit). */
    content: text("content").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.host, t.step] })],
);
