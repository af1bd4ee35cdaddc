/** Who is asking: resolved once per request (cookie session or bearer token) and checked by every endpoint. */
import type { Role } from "./roles";

export type Principal =
  | { kind: "anonymous" }
  | { kind: "user"; userId: string; username: string; isAdmin: boolean; mustChangePassword: boolean }
  /** An API token acting for its owner, with at most `role` on one site, or on every site of one project (the other id null). */
  | { kind: "token"; tokenId: number; tokenName: string; userId: string; username: string; siteId: number | null; projectId: number | null; role: Role }
  /** A kiosk token: reads one board and nothing else. */
  | { kind: "kiosk"; tokenId: number; boardId: number };

export const ANONYMOUS: Principal = { kind: "anonymous" };

/** How the principal is named in the audit log, revisions and runs. */
export function actorName(p: Principal): string {
  switch (p.kind) {
    case "user":
      return p.username;
    case "token":
      return `${p.username} (token ${p.tokenName})`;
    case "kiosk":
      return `kiosk token ${p.tokenId}`;
    case "anonymous":
      return "anonymous";
  }
}

export function actorId(p: Principal): string | null {
  return p.kind === "user" || p.kind === "token" ? p.userId : null;
}
