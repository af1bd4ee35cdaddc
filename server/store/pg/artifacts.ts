/** Runs' fetched files and directories in PostgreSQL (base64 in run_artifacts, deleted with the run). */
import { and, eq } from "drizzle-orm";
import { runArtifacts } from "../../../db/pg/schema";
import type { Artifact } from "../../engine/actions/types";
import { artifactOf, artifactRow } from "../../engine/artifacts";
import type { RunArtifactStore } from "../types";
import type { PgDb } from "./db";

export class PgArtifactStore implements RunArtifactStore {
  constructor(private readonly db: PgDb) {}

  async put(runId: number, host: string, step: string, artifact: Artifact): Promise<void> {
    const row = artifactRow(artifact);
    await this.db
      .insert(runArtifacts)
      .values({ runId, host, step, ...row })
      .onConflictDoUpdate({ target: [runArtifacts.runId, runArtifacts.host, runArtifacts.step], set: row });
  }

  async get(runId: number, host: string, step: string): Promise<Artifact | null> {
    const [row] = await this.db
      .select({ type: runArtifacts.type, content: runArtifacts.content })
      .from(runArtifacts)
      .where(and(eq(runArtifacts.runId, runId), eq(runArtifacts.host, host), eq(runArtifacts.step, step)));
    return row ? artifactOf(row) : null;
  }
}
