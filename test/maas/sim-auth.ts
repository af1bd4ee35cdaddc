/**
 * The simulator's OAuth check, step for step as MAAS does it (spec B1; maasserver/api/auth.py, piston3, and
 * python-oauth's OAuthServer for the parts marked inferred there):
 *
 * 1. check_validity: the header (must start with "OAuth", split on "," and "=", quotes stripped), the query
 *    string and the POST body are each checked for the six required oauth_ parameters; a non-integer timestamp
 *    is a type issue. The request counts as an OAuth request when any one source has no problem.
 * 2. Not an OAuth request: 400 when there was a type issue, else anonymous (the caller decides what that means).
 * 3. validate_token: version, consumer ("Invalid API key."), token ("Invalid access token: <key>"), timestamp
 *    window, nonce reuse, signature method, PLAINTEXT signature: each failure a 401 with WWW-Authenticate.
 */
import { HTML, pyRepr, SimHttpError, TEXT } from "./sim-http";

export interface SimKey {
  /** "consumer_key:token_key:token_secret" */
  key: string;
  username: string;
  admin?: boolean;
}

export interface SimUser {
  username: string;
  admin: boolean;
}

export type AuthResult = { kind: "user"; user: SimUser } | { kind: "anonymous" };

const NECESSARY = ["consumer_key", "token", "signature", "signature_method", "timestamp", "nonce"].map((s) => `oauth_${s}`);
/** python-oauth OAuthServer's default. */
const TIMESTAMP_THRESHOLD_S = 300;
/** The nonce memory is bounded: nonces older than the window cannot be replayed anyway (the timestamp check fails). */
const MAX_NONCES = 100_000;

type Issue = "missing" | "unexpected type";

/** parse_auth_params: None unless the header starts with "OAuth"; values are not URL-decoded here. */
function parseAuthParams(header: string): Map<string, string> | undefined {
  let params = header.trim();
  if (!params.startsWith("OAuth")) return undefined;
  // Python's str.lstrip("OAuth") strips any of those characters, not the word.
  params = params.replace(/^[OAuth]+/, "").trim();
  const out = new Map<string, string>();
  for (const raw of params.split(",")) {
    const param = raw.trim();
    const at = param.indexOf("=");
    if (at < 0) continue;
    out.set(param.slice(0, at).trim(), param.slice(at + 1).trim().replace(/^"+|"+$/g, ""));
  }
  return out;
}

function problemsOf(get: (name: string) => string | undefined): Map<string, Issue> {
  const problems = new Map<string, Issue>();
  for (const name of NECESSARY) {
    const value = get(name);
    if (value === undefined) problems.set(name, "missing");
    // Python's int() accepts surrounding whitespace, a sign and underscores between digits.
    else if (name === "oauth_timestamp" && !/^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) problems.set(name, "unexpected type");
  }
  return problems;
}

function reportNecessary(problems: Map<string, Issue>): boolean {
  return [...problems.values()].filter((i) => i === "missing").length < NECESSARY.length;
}

function describe(problems: Map<string, Issue>): string {
  return [...problems].map(([p, i]) => (i === "missing" ? `${p} is missing` : `${p} has an unexpected type`)).join(", ");
}

/** generate_error_message (the POST part says "query params" too, as MAAS does). */
function validityMessage(auth: Map<string, Issue> | "no-oauth", get: Map<string, Issue>, post: Map<string, Issue>): string {
  const authMessage =
    auth === "no-oauth"
      ? "missing starting 'OAuth' from 'Authentication' header"
      : reportNecessary(auth)
        ? `the following problems were found among the auth params: ${describe(auth)}`
        : "";
  const getMessage = reportNecessary(get) ? `the following problems were found among the query params: ${describe(get)}` : "";
  const postMessage = reportNecessary(post) ? `the following problems were found among the query params: ${describe(post)}` : "";
  return [authMessage, getMessage, postMessage].filter(Boolean).join("; ");
}

/** piston3 send_oauth_error: 401, the message as the body, and an OAuth challenge. */
function unauthorized(message: string): SimHttpError {
  return new SimHttpError(401, `Authorization Error: ${message}`, HTML, { "WWW-Authenticate": 'OAuth realm="OAuth"' });
}

/** python-oauth's escape(): urllib quote with only "~" safe besides the unreserved characters. */
function oauthEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class SimAuth {
  private readonly nonces = new Map<string, number>();

  constructor(
    private readonly keys: readonly SimKey[],
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Who is calling, or a SimHttpError (400 or 401) to answer with. */
  authenticate(authorization: string | undefined, query: URLSearchParams, post: URLSearchParams): AuthResult {
    const header = parseAuthParams(authorization ?? "");
    const authProblems = header ? problemsOf((n) => header.get(n)) : "no-oauth";
    const getProblems = problemsOf((n) => query.get(n) ?? undefined);
    const postProblems = problemsOf((n) => post.get(n) ?? undefined);
    const sources: { problems: Map<string, Issue> | "no-oauth"; get: (n: string) => string | undefined }[] = [
      { problems: authProblems, get: (n) => (header?.has(n) ? safeDecode(header.get(n) ?? "") : undefined) },
      { problems: getProblems, get: (n) => query.get(n) ?? undefined },
      { problems: postProblems, get: (n) => post.get(n) ?? undefined },
    ];
    const complete = sources.find((s) => s.problems !== "no-oauth" && s.problems.size === 0);
    if (!complete) {
      const all: (Map<string, Issue> | "no-oauth")[] = [authProblems, getProblems, postProblems];
      const typeIssue = all.some((p) => p !== "no-oauth" && [...p.values()].includes("unexpected type"));
      if (typeIssue) {
        // OAuthBadRequest has no make_http_response of its own: MAASAPIException writes str(self), which is repr().
        throw new SimHttpError(400, pyRepr(`Bad Request: ${validityMessage(authProblems, getProblems, postProblems)}`), TEXT);
      }
      return { kind: "anonymous" };
    }
    return { kind: "user", user: this.validateToken(complete.get) };
  }

  private validateToken(param: (name: string) => string | undefined): SimUser {
    const version = param("oauth_version");
    if (version && version !== "1.0") throw unauthorized(pyRepr(`OAuth version ${version} not supported.`));
    const consumerKey = param("oauth_consumer_key") ?? "";
    const tokenKey = param("oauth_token") ?? "";
    const parts = this.keys.map((k) => ({ entry: k, split: k.key.split(":") }));
    if (!parts.some((p) => p.split[0] === consumerKey)) throw unauthorized("Invalid API key.");
    const match = parts.find((p) => p.split[1] === tokenKey);
    if (!match) throw unauthorized(pyRepr(`Invalid access token: ${tokenKey}`));
    // (inferred) python-oauth: a ±300 s window, then single-use nonces.
    const timestamp = Number.parseInt((param("oauth_timestamp") ?? "").replace(/_/g, ""), 10);
    const now = this.nowSeconds();
    if (Math.abs(now - timestamp) > TIMESTAMP_THRESHOLD_S) {
      throw unauthorized(pyRepr(`Expired timestamp: given ${timestamp} and now ${now} has a greater difference than threshold ${TIMESTAMP_THRESHOLD_S}`));
    }
    const nonce = param("oauth_nonce") ?? "";
    const nonceKey = `${consumerKey}\0${tokenKey}\0${nonce}`;
    if (this.nonces.has(nonceKey)) throw unauthorized(pyRepr(`Nonce already used: ${nonce}`));
    this.rememberNonce(nonceKey, now);
    const method = param("oauth_signature_method");
    if (method !== "PLAINTEXT" && method !== "HMAC-SHA1") throw unauthorized(pyRepr(`Signature method ${method ?? ""} not supported try one of the following: HMAC-SHA1, PLAINTEXT`));
    // PLAINTEXT: escape(consumer_secret) & escape(token_secret); the consumer secret is always empty in MAAS.
    // HMAC-SHA1 is not simulated: MAAS clients sign with PLAINTEXT, so it always fails here.
    const expected = `&${oauthEscape(match.split[2] ?? "")}`;
    if (method !== "PLAINTEXT" || param("oauth_signature") !== expected) {
      // (inferred) python-oauth's message, which for PLAINTEXT states the expected signature: the secret.
      throw unauthorized(pyRepr(`Invalid signature. Expected signature base string: ${expected}`));
    }
    return { username: match.entry.username, admin: match.entry.admin ?? false };
  }

  private rememberNonce(key: string, now: number): void {
    this.nonces.set(key, now);
    if (this.nonces.size <= MAX_NONCES) return;
    for (const [k, seen] of this.nonces) {
      if (now - seen <= TIMESTAMP_THRESHOLD_S && this.nonces.size <= MAX_NONCES) break;
      this.nonces.delete(k);
    }
  }
}
