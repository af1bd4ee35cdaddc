/**
 * The PostgreSQL schema: the same tables and column names as the SQLite one (db/schema.ts), so rows map to the
 * same objects. Timestamps are `timestamp with time zone` read as Date (the SQLite columns are ms integers read
 * as Date too); event and output times (`t`, epoch ms from the engine) are bigint read as numbers; JSON stays
 * text, so the code that parses it is shared. The append-only audit log's triggers are in a hand-written
 * migration (db/pg/migrations/0001_audit_append_only.sql).
 */
import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/** A point in time, read and written as a Date. */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
/** Epoch milliseconds as a number (past 2^31, so not `integer`). */
const ms = (name: string) => bigint(name, { mode: "number" });

/** A project (a tenant) owns sites; its members' roles apply to every site of it. */
export const projects = pgTable("projects", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  createdAt: at("created_at").notNull(),
});

export const sites = pgTable(
  "sites",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: at("created_at").notNull().defaultNow(),
    /** The project that owns the site; a project with sites cannot be deleted. */
    projectId: integer("project_id").notNull().references(() => projects.id),
    approvalsRequired: integer("approvals_required").notNull().default(1),
    localExecution: boolean("local_execution").notNull().default(false),
    /** Runs of this site at once, across all workers. */
    parallelRuns: integer("parallel_runs").notNull().default(1),
  },
  (t) => [index("sites_project").on(t.projectId)],
);

export const blobs = pgTable("blobs", {
  hash: text("hash").primaryKey(),
  content: text("content").notNull(),
});

export const revisions = pgTable(
  "revisions",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    author: text("author").notNull(),
    message: text("message").notNull(),
    createdAt: at("created_at").notNull(),
    errors: integer("errors").notNull(),
    warnings: integer("warnings").notNull(),
    hosts: integer("hosts").notNull(),
  },
  (t) => [uniqueIndex("revisions_site_number").on(t.siteId, t.number)],
);

export const revisionFiles = pgTable(
  "revision_files",
  {
    revisionId: integer("revision_id").notNull().references(() => revisions.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    blobHash: text("blob_hash").notNull().references(() => blobs.hash),
  },
  (t) => [primaryKey({ columns: [t.revisionId, t.path] }), index("revision_files_blob").on(t.blobHash)],
);

export const runs = pgTable(
  "runs",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    revision: integer("revision").notNull(),
    deployment: text("deployment").notNull(),
    title: text("title").notNull(),
    status: text("status").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedById: text("requested_by_id"),
    approvedAt: at("approved_at"),
    reason: text("reason").notNull().default(""),
    plan: text("plan").notNull(),
    options: text("options").notNull(),
    createdAt: at("created_at").notNull(),
    startedAt: at("started_at"),
    finishedAt: at("finished_at"),
    message: text("message"),
    /** The last event sequence number given out: append takes the next ones under this row's lock. */
    lastSeq: integer("last_seq").notNull().default(0),
    /** When it entered the queue (approval): FIFO order within a site. */
    queuedAt: at("queued_at"),
    /** The worker executing it. */
    worker: text("worker"),
    leaseExpiresAt: at("lease_expires_at"),
    /** Who asked to cancel it while it ran: its worker stops it. */
    cancelRequestedBy: text("cancel_requested_by"),
    /** While `scheduled` (approved outside its maintenance window): when its window next opens. */
    scheduledFor: at("scheduled_for"),
  },
  (t) => [index("runs_site").on(t.siteId, t.id), index("runs_status").on(t.status), index("runs_queue").on(t.status, t.queuedAt, t.id)],
);

export const runEvents = pgTable(
  "run_events",
  {
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    t: ms("t").notNull(),
    type: text("type").notNull(),
    host: text("host"),
    step: text("step"),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] }), index("run_events_host").on(t.runId, t.host)],
);

export const runOutput = pgTable(
  "run_output",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    host: text("host").notNull(),
    step: text("step").notNull(),
    stream: text("stream").notNull(),
    t: ms("t").notNull(),
    data: text("data").notNull(),
  },
  (t) => [index("run_output_step").on(t.runId, t.host, t.step, t.id)],
);

export const user = pgTable("user", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  emailVerified: boolean("email_verified").notNull().default(false),
  image: text("image"),
  createdAt: at("created_at").notNull(),
  updatedAt: at("updated_at").notNull(),
  username: text("username").unique(),
  displayUsername: text("display_username"),
  isAdmin: boolean("is_admin").notNull().default(false),
  mustChangePassword: boolean("must_change_password").notNull().default(false),
  disabled: boolean("disabled").notNull().default(false),
});

export const session = pgTable(
  "session",
  {
    id: text("id").primaryKey(),
    expiresAt: at("expires_at").notNull(),
    token: text("token").notNull().unique(),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
  },
  (t) => [index("session_user").on(t.userId)],
);

export const account = pgTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    accessToken: text("access_token"),
    refreshToken: text("refresh_token"),
    idToken: text("id_token"),
    accessTokenExpiresAt: at("access_token_expires_at"),
    refreshTokenExpiresAt: at("refresh_token_expires_at"),
    scope: text("scope"),
    password: text("password"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
  },
  (t) => [index("account_user").on(t.userId)],
);

export const verification = pgTable("verification", {
  id: text("id").primaryKey(),
  identifier: text("identifier").notNull(),
  value: text("value").notNull(),
  expiresAt: at("expires_at").notNull(),
  createdAt: at("created_at").notNull(),
  updatedAt: at("updated_at").notNull(),
});

export const memberships = pgTable(
  "memberships",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
    createdAt: at("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.userId] }), index("memberships_user").on(t.userId)],
);

/** A user's role on every site of a project: a site membership can add to it, never lower it. */
export const projectMembers = pgTable(
  "project_members",
  {
    projectId: integer("project_id").notNull().references(() => projects.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
    createdAt: at("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index("project_members_user").on(t.userId)],
);

export const kioskBoards = pgTable("kiosk_boards", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  slug: text("slug").notNull().unique(),
  title: text("title").notNull(),
  sites: text("sites").notNull(),
  createdAt: at("created_at").notNull(),
});

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    hash: text("hash").notNull().unique(),
    userId: text("user_id").notNull().references(() => user.id, { onDelete: "cascade" }),
    siteId: integer("site_id").references(() => sites.id, { onDelete: "cascade" }),
    /** A project-scoped api token's project (site_id is then null). */
    projectId: integer("project_id").references(() => projects.id, { onDelete: "cascade" }),
    role: text("role"),
    boardId: integer("board_id").references(() => kioskBoards.id, { onDelete: "cascade" }),
    createdAt: at("created_at").notNull(),
    expiresAt: at("expires_at"),
    lastUsedAt: at("last_used_at"),
    revokedAt: at("revoked_at"),
  },
  (t) => [index("api_tokens_user").on(t.userId)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    at: at("at").notNull(),
    actor: text("actor").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    site: text("site"),
    target: text("target").notNull().default(""),
    detail: text("detail").notNull().default("{}"),
    ip: text("ip"),
  },
  (t) => [index("audit_at").on(t.at), index("audit_site").on(t.site, t.at), index("audit_action").on(t.action, t.at)],
);

export const runApprovals = pgTable(
  "run_approvals",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    username: text("username").notNull(),
    decision: text("decision").notNull(),
    comment: text("comment").notNull().default(""),
    createdAt: at("created_at").notNull(),
  },
  (t) => [uniqueIndex("run_approvals_once").on(t.runId, t.userId)],
);

/** Introspection tokens of running runs (hashes), so any process can check one. */
export const introspectionTokens = pgTable(
  "introspection_tokens",
  {
    hash: text("hash").primaryKey(),
    runId: integer("run_id").notNull().references(() => runs.id, { onDelete: "cascade" }),
    site: text("site").notNull(),
    revision: integer("revision").notNull(),
    host: text("host").notNull(),
    createdAt: at("created_at").notNull(),
  },
  (t) => [index("introspection_tokens_run").on(t.runId)],
);

/** Live processes (workers and web replicas) and their heartbeat. */
export const workers = pgTable("workers", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  version: text("version").notNull(),
  startedAt: at("started_at").notNull(),
  seenAt: at("seen_at").notNull(),
});

// --- Events, reactions and notifications (issue "Events and reactions"). ---

/** Events received by a site (API, Alertmanager, GitHub) or raised by Flightdeck itself, with what each caused. */
export const siteEvents = pgTable(
  "site_events",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
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
    receivedAt: at("received_at").notNull(),
    /** JSON array: per reaction considered, what happened (matched, held by a limiter until when, the run started). */
    outcome: text("outcome").notNull().default("[]"),
  },
  (t) => [index("site_events_site").on(t.siteId, t.id), index("site_events_name").on(t.siteId, t.name, t.receivedAt)],
);

/** A reaction's trigger-limiter state per key (the reaction, or the reaction and the targets it derives). */
export const reactionState = pgTable(
  "reaction_state",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    reaction: text("reaction").notNull(),
    key: text("key").notNull(),
    /** JSON array of the occurrences still inside the window: [{eventId, at}]. */
    occurrences: text("occurrences").notNull().default("[]"),
    lastFiredAt: at("last_fired_at"),
    /** While `wait_for_more` waits: when it fires if nothing resets it. */
    waitUntil: at("wait_until"),
    /** The event that fires when the wait ends. */
    waitEventId: integer("wait_event_id"),
    updatedAt: at("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.reaction, t.key] }), index("reaction_state_wait").on(t.waitUntil)],
);

/** Notifications to send (an outbox): one process claims each, so it is sent once whatever the number of processes. */
export const notifications = pgTable(
  "notifications",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
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
    nextAttemptAt: at("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    sentAt: at("sent_at"),
  },
  (t) => [index("notifications_due").on(t.status, t.nextAttemptAt), index("notifications_site").on(t.siteId, t.id)],
);

/** Per-site settings of events and notifications. */
export const siteEventSettings = pgTable("site_event_settings", {
  siteId: integer("site_id")
    .primaryKey()
    .references(() => sites.id, { onDelete: "cascade" }),
  /** The webhook secret (HMAC-SHA256 key), encrypted with the server's key; null: signed webhooks are refused. */
  webhookSecret: text("webhook_secret"),
  /** Whether reactions that say `approval: auto` may start runs without a reviewer. */
  allowAutoApproval: boolean("allow_auto_approval").notNull().default(false),
  /** JSON: who gets which notification ([{kinds, channel, target}]). */
  notify: text("notify").notNull().default("[]"),
  /** The branch whose GitHub pushes request runs, and the deployment they request (JSON, null: none). */
  github: text("github"),
});

// --- Schedules, maintenance windows and data shared between hosts (issue "Schedules and maintenance windows"). ---

/** Each time a schedule fired: the (site, schedule, slot) key makes a slot fire once across processes. */
export const scheduleFires = pgTable(
  "schedule_fires",
  {
    siteId: integer("site_id").notNull().references(() => sites.id, { onDelete: "cascade" }),
    schedule: text("schedule").notNull(),
    /** The cron occurrence this fire is for. */
    slot: at("slot").notNull(),
    firedAt: at("fired_at").notNull(),
    runId: integer("run_id").references(() => runs.id, { onDelete: "set null" }),
    /** Why it requested no run, when it did not (a lint error, a missing deployment). */
    message: text("message"),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.schedule, t.slot] })],
);

/** Files and directories a step fetched from a host (`file.fetch`), kept with the run for `file.managed` to place. */
export const runArtifacts = pgTable(
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
    createdAt: at("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.host, t.step] })],
);
