/**
 * Rows of the event tables as the EventStore returns them, once for both dialects: JSON columns parsed, times in
 * ms since the epoch. A column that does not parse (never written by this code) reads as empty rather than failing
 * the whole page.
 */
import type { EventOutcome, EventSettingsRow, EventSource, GithubSettings, ReactionState, StoredEvent } from "./types";

function parse<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export interface SiteEventRow {
  id: number;
  source: string;
  name: string;
  labels: string;
  data: string;
  sender: string;
  receivedAt: Date;
  outcome: string;
}

export function toStoredEvent(site: string, row: SiteEventRow): StoredEvent {
  return {
    id: row.id,
    site,
    source: row.source as EventSource,
    sender: row.sender,
    name: row.name,
    labels: parse<Record<string, string>>(row.labels, {}),
    data: parse<StoredEvent["data"]>(row.data, {}),
    receivedAt: row.receivedAt.getTime(),
    outcome: parse<EventOutcome[]>(row.outcome, []),
  };
}

export interface ReactionStateRow {
  occurrences: string;
  lastFiredAt: Date | null;
  waitUntil: Date | null;
  waitEventId: number | null;
  updatedAt: Date;
}

export function toReactionState(row: ReactionStateRow): ReactionState {
  return {
    occurrences: parse<ReactionState["occurrences"]>(row.occurrences, []),
    lastFiredAt: row.lastFiredAt?.getTime() ?? null,
    waitUntil: row.waitUntil?.getTime() ?? null,
    waitEventId: row.waitEventId,
    updatedAt: row.updatedAt.getTime(),
  };
}

/** The columns of a reaction state (both dialects store Dates). */
export function reactionStateColumns(state: ReactionState) {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    occurrences: JSON.stringify(state.occurrences),
    lastFiredAt: date(state.lastFiredAt),
    waitUntil: date(state.waitUntil),
    waitEventId: state.waitEventId,
    updatedAt: new Date(state.updatedAt),
  };
}

export interface EventSettingsDbRow {
  webhookSecret: string | null;
  allowAutoApproval: boolean;
  notify: string;
  github: string | null;
}

export const DEFAULT_EVENT_SETTINGS: EventSettingsRow = { webhookSecret: null, allowAutoApproval: false, notify: [], github: null };

export function toEventSettings(row: EventSettingsDbRow | undefined): EventSettingsRow {
  if (!row) return { ...DEFAULT_EVENT_SETTINGS };
  return {
    webhookSecret: row.webhookSecret,
    allowAutoApproval: row.allowAutoApproval,
    notify: parse<unknown>(row.notify, []),
    github: parse<GithubSettings | null>(row.github, null),
  };
}

/** The columns of a settings change (only the fields given). */
export function eventSettingsColumns(change: Partial<EventSettingsRow>): Partial<EventSettingsDbRow> {
  const out: Partial<EventSettingsDbRow> = {};
  if (change.webhookSecret !== undefined) out.webhookSecret = change.webhookSecret;
  if (change.allowAutoApproval !== undefined) out.allowAutoApproval = change.allowAutoApproval;
  if (change.notify !== undefined) out.notify = JSON.stringify(change.notify);
  if (change.github !== undefined) out.github = change.github === null ? null : JSON.stringify(change.github);
  return out;
}
