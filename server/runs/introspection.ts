/**
 * Introspection tokens: a machine being deployed gets one in its user_data and fetches its own resolved
 * variables with it (GET /api/v1/introspect). One token per host per run, stored in the database by its sha256
 * (never the token), so whichever process receives the machine's request can answer it. They end when the run
 * ends; a run interrupted by a dead worker ends them through the store's cascade when its row goes, or here.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IntrospectionGrant, IntrospectionStore } from "../store/types";

export type { IntrospectionGrant } from "../store/types";

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export class IntrospectionTokens {
  /** Inserts not yet finished, per run: the engine asks for a token synchronously while rendering a host's templates. */
  private readonly pending = new Map<number, Set<Promise<void>>>();

  constructor(private readonly store: IntrospectionStore) {}

  /**
   * A new token for the grant. The engine renders templates synchronously, so the token is returned at once and
   * stored in the background; `lookup` in this process and `endRun` wait for the write, and a machine only uses the
   * token after it has booted, long after the insert.
   */
  issue(grant: IntrospectionGrant): string {
    const token = `fdi_${randomBytes(32).toString("base64url")}`;
    let set = this.pending.get(grant.run);
    if (!set) this.pending.set(grant.run, (set = new Set()));
    const write: Promise<void> = this.store.issue(hash(token), grant).catch((e: unknown) => {
      // The token will not work (the machine hears 401); the run goes on, and the server's log says why.
      console.error(`flightdeck: could not store an introspection token of run ${grant.run} (host ${grant.host}): ${e instanceof Error ? e.message : String(e)}`);
    });
    set.add(write);
    void write.finally(() => {
      set.delete(write);
      if (!set.size && this.pending.get(grant.run) === set) this.pending.delete(grant.run);
    });
    return token;
  }

  async lookup(token: string): Promise<IntrospectionGrant | undefined> {
    if (!/^fdi_[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    await this.settled();
    return this.store.lookup(hash(token));
  }

  async endRun(run: number): Promise<void> {
    const writes = this.pending.get(run);
    if (writes) await Promise.all([...writes]);
    await this.store.endRun(run);
  }

  private async settled() {
    await Promise.all([...this.pending.values()].flatMap((s) => [...s]));
  }
}
