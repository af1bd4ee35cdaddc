/**
 * Webhook signing secrets at rest: encrypted to the server's own age identity (age-identity.txt of the data
 * directory, which every process of an installation shares), so the database alone never reveals one.
 */
import { randomBytes } from "node:crypto";
import { armor, Decrypter, Encrypter } from "age-encryption";
import { UnavailableError } from "../errors";
import type { ServerIdentity } from "../secrets/keys";

/** A new signing secret: 32 random bytes, as text a receiver can paste. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

export async function sealSecret(secret: string, identity: ServerIdentity): Promise<string> {
  const recipient = identity.recipients[0];
  if (!recipient) throw new UnavailableError("the server's age identity is locked (set FLIGHTDECK_AGE_PASSPHRASE): webhook secrets cannot be stored");
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return armor.encode(await encrypter.encrypt(secret));
}

export async function openSecret(sealed: string, identity: ServerIdentity): Promise<string> {
  if (!identity.source.identities.length) throw new UnavailableError("the server's age identity is locked (set FLIGHTDECK_AGE_PASSPHRASE): webhook secrets cannot be read");
  const decrypter = new Decrypter();
  for (const id of identity.source.identities) decrypter.addIdentity(id);
  try {
    return await decrypter.decrypt(armor.decode(sealed), "text");
  } catch {
    throw new UnavailableError("the webhook's secret cannot be decrypted with the server's age identity (was age-identity.txt replaced?); set a new secret");
  }
}
