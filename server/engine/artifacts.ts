/**
 * Where a run keeps what `file.fetch` steps fetched, for `file.managed` `from:` on other hosts. The CLI keeps them in
 * memory for the run; a server stores them with the run (run_artifacts), never as files of its own.
 */
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
