/** The notification parts of a process: the channels from the environment, and the dispatcher, started. */
import { hostname } from "node:os";
import type { Env } from "../env";
import type { ServerIdentity } from "../secrets/keys";
import { NotificationDispatcher } from "./dispatcher";
import { setPublicUrl } from "./notify";
import { channelSenders } from "./senders";
import type { NotificationStore } from "./types";

/** The relay and sender of e-mails (null: FLIGHTDECK_SMTP_URL unset, the server sends none). */
export function smtpOf(env: Pick<Env, "FLIGHTDECK_SMTP_URL" | "FLIGHTDECK_SMTP_FROM">): { url: string; from: string } | null {
  if (!env.FLIGHTDECK_SMTP_URL) return null;
  return { url: env.FLIGHTDECK_SMTP_URL, from: env.FLIGHTDECK_SMTP_FROM ?? `flightdeck@${hostname()}` };
}

export interface NotificationParts {
  dispatcher: NotificationDispatcher;
  stop(): Promise<void>;
}

export function startNotifications(o: { store: { notifications: NotificationStore }; env: Env; serverIdentity: Promise<ServerIdentity> }): NotificationParts {
  setPublicUrl(o.env.FLIGHTDECK_URL ?? null);
  const senders = channelSenders({ store: o.store, serverIdentity: o.serverIdentity, smtp: smtpOf(o.env) });
  const dispatcher = new NotificationDispatcher({ store: o.store, senders });
  dispatcher.start();
  return {
    dispatcher,
    stop: async () => {
      await dispatcher.stop();
      senders.close();
    },
  };
}
