/**
 * Notifications: what they are about (kinds), where they go (channels and the site's rules), what a delivery
 * carries (the payload, a zod schema: the types flow from it) and the outbox store that keeps each delivery
 * until one process has sent it. `notify()` (./notify.ts) enqueues, the dispatcher (./dispatcher.ts) sends.
 */
import { z } from "zod";

export const NOTIFICATION_KINDS = ["approval_requested", "run_started", "run_finished", "run_failed", "reaction_fired"] as const;
export const notificationKind = z
  .enum(NOTIFICATION_KINDS)
  .describe("approval_requested: a run waits for reviewers; run_started; run_finished: it succeeded or was cancelled; run_failed: it failed or was interrupted; reaction_fired: a reaction requested a run");
export type NotificationKind = z.output<typeof notificationKind>;

export const NOTIFICATION_CHANNELS = ["webhook", "email"] as const;
export const notificationChannel = z.enum(NOTIFICATION_CHANNELS).describe("webhook: a signed JSON POST; email: a mail through the server's SMTP relay");
export type NotificationChannel = z.output<typeof notificationChannel>;

export const DELIVERY_STATUSES = ["pending", "sending", "sent", "failed"] as const;
export const deliveryStatus = z
  .enum(DELIVERY_STATUSES)
  .describe("pending: waiting for its (next) attempt; sending: a process is sending it; sent; failed: gave up (see lastError)");
export type DeliveryStatus = z.output<typeof deliveryStatus>;

/** What a notification is about and where it points: the JSON body of a webhook, and what an e-mail says. */
export const notificationPayload = z
  .object({
    kind: notificationKind,
    site: z.string().describe("The site's slug"),
    summary: z.string().describe("What happened, in a sentence"),
    link: z.string().describe("Where to look: the run's page, or the site's approvals page (absolute with FLIGHTDECK_URL set, else a path)"),
    linkWarning: z.string().optional().describe("Set when the link is a path only, because the server has no FLIGHTDECK_URL"),
    run: z
      .object({
        id: z.number().int().describe("The run's id"),
        deployment: z.string().describe("The deployment it runs"),
        status: z.string().describe("The run's status when the notification was made"),
        requestedBy: z.string().describe("Who (or what: reaction:<name>, schedule:<name>) requested it"),
        reason: z.string().describe("Why it was requested"),
        message: z.string().optional().describe("The run's closing message, when it ended with one"),
      })
      .optional()
      .describe("The run it is about"),
    reaction: z
      .object({
        name: z.string().describe("The reaction's name"),
        event: z.object({ id: z.number().int().describe("The event's id"), name: z.string().describe("The event's name") }).optional().describe("The event that fired it"),
      })
      .optional()
      .describe("reaction_fired: the reaction and the event that fired it"),
    at: z.string().describe("When it happened (ISO 8601)"),
  })
  .describe("A notification: what happened, on which site, and a link to it");
export type NotificationPayload = z.output<typeof notificationPayload>;

/** What callers tell `notify()`: the rest (the run's fields, the link) is looked up. */
export interface NotifyInput {
  site: string;
  kind: NotificationKind;
  /** The run it is about (reaction_fired: the run the reaction requested, if it requested one). */
  run?: number;
  /** reaction_fired: which reaction, and the event that fired it. */
  reaction?: { name: string; event?: { id: number; name: string } };
}

// --- Rules: who gets what (site_event_settings.notify) --------------------------------------------------------

/** One rule as stored: its webhook secret encrypted with the server's key (./secret.ts); never sent to a browser. */
export interface StoredRule {
  kinds: NotificationKind[];
  channel: NotificationChannel;
  target: string;
  /** webhook: the signing secret, encrypted. */
  secret?: string;
}

// --- The outbox --------------------------------------------------------------------------------------------

export interface NewNotification {
  kind: NotificationKind;
  channel: NotificationChannel;
  target: string;
  payload: NotificationPayload;
}

/** A delivery as the outbox keeps it. */
export interface Delivery extends NewNotification {
  id: number;
  site: string;
  status: DeliveryStatus;
  /** Attempts started so far (the one in progress included). */
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** How an attempt ended: sent, to be tried again at `retryAt`, or given up. */
export type AttemptResult = { status: "sent"; at: Date } | { status: "pending"; retryAt: Date; error: string } | { status: "failed"; error: string };

export interface NotificationStore {
  /** The site's rules as stored (an empty list when it has none; NotFoundError for an unknown site). */
  rules(site: string): Promise<StoredRule[]>;
  /** Replaces the site's rules (the other event settings kept). */
  setRules(site: string, rules: StoredRule[]): Promise<void>;
  /** Puts deliveries in the outbox, pending and due at `now` (NotFoundError for an unknown site). */
  enqueue(site: string, items: NewNotification[], now: Date): Promise<void>;
  /**
   * Claims up to `limit` due deliveries for this process: pending ones whose time has come, and `sending` ones
   * whose claim expired (their process died). A conditional write in one statement or transaction, so each is
   * claimed by one process: status sending, attempts + 1, nextAttemptAt = now + leaseMs (the claim's expiry).
   */
  claim(now: Date, leaseMs: number, limit: number): Promise<Delivery[]>;
  /** Stores how the attempt ended, only if the delivery is still this claim's (sending, same attempts); false otherwise. */
  finish(id: number, attempts: number, result: AttemptResult): Promise<boolean>;
  /** The site's deliveries, newest first (NotFoundError for an unknown site). */
  page(site: string, query: { before?: number; limit: number }): Promise<Delivery[]>;
}
