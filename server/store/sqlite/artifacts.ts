/* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous: the methods are async to fit the Store interface, so that a throw arrives as a rejection like on PostgreSQL */
/** Runs' fetched files and directories in SQLite (base64 in run_artifacts, deleted with the run). */
import { and, eq } from "drizzle-orm";
import { runArtifacts } from "../../../db/schema";
import type { Artifact } from "../../engine/actions/types";
import { artifactOf, artifactRow } from "../../engine/artifacts";
import type { RunArtifactStore } from "../types";
import type { Db } from "./db";

export class SqliteArtifactStore implements RunArtifactStore {
  constructor(private readonly db: Db) {}

  async put(runId: number, host: string, step: string, artifact: Artifact): Promise<void> {
    const row = artifactRow(artifact);
    this.db
      .insert(runArtifacts)
      .values({ runId, host, step, ...row })
      .onConflictDoUpdate({ target: [runArtifacts.runId, runArtifacts.host, runArtifacts.step], set: row })
      .run();
  }

  async get(runId: number, host: string, step: string): Promise<Artifact | null> {
    const row = this.db
      .select({ type: runArtifacts.type, content: runArtifacts.content })
      .from(runArtifacts)
      .where(and(eq(runArtifacts.runId, runId), eq(runArtifacts.host, host), eq(runArtifacts.step, step)))
      .get();
    return row ? artifactOf(row) : null;
  }
}
