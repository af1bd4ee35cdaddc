/**
 * Site events: what an event is (zod schemas, the types flow from them), what each one caused (its outcome per
 * reaction), and the store interface that keeps events, the per-site event settings and the reactions' limiter
 * state. Intake (server/events/intake/), reactions (server/events/reactions/) and notifications read this file;
 * the hub (./hub.ts) ties them together.
 */
import { z } from "zod";

/** Where an event came from. */
export const EVENT_SOURCES = ["api", "alertmanager", "github", "flightdeck"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Limits of an event: intake refuses more (a 400 with the place), so a stored event is always small. */
export const EVENT_LIMITS = { nameChars: 200, labels: 64, labelKeyChars: 100, labelValueChars: 1024 } as const;

/** `alertmanager/DiskFull`, `github/push`, `flightdeck/failure/step`: reactions match it with globs, so no `*?[]{}`. */
export const eventName = z
  .string()
  .min(1)
  .max(EVENT_LIMITS.nameChars)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.:@+\-/]*$/, "an event name is letters, digits and _ . : @ + - / (no spaces, no glob characters)")
  .describe("The event's name, e.g. alertmanager/DiskFull or deploy/requested (letters, digits and _ . : @ + - /)");

export const labelKey = z
  .string()
  .max(EVENT_LIMITS.labelKeyChars)
  .regex(/^[A-Za-z_][A-Za-z0-9_.\-/]*$/, "a label name starts with a letter or _ and has letters, digits and _ . - /");

export const eventLabels = z
  .record(labelKey, z.string().max(EVENT_LIMITS.labelValueChars).describe("A label's value"))
  .refine((labels) => Object.keys(labels).length <= EVENT_LIMITS.labels, `at most ${EVENT_LIMITS.labels} labels`)
  .describe("String labels that reactions match on (e.g. severity, instance, branch)");

/** What a sender posts to the generic intake (POST /api/v1/sites/{site}/events). */
export const siteEventInput = z
  .object({
    name: eventName,
    labels: eventLabels.default({}),
    data: z.json().default({}).describe("Anything else the event carries (JSON), shown on the Events page and given to templates as event.data"),
  })
  .strict()
  .describe("An event: a name, labels and data");
export type SiteEventInput = z.output<typeof siteEventInput>;

export const OUTCOME_RESULTS = ["matched", "no_match", "condition_false", "held", "waiting", "fired", "error"] as const;
export type OutcomeResult = (typeof OUTCOME_RESULTS)[number];

/** What an event did to one reaction (or, for `reaction: "github"`, to the tracked-branch rule of the GitHub intake). */
export const eventOutcome = z
  .object({
    reaction: z.string().describe("The reaction considered (its name)"),
    result: z
      .enum(OUTCOME_RESULTS)
      .describe("matched: counted; no_match: not for it; condition_false: its `when` said no; held: a limiter held it back until `until`; waiting: wait_for_more until `until`; fired: it requested run `runId`; error: see detail"),
    until: z.number().optional().describe("held/waiting: until when (ms since the epoch)"),
    runId: z.number().int().optional().describe("fired: the run it requested"),
    detail: z.string().optional().describe("In a sentence: which limiter, why it did not fire, or the error"),
  })
  .describe("What the event caused for one reaction");
export type EventOutcome = z.output<typeof eventOutcome>;

/** An event as stored: what was sent, plus where from, who sent it, when, and what it caused. */
export const storedEvent = z
  .object({
    id: z.number().int().describe("The event's id (increasing)"),
    site: z.string().describe("The site's slug"),
    source: z.enum(EVENT_SOURCES).describe("Where it came from: api (generic), alertmanager, github or flightdeck (its own)"),
    sender: z.string().describe("Who sent it: an API token ('user (token name)'), 'webhook' (signed with the site's secret) or 'flightdeck'"),
    name: z.string().describe("The event's name"),
    labels: z.record(z.string(), z.string().describe("A label's value")).describe("The event's labels"),
    data: z.json().describe("The event's data (JSON)"),
    receivedAt: z.number().describe("When it was received (ms since the epoch)"),
    outcome: z.array(eventOutcome).describe("What it caused, per reaction considered (empty: nothing matched, or not decided yet)"),
  })
  .describe("An event of the site and what it caused");
export type StoredEvent = z.output<typeof storedEvent>;

/** An event as the store inserts it. */
export interface NewSiteEvent extends SiteEventInput {
  source: EventSource;
  sender: string;
  receivedAt: number;
}

// --- Settings -------------------------------------------------------------------------------------------------

/** GitHub pushes to `branch` request a run of `deployment`. */
export const githubSettings = z
  .object({
    branch: z.string().min(1).max(255).describe("The tracked branch (e.g. main): pushes to it request a run"),
    deployment: z.string().min(1).max(200).describe("The deployment a push to the tracked branch requests"),
  })
  .describe("What GitHub pushes do");
export type GithubSettings = z.output<typeof githubSettings>;

/** Per-site event settings as stored (site_event_settings); a site without a row has the defaults. */
export interface EventSettingsRow {
  /** The webhook secret encrypted with the server's key (server/events/secret.ts); null: no secret, signatures refused. */
  webhookSecret: string | null;
  /** Whether `approval: auto` reactions may approve their runs. */
  allowAutoApproval: boolean;
  /** Notification routing (issue 15 part E3 owns its shape; JSON as stored). */
  notify: unknown;
  github: GithubSettings | null;
}

// --- Reaction limiter state -----------------------------------------------------------------------------------

/** A reaction's limiter state for one key (reaction_state). Times in ms since the epoch. */
export interface ReactionState {
  /** Occurrences still inside the window, oldest first. */
  occurrences: { eventId: number; at: number }[];
  lastFiredAt: number | null;
  /** While wait_for_more waits: when it fires unless reset. */
  waitUntil: number | null;
  /** The event that fires when the wait ends. */
  waitEventId: number | null;
  updatedAt: number;
}

export interface ReactionKey {
  site: string;
  reaction: string;
  key: string;
}

/**
 * What `updateReactionState`'s function decides: `state` the new row (undefined: leave it as is; null: delete
 * it), `result` what the caller gets back.
 */
export interface ReactionUpdate<T> {
  state?: ReactionState | null;
  result: T;
}

// --- The store ------------------------------------------------------------------------------------------------

export interface EventPageQuery {
  /** Events with a smaller id (the next page). */
  before?: number;
  limit: number;
  /** Only events with this exact name. */
  name?: string;
  /** Only events whose label `key` is exactly `value`. */
  label?: { key: string; value: string };
}

export interface EventStore {
  /** Stores an event (NotFoundError for an unknown site); returns it as stored, with its id and an empty outcome. */
  insert(site: string, event: NewSiteEvent): Promise<StoredEvent>;
  /** One event of the site (NotFoundError when the site has none with this id). */
  get(site: string, id: number): Promise<StoredEvent>;
  /** The site's events, newest first (NotFoundError for an unknown site). */
  page(site: string, query: EventPageQuery): Promise<StoredEvent[]>;
  /** Replaces the event's outcome (no-op for an id that is gone). */
  setOutcome(id: number, outcome: EventOutcome[]): Promise<void>;
  /** The site's event settings (defaults when it has none; NotFoundError for an unknown site). */
  settings(site: string): Promise<EventSettingsRow>;
  /** Changes the given fields (others kept); returns the settings as stored. */
  setSettings(site: string, change: Partial<EventSettingsRow>): Promise<EventSettingsRow>;

  /** A reaction's limiter state for a key (null: none). */
  reactionState(at: ReactionKey): Promise<ReactionState | null>;
  /**
   * Runs `fn` on the current state (null: none) and writes what it decides, in ONE transaction holding the row
   * (PostgreSQL: SELECT ... FOR UPDATE, the row created first when missing; SQLite: one immediate transaction),
   * so that two processes handling events of the same reaction and key never both see the same state: whatever
   * `fn` decides to fire, fires once. `fn` must be synchronous, quick, and must not touch the store.
   */
  updateReactionState<T>(at: ReactionKey, fn: (current: ReactionState | null) => ReactionUpdate<T>): Promise<T>;
  /** States whose wait_for_more is due (waitUntil <= now), oldest first. */
  dueWaits(now: number, limit?: number): Promise<(ReactionKey & { waitUntil: number; waitEventId: number | null })[]>;
}
