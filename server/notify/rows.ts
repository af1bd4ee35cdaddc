/**
 * Outbox rows as the NotificationStore returns them, once for both dialects: the payload parsed, the site's
 * rules read leniently (a rule that does not parse, never written by this code, is left out rather than failing
 * every notification of the site).
 */
import { z } from "zod";
import { notificationChannel, notificationKind, type Delivery, type DeliveryStatus, type NotificationPayload, type StoredRule } from "./types";

export interface NotificationDbRow {
  id: number;
  kind: string;
  channel: string;
  target: string;
  payload: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

export function toDelivery(site: string, row: NotificationDbRow): Delivery {
  return {
    id: row.id,
    site,
    kind: row.kind as Delivery["kind"],
    channel: row.channel as Delivery["channel"],
    target: row.target,
    payload: JSON.parse(row.payload) as NotificationPayload,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
  };
}

const storedRule = z.object({ kinds: z.array(notificationKind), channel: notificationChannel, target: z.string(), secret: z.string().optional() });

/** The stored JSON of site_event_settings.notify (null: no row yet). */
export function parseRules(text: string | null | undefined): StoredRule[] {
  if (!text) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const parsed = storedRule.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}
