/** Bearer token strings: random, shown once, stored as a sha256 hash with a short prefix for lists. */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIXES = { api: "fdt_", kiosk: "fdk_" } as const;
export type TokenKind = keyof typeof TOKEN_PREFIXES;

export function newToken(kind: TokenKind): { token: string; hash: string; prefix: string } {
  const token = TOKEN_PREFIXES[kind] + randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token), prefix: token.slice(0, 12) };
}

// A plain hash suffices: the token holds 256 random bits, so there is nothing to guess or stretch.
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeToken(value: string): boolean {
  return /^fd[tk]_[A-Za-z0-9_-]{43}$/.test(value);
}

/** The bearer token of a request, from `Authorization: Bearer ...`. */
export function bearerToken(headers: Headers): string | undefined {
  const header = headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
