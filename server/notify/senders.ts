/**
 * The channels as the dispatcher uses them: a webhook is signed with its rule's secret, read from the site's
 * rules at the time of sending (a rule removed since: the delivery fails, it is never sent unsigned); an e-mail
 * goes through the server's relay, or fails saying that the server has none.
 */
import type { ServerIdentity } from "../secrets/keys";
import { EmailSender, type SmtpSettings } from "./email";
import { DeliveryFailure } from "./failure";
import { openSigningSecret } from "./secret";
import type { Senders } from "./dispatcher";
import type { Delivery, NotificationStore } from "./types";
import { sendWebhook } from "./webhook";

export interface ChannelOptions {
  store: { notifications: NotificationStore };
  serverIdentity: Promise<ServerIdentity>;
  /** The relay (FLIGHTDECK_SMTP_URL, FLIGHTDECK_SMTP_FROM); null: e-mail deliveries fail saying so. */
  smtp: Omit<SmtpSettings, "timeoutMs"> | null;
  /** A webhook's or a mail's time to answer. */
  timeoutMs?: number;
}

export const SEND_TIMEOUT_MS = 15_000;

export function channelSenders(o: ChannelOptions): Senders & { close(): void } {
  const timeoutMs = o.timeoutMs ?? SEND_TIMEOUT_MS;
  const email = o.smtp ? new EmailSender({ ...o.smtp, timeoutMs }) : null;
  return {
    webhook: async (delivery) => sendWebhook(delivery, await webhookSecret(o, delivery), timeoutMs),
    email: async (delivery) => {
      if (!email) throw new DeliveryFailure("the server sends no e-mail: FLIGHTDECK_SMTP_URL is not set", { permanent: true });
      await email.send(delivery);
    },
    close: () => email?.close(),
  };
}

async function webhookSecret(o: ChannelOptions, delivery: Delivery): Promise<string> {
  const rule = (await o.store.notifications.rules(delivery.site)).find((r) => r.channel === "webhook" && r.target === delivery.target);
  if (!rule) throw new DeliveryFailure("the site's settings no longer send to this URL", { permanent: true });
  if (!rule.secret) throw new DeliveryFailure("this webhook has no signing secret: set one in the site's notification settings", { permanent: true });
  return openSigningSecret(rule.secret, await o.serverIdentity);
}
