/**
 * Introspection tokens: a machine being deployed gets one in its user_data and fetches its own resolved
 * variables with it (GET /api/v1/introspect). One token per host per run, kept only in memory: they end when
 * the run ends, and a restart (which interrupts the run) ends them too.
 */
import { createHash, randomBytes } from "node:crypto";

export interface IntrospectionGrant {
  run: number;
  site: string;
  revision: number;
  host: string;
}

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export class IntrospectionTokens {
  private readonly grants = new Map<string, IntrospectionGrant>();
  private readonly byRun = new Map<number, Set<string>>();

  issue(grant: IntrospectionGrant): string {
    const token = `fdi_${randomBytes(32).toString("base64url")}`;
    const h = hash(token);
    this.grants.set(h, grant);
    let set = this.byRun.get(grant.run);
    if (!set) this.byRun.set(grant.run, (set = new Set()));
    set.add(h);
    return token;
  }

  lookup(token: string): IntrospectionGrant | undefined {
    return /^fdi_[A-Za-z0-9_-]{43}$/.test(token) ? this.grants.get(hash(token)) : undefined;
  }

  endRun(run: number) {
    for (const h of this.byRun.get(run) ?? []) this.grants.delete(h);
    this.byRun.delete(run);
  }
}
