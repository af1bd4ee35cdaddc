/** A webhook rule's signing secret: made when the rule is saved (shown once), kept sealed to the server's identity. */
import { newSecret, openSecret, sealSecret } from "../secrets/sealed";
import type { ServerIdentity } from "../secrets/keys";

const WHAT = "webhook signing secrets";

export function newSigningSecret(): string {
  return newSecret("whsec_");
}

export function sealSigningSecret(secret: string, identity: ServerIdentity): Promise<string> {
  return sealSecret(secret, identity, WHAT);
}

export function openSigningSecret(sealed: string, identity: ServerIdentity): Promise<string> {
  return openSecret(sealed, identity, WHAT, "the webhook's secret cannot be decrypted with the server's age identity (was age-identity.txt replaced?); set a new secret");
}
