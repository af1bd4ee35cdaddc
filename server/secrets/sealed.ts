/**
 * Secrets the server keeps for itself (webhook secrets: the site's intake secret, notification signing secrets):
 * encrypted at rest to the server's own age identity (age-identity.txt of the data directory, which every
 * process of an installation shares), so the database alone never reveals one; and the HMAC-SHA256 signatures
 * they make, `sha256=<hex>` over a body, checked in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { armor, Decrypter, Encrypter } from "age-encryption";
import { UnavailableError } from "../errors";
import type { ServerIdentity } from "./keys";

/** A new secret: 32 random bytes, as text a sender or receiver pastes into its configuration. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

function unlocked(identity: ServerIdentity, what: string): ServerIdentity {
  if (identity.locked || !identity.recipients.length) throw new UnavailableError(`the server's age identity is locked (set FLIGHTDECK_AGE_PASSPHRASE): ${what} cannot be used`);
  return identity;
}

/** The secret encrypted to the server's identity (armored age), as stored. `what` names it in errors. */
export async function sealSecret(secret: string, identity: ServerIdentity, what = "the secret"): Promise<string> {
  const encrypter = new Encrypter();
  for (const r of unlocked(identity, what).recipients) encrypter.addRecipient(r);
  return armor.encode(await encrypter.encrypt(secret));
}

// Opening costs an X25519 operation; a sealed secret changes only when it is replaced, so cache by its text.
const opened = new Map<string, string>();
const CACHE_MAX = 256;

/**
 * The stored secret in clear. UnavailableError when the identity is locked, or `wrongIdentity` when it was sealed
 * for another one (age-identity.txt replaced): that sentence says what to do.
 */
export async function openSecret(sealed: string, identity: ServerIdentity, what: string, wrongIdentity: string): Promise<string> {
  const hit = opened.get(sealed);
  if (hit !== undefined) return hit;
  const decrypter = new Decrypter();
  for (const i of unlocked(identity, what).source.identities) decrypter.addIdentity(i);
  let secret: string;
  try {
    secret = await decrypter.decrypt(armor.decode(sealed), "text");
  } catch {
    throw new UnavailableError(wrongIdentity);
  }
  if (opened.size >= CACHE_MAX) opened.delete(opened.keys().next().value!);
  opened.set(sealed, secret);
  return secret;
}

/** `sha256=<hex>` of the body under the secret: X-Flightdeck-Signature (and GitHub's X-Hub-Signature-256). */
export function sign(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Whether `header` is `sha256=<hex>` of the body under the secret, compared in constant time. */
export function signatureMatches(secret: string, body: Uint8Array, header: string | null): boolean {
  const m = header === null ? null : /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, "hex"));
}
