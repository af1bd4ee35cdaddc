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
