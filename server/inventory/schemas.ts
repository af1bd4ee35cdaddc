/**
 * The zod schemas of site documents. Everything else (TypeScript types, the editor's JSON Schema,
 * lint's "unknown field" suggestions) is derived from these.
 */
import { z } from "zod";
import { hardwareProfileSpecSchema, maasRegionSpecSchema, networkSpecSchema } from "./design-schemas";
import { macroSpecSchema } from "./macro-schemas";
import { nameSchema } from "./names";
import { reactionSpecSchema } from "./reaction-schemas";
import { maintenanceWindowSpecSchema, scheduleSpecSchema } from "./schedule-schemas";
import { blueprintSpecSchema, deploymentSpecSchema } from "./workflow-schemas";

export const API_VERSION = "v1beta1";

export { NAME_PATTERN, nameSchema } from "./names";

/** Free-form variables: maps merge level by level, lists and scalars replace, `"!key": ~` removes. */
export const dataSchema = z
  .record(z.string(), z.unknown())
  .meta({ description: "Variables. Maps merge key by key with lower levels; lists and scalars replace. Write `\"!key\": ~` to remove an inherited key." });

const connectionFields = {
  transport: z.enum(["ssh", "local"]).meta({ description: "How to reach the host: `ssh` (default) or `local` (the Flightdeck server itself)." }),
  address: z.string().min(1).meta({ description: "Host name or IP address to connect to. Default: the host's name." }),
  port: z.number().int().min(1).max(65535).meta({ description: "SSH port. Default: 22." }),
  user: z.string().min(1).meta({ description: "Remote user name." }),
  key_file: z.string().min(1).meta({ description: "Private key: a path relative to the site directory, or a `secret:` reference." }),
  known_hosts: z.string().min(1).meta({ description: "known_hosts file to check host keys against. Default: ~/.ssh/known_hosts." }),
  host_key_checking: z
    .enum(["strict", "accept-new", "off"])
    .meta({ description: "`strict` (default) refuses unknown keys, `accept-new` records a first-seen key, `off` skips checking and is shown on every run." }),
  jump: nameSchema.meta({ description: "Name of another host to connect through (SSH jump host)." }),
  connect_timeout: z
    .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m)$/, "must be a duration such as 10s, 500ms or 1m")])
    .meta({ description: "Connection timeout in seconds, or a duration such as `10s`." }),
} as const;

export const CONNECTION_FIELDS = Object.keys(connectionFields) as (keyof typeof connectionFields)[];

/** Each connection field may be set, set to null, or removed with its `!`-prefixed form. */
export const connectionSchema = z
  .strictObject({
    ...Object.fromEntries(Object.entries(connectionFields).map(([k, v]) => [k, v.nullable().optional()])),
    ...Object.fromEntries(
      CONNECTION_FIELDS.map((k) => [`!${k}`, z.null().optional().meta({ description: `Remove an inherited \`${k}\`.` })]),
    ),
  } as { [K in keyof typeof connectionFields]: z.ZodOptional<z.ZodNullable<(typeof connectionFields)[K]>> } & {
    [K in keyof typeof connectionFields as `!${K}`]: z.ZodOptional<z.ZodNull>;
  })
  .meta({ description: "How to connect. Resolved like data: all group, other groups, profile chain, host." });

export const labelsSchema = z
  .record(z.string().regex(/^[A-Za-z0-9_./-]+$/, "label names hold only letters, digits, '.', '_', '/' or '-'"), z.union([z.string(), z.number(), z.boolean()]))
  .meta({ description: "Labels for target selectors such as `role=web`." });

export const hostSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique host name; the default connection address." }),
  profile: nameSchema.optional().meta({ description: "Profile to inherit data and connection from." }),
  labels: labelsSchema.optional(),
  connection: connectionSchema.optional(),
  data: dataSchema.optional(),
});

export const groupSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique group name. `all` is implicit and holds every host." }),
  members: z.array(nameSchema).optional().meta({ description: "Host names in this group." }),
  children: z.array(nameSchema).optional().meta({ description: "Nested groups: their hosts are also in this group." }),
  connection: connectionSchema.optional(),
  data: dataSchema.optional(),
});

export const inventorySpecSchema = z.strictObject({
  hosts: z.array(hostSchema).optional().meta({ description: "The hosts of this inventory." }),
  groups: z.array(groupSchema).optional().meta({ description: "Groups: a tree under the implicit `all` group." }),
});

export const profileSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique profile name." }),
  parent: nameSchema.optional().meta({ description: "Profile inherited from (single inheritance, any depth)." }),
  connection: connectionSchema.optional(),
  data: dataSchema.optional(),
});

export const metaSchema = z
  .strictObject({
    title: z.string().optional(),
    description: z.string().optional(),
  })
  .meta({ description: "Human-readable information about the document." });

function envelope<S extends z.ZodType>(kindDescription: string, spec: S) {
  return z.strictObject({
    kind: z.string().meta({ description: kindDescription }),
    api_version: z.literal(API_VERSION).meta({ description: "Document format version." }),
    meta: metaSchema.optional(),
    spec,
  });
}

/** The document kinds this version understands. `match` decides by the `kind` string. */
export const DOCUMENT_KINDS = {
  inventory: {
    match: (kind: string) => kind === "inventory" || /^inventory\.[A-Za-z0-9_.-]+$/.test(kind),
    example: "inventory.hypervisor.kvm",
    schema: envelope("`inventory` or `inventory.<flavour>`: hosts and groups.", inventorySpecSchema),
  },
  profile: {
    match: (kind: string) => kind === "profile",
    example: "profile",
    schema: envelope("`profile`: data and connection that hosts inherit.", profileSpecSchema),
  },
  blueprint: {
    match: (kind: string) => kind === "blueprint",
    example: "blueprint",
    schema: envelope("`blueprint`: ordered steps to run on a host.", blueprintSpecSchema),
  },
  deployment: {
    match: (kind: string) => kind === "deployment",
    example: "deployment",
    schema: envelope("`deployment`: stages of operations (blueprints on targets).", deploymentSpecSchema),
  },
  maas: {
    match: (kind: string) => kind === "maas",
    example: "maas",
    schema: envelope("`maas`: a MAAS region that provisions the hosts whose data says `maas: {region: NAME}`.", maasRegionSpecSchema),
  },
  network: {
    match: (kind: string) => kind === "network",
    example: "network",
    schema: envelope("`network`: a subnet (VLAN, CIDR, gateway, DNS) that hosts join under `networks:`.", networkSpecSchema),
  },
  hardware_profile: {
    match: (kind: string) => kind === "hardware_profile",
    example: "hardware_profile",
    schema: envelope("`hardware_profile`: a kind of machine's NICs (by PCI address) and disks, named by hosts' `hardware_profile:`.", hardwareProfileSpecSchema),
  },
  schedule: {
    match: (kind: string) => kind === "schedule",
    example: "schedule",
    schema: envelope("`schedule`: requests a deployment at the times of a cron expression.", scheduleSpecSchema),
  },
  maintenance_window: {
    match: (kind: string) => kind === "maintenance_window",
    example: "maintenance_window",
    schema: envelope("`maintenance_window`: when runs of the site may execute; approved runs outside it wait `scheduled`.", maintenanceWindowSpecSchema),
  },
  reaction: {
    match: (kind: string) => kind === "reaction",
    example: "reaction",
    schema: envelope("`reaction`: runs a deployment when matching events arrive (webhooks, alerts, Flightdeck's own), through a trigger limiter.", reactionSpecSchema),
  },
  macro: {
    match: (kind: string) => kind === "macro",
    example: "macro",
    schema: envelope("`macro`: a named template expression or command, called as `macros.NAME(args)` in conditions and params.", macroSpecSchema),
  },
} as const;

/** The kinds that describe the site's design (./design reads them); the others are inventory and workflows. */
export const DESIGN_KINDS = ["maas", "network", "hardware_profile"] as const satisfies readonly DocumentKind[];

export type DocumentKind = keyof typeof DOCUMENT_KINDS;
export const KNOWN_KIND_NAMES = ["inventory", "profile", "blueprint", "deployment", "maas", "network", "hardware_profile", "schedule", "maintenance_window", "reaction", "macro"];
export const KIND_LIST = "inventory, inventory.<flavour>, profile, blueprint, deployment, maas, network, hardware_profile, schedule, maintenance_window, reaction, macro";

export function kindOf(kind: string): DocumentKind | undefined {
  for (const [name, k] of Object.entries(DOCUMENT_KINDS)) if (k.match(kind)) return name as DocumentKind;
  return undefined;
}

export type Connection = z.infer<typeof connectionSchema>;
export type HostSpec = z.infer<typeof hostSchema>;
export type GroupSpec = z.infer<typeof groupSchema>;
export type InventoryDocument = z.infer<(typeof DOCUMENT_KINDS)["inventory"]["schema"]>;
export type ProfileDocument = z.infer<(typeof DOCUMENT_KINDS)["profile"]["schema"]>;
export type DesignKind = (typeof DESIGN_KINDS)[number];
