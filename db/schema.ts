/**
 * The database schema. Site files are stored like git stores them: content-addressed blobs, and per
 * revision a full list of (path -> blob), so any two revisions can be diffed and exported exactly.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const sites = sqliteTable("sites", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch() * 1000)`),
});

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
    reason: text("reason").notNull().default(""),
    /** JSON: the frozen plan. */
    plan: text("plan").notNull(),
    /** JSON: forks, limit (hosts), and the run this one re-runs. */
    options: text("options").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    message: text("message"),
  },
  (t) => [index("runs_site").on(t.siteId, t.id), index("runs_status").on(t.status)],
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
