/**
 * The per-site webhook secret: made here (shown once), kept encrypted to the server's age identity (the key
 * workers share), and used to check HMAC-SHA256 signatures over a request's raw body in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { armor, Decrypter, Encrypter } from "age-encryption";
import { UnavailableError } from "../errors";
import type { ServerIdentity } from "../secrets/keys";

/** A new secret: 32 random bytes, as text a sender pastes into its configuration. */
export function newWebhookSecret(): string {
  return `fdwh_${randomBytes(32).toString("base64url")}`;
}

function usable(identity: ServerIdentity): ServerIdentity {
  if (identity.locked || !identity.recipients.length) throw new UnavailableError("the server's age identity is locked (set FLIGHTDECK_AGE_PASSPHRASE): the webhook secret cannot be used");
  return identity;
}

/** The secret encrypted to the server's identity (armored age), as stored. */
export async function sealSecret(secret: string, identity: ServerIdentity): Promise<string> {
  const encrypter = new Encrypter();
  for (const r of usable(identity).recipients) encrypter.addRecipient(r);
  return armor.encode(await encrypter.encrypt(secret));
}

// Opening costs an X25519 operation; a site's sealed secret changes only on rotation, so cache by its text.
const opened = new Map<string, string>();
const CACHE_MAX = 256;

/** The stored secret in clear (UnavailableError when the server's identity cannot open it). */
export async function openSecret(sealed: string, identity: ServerIdentity): Promise<string> {
  const hit = opened.get(sealed);
  if (hit !== undefined) return hit;
  const decrypter = new Decrypter();
  for (const i of usable(identity).source.identities) decrypter.addIdentity(i);
  let secret: string;
  try {
    secret = await decrypter.decrypt(armor.decode(sealed), "text");
  } catch {
    throw new UnavailableError("the site's webhook secret was sealed for another server identity: rotate it in the site's Events settings");
  }
  if (opened.size >= CACHE_MAX) opened.delete(opened.keys().next().value!);
  opened.set(sealed, secret);
  return secret;
}

/** `sha256=<hex>` of the body under the secret: what senders put in X-Flightdeck-Signature (and GitHub in X-Hub-Signature-256). */
export function sign(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Whether `header` is `sha256=<hex>` of the body under the secret, compared in constant time. */
export function signatureMatches(secret: string, body: Uint8Array, header: string | null): boolean {
  const m = header === null ? null : /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, "hex"));
}
