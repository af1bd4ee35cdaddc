/**
 * The per-site webhook secret of the event intake: made here (shown once), kept sealed to the server's identity
 * (../secrets/sealed), and used to check senders' signatures over a request's raw body.
 */
import { newSecret, openSecret, sealSecret } from "../secrets/sealed";
import type { ServerIdentity } from "../secrets/keys";

export { sign, signatureMatches } from "../secrets/sealed";

const WHAT = "the webhook secret";

export function newWebhookSecret(): string {
  return newSecret("fdwh_");
}

export function sealWebhookSecret(secret: string, identity: ServerIdentity): Promise<string> {
  return sealSecret(secret, identity, WHAT);
}

export function openWebhookSecret(sealed: string, identity: ServerIdentity): Promise<string> {
  return openSecret(sealed, identity, WHAT, "the site's webhook secret was sealed for another server identity: rotate it in the site's Events settings");
}
