/**
 * Where a run keeps what `file.fetch` steps fetched, for `file.managed` `from:` on other hosts. The CLI keeps them in
 * memory for the run; a server stores them with the run (run_artifacts), never as files of its own.
 */
import { createHash } from "node:crypto";
import type { Artifact } from "./actions/types";

export interface ArtifactStore {
  put(host: string, step: string, artifact: Artifact): Promise<void>;
  /** null when nothing was fetched there. */
  get(host: string, step: string): Promise<Artifact | null>;
}

export class MemoryArtifacts implements ArtifactStore {
  private readonly items = new Map<string, Artifact>();

  put(host: string, step: string, artifact: Artifact): Promise<void> {
    this.items.set(JSON.stringify([host, step]), artifact);
    return Promise.resolve();
  }

  get(host: string, step: string): Promise<Artifact | null> {
    return Promise.resolve(this.items.get(JSON.stringify([host, step])) ?? null);
  }
}

/** An artifact as the store's row holds it (base64, with its size and sha256). */
export function artifactRow(a: Artifact) {
  return { type: a.type, size: a.content.length, sha256: createHash("sha256").update(a.content).digest("hex"), content: a.content.toString("base64"), createdAt: new Date() };
}

export function artifactOf(row: { type: string; content: string }): Artifact {
  return { type: row.type === "directory" ? "directory" : "file", content: Buffer.from(row.content, "base64") };
}

/** One run's artifacts in a store that keeps every run's (the server's run_artifacts). */
export function runArtifacts(
  store: { put(runId: number, host: string, step: string, a: Artifact): Promise<void>; get(runId: number, host: string, step: string): Promise<Artifact | null> },
  runId: number,
): ArtifactStore {
  return { put: (host, step, a) => store.put(runId, host, step, a), get: (host, step) => store.get(runId, host, step) };
}
