/**
 * MAAS API keys and the OAuth 1.0a PLAINTEXT header built from them (spec B1).
 *
 * A key is `consumer_key:token_key:token_secret`; the consumer secret is always empty, so the PLAINTEXT signature
 * is `&` + token_secret, percent-encoded. Encoded the way oauthlib (MAAS's own apiclient) does it: the signature
 * is `escape("") & escape(secret)` and the header value is escaped again, because MAAS's python-oauth server
 * unquotes the header once and compares with `escape("") & escape(secret)`. For MAAS's alphanumeric secrets this
 * is exactly `%26<secret>`; a secret with reserved characters only works this way.
 *
 * PLAINTEXT sends the secret itself on every request: only the header may ever carry it, never an error, a log
 * line or an event (see ./redact).
 */
import { randomBytes } from "node:crypto";

export interface MaasCredentials {
  consumerKey: string;
  tokenKey: string;
  tokenSecret: string;
}

/**
 * Split an API key into its three parts. Errors say what is wrong with the shape and never quote the key: a
 * mistyped key is still mostly the secret.
 */
export function parseApiKey(apiKey: string): MaasCredentials {
  // A key read from a file or a secret usually ends with a newline; MAAS keys never contain whitespace.
  const parts = apiKey.trim().split(":");
  if (parts.length !== 3) {
    throw new Error(
      `a MAAS API key has 3 parts separated by ":" (consumer_key:token_key:token_secret); this one has ${parts.length} part${parts.length === 1 ? "" : "s"}`,
    );
  }
  const [consumerKey = "", tokenKey = "", tokenSecret = ""] = parts;
  const empty = (["consumer_key", "token_key", "token_secret"] as const).filter((_, i) => parts[i] === "");
  if (empty.length > 0) throw new Error(`a MAAS API key has 3 non-empty parts (consumer_key:token_key:token_secret); ${empty.join(" and ")} ${empty.length === 1 ? "is" : "are"} empty`);
  return { consumerKey, tokenKey, tokenSecret };
}

/** RFC 3986 percent-encoding as OAuth 1.0a requires (encodeURIComponent leaves !'()* alone). */
export function oauthPercentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignatureInputs {
  /** Unix seconds; a fresh one for every request. */
  timestamp: number;
  /** Single-use per request (MAAS's OAuth server remembers nonces). */
  nonce: string;
}

export function freshSignatureInputs(): SignatureInputs {
  return { timestamp: Math.floor(Date.now() / 1000), nonce: randomBytes(16).toString("hex") };
}

/** The `Authorization` header value for one request. */
export function authorizationHeader(credentials: MaasCredentials, inputs: SignatureInputs = freshSignatureInputs()): string {
  const fields: [string, string][] = [
    ["oauth_consumer_key", credentials.consumerKey],
    ["oauth_token", credentials.tokenKey],
    ["oauth_signature_method", "PLAINTEXT"],
    ["oauth_signature", `&${oauthPercentEncode(credentials.tokenSecret)}`],
    ["oauth_timestamp", String(inputs.timestamp)],
    ["oauth_nonce", inputs.nonce],
    ["oauth_version", "1.0"],
  ];
  return `OAuth realm="MAAS API", ${fields.map(([k, v]) => `${k}="${oauthPercentEncode(v)}"`).join(", ")}`;
}
