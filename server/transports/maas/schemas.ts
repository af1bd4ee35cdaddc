/**
 * The shapes of MAAS answers (spec B4, B6): strict about the fields Flightdeck reads, passing every other field
 * through untouched (MAAS adds fields between releases; a client must not break on them).
 */
import { z } from "zod";

const namedObject = z.looseObject({ name: z.string() });

export const machineSchema = z.looseObject({
  system_id: z.string().min(1),
  hostname: z.string(),
  fqdn: z.string().nullish(),
  description: z.string().nullish(),
  owner: z.string().nullish(),
  status: z.number().int(),
  status_name: z.string(),
  status_message: z.string().nullish(),
  status_action: z.string().nullish(),
  power_state: z.string().nullish(),
  power_type: z.string().nullish(),
  ip_addresses: z.array(z.string()).nullish(),
  osystem: z.string().nullish(),
  distro_series: z.string().nullish(),
  hwe_kernel: z.string().nullish(),
  architecture: z.string().nullish(),
  cpu_count: z.number().nullish(),
  memory: z.number().nullish(),
  tag_names: z.array(z.string()).nullish(),
  zone: namedObject.nullish(),
  pool: namedObject.nullish(),
  domain: namedObject.nullish(),
  error_description: z.string().nullish(),
  locked: z.boolean().nullish(),
  node_type_name: z.string().nullish(),
  resource_uri: z.string().nullish(),
});
export type Machine = z.infer<typeof machineSchema>;

export const EVENT_LEVELS = ["AUDIT", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

export const eventSchema = z.looseObject({
  id: z.number().int(),
  /** The machine's system_id (null for events about no node). */
  node: z.string().nullish(),
  hostname: z.string().nullish(),
  username: z.string().nullish(),
  level: z.string(),
  /** As MAAS formats it: "%a, %d %b. %Y %H:%M:%S", in the region's local time. */
  created: z.string(),
  /** The event type's description, e.g. "Node powered on". */
  type: z.string(),
  /** The detail, e.g. "From 'Deploying' to 'Deployed'"; often empty. */
  description: z.string().nullish(),
});
export type MaasEvent = z.infer<typeof eventSchema>;

export const eventsPageSchema = z.looseObject({
  count: z.number().int(),
  events: z.array(eventSchema),
  next_uri: z.string().nullish(),
  prev_uri: z.string().nullish(),
});
export type EventsPage = z.infer<typeof eventsPageSchema>;

export const versionSchema = z.looseObject({
  capabilities: z.array(z.string()),
  version: z.string(),
  subversion: z.string().nullish(),
});
export type MaasVersion = z.infer<typeof versionSchema>;

export const POWER_STATES = ["on", "off", "unknown", "error"] as const;
export type PowerState = (typeof POWER_STATES)[number];
export const powerStateSchema = z.looseObject({ state: z.enum(POWER_STATES) });
