/**
 * Schemas of the site design (issue 6, after the MAAS orchestrator notes in seeds/001): MAAS regions, networks
 * and hardware profiles as documents, and the host data that ties a host to them (`maas`, `networks`,
 * `hardware_profile`, inherited like any data). Checks that need more than one value (an address inside its
 * network, names that exist) are design rules: see DESIGN_RULES in ./design.
 */
import { z } from "zod";
import { parseCidr, parseIp } from "./ip";
import { nameSchema } from "./names";
import { durationSchema } from "./workflow-schemas";

export const ipAddressSchema = z
  .string()
  .refine((s) => parseIp(s) !== undefined, "must be an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5")
  .meta({ description: "An IPv4 or IPv6 address." });

const cidrSchema = z
  .string()
  .refine((s) => parseCidr(s) !== undefined, "must be a network address and prefix such as 10.0.0.0/24 or fd00:10::/64");

function isHttpUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** MAAS object names (zones, pools, tags): letters, digits, '-' and '_'. */
const maasNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must start with a letter or digit and hold only letters, digits, '-' or '_'");

const distroSeriesSchema = z.string().regex(/^[a-z][a-z0-9.-]*$/, "must be a release name such as jammy or noble");

// ---- documents -------------------------------------------------------------------------------------------

export const maasRegionSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique region name; hosts name it in `maas: {region: ...}`." }),
  description: z.string().optional().meta({ description: "What this region is, for people." }),
  url: z
    .string()
    .refine(isHttpUrl, "must be the region's API address, such as http://10.0.0.2:5240/MAAS")
    .meta({ description: "The region controller's URL, e.g. `http://10.0.0.2:5240/MAAS`." }),
  api_key: z
    .string()
    .min(1)
    .meta({ description: "The API key, as a reference: `secret:maas.dc1_key` (a key of secrets.yml) or `env:MAAS_API_KEY`. Never the key itself." }),
  default_distro_series: distroSeriesSchema.optional().meta({ description: "Release deployed when a host's `maas` does not say `distro_series`, e.g. `noble`. Default: the region's own default." }),
  poll_interval: durationSchema.optional().meta({ description: "How often to poll a machine's state while it commissions or deploys. Default: 10s." }),
  deploy_timeout: durationSchema.optional().meta({ description: "How long a deployment may take before the host fails. Default: 40m." }),
  introspection: z
    .strictObject({
      secrets: z.boolean().optional().meta({ description: "Give deploying machines their `secret:` and `env:` values too. Default false: they are withheld (their paths listed)." }),
    })
    .optional()
    .meta({ description: "What a machine this region deploys may read about itself from GET /api/v1/introspect (with the token in its user_data) while the run lasts." }),
});

export const networkSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique network name; hosts name it under `networks:`." }),
  description: z.string().optional().meta({ description: "What this network carries, for people." }),
  vlan: z
    .number()
    .int("must be a whole number")
    .min(0, "must be a VLAN id from 0 (untagged) to 4094")
    .max(4094, "must be a VLAN id from 0 (untagged) to 4094")
    .optional()
    .meta({ description: "802.1Q VLAN id, 0 (untagged) to 4094." }),
  cidr: cidrSchema.meta({ description: "The subnet: network address and prefix, IPv4 or IPv6 (`10.0.0.0/24`, `fd00:10::/64`)." }),
  gateway: ipAddressSchema.optional().meta({ description: "Default gateway: an address inside the subnet (IPv6 may use a link-local fe80:: address)." }),
  dns_servers: z.array(ipAddressSchema).optional().meta({ description: "DNS servers handed to hosts on this network, in order." }),
  mtu: z.number().int("must be a whole number").optional().meta({ description: "MTU in bytes, 576 to 9216 (1280 at least on IPv6). Default: 1500." }),
  static_range: z
    .strictObject({
      start: ipAddressSchema.meta({ description: "First address of the range." }),
      end: ipAddressSchema.meta({ description: "Last address of the range." }),
    })
    .optional()
    .meta({ description: "Addresses reserved for static assignment, inside the subnet." }),
});

/** NIC aliases become interface names: Linux allows 15 characters. */
const nicAliasSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "must be an interface name: a letter or digit, then up to 14 letters, digits, '.', '_' or '-'");
const diskAliasSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'");

export const PCI_ADDRESS = /^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[01][0-9A-Fa-f]\.[0-7]$/;
const devicePathSchema = z.string().regex(/^\/dev\/\S+$/, "must be a device path such as /dev/sda or /dev/disk/by-path/...");

const nicSchema = z.strictObject({
  pci_address: z
    .string()
    .regex(PCI_ADDRESS, "must be a PCI address such as 0000:03:00.0 (domain:bus:device.function)")
    .meta({ description: "PCI address of the port (`lspci -D`): stable across boots, unlike eth0." }),
  description: z.string().optional().meta({ description: "What this port is, for people." }),
});

const diskSchema = z.strictObject({
  path: devicePathSchema.meta({ description: "Device path, e.g. `/dev/sda` or a stable `/dev/disk/by-path/...` link." }),
  description: z.string().optional().meta({ description: "What this disk is, for people." }),
});

export const hardwareProfileSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique profile name; hosts name it in `hardware_profile:`." }),
  description: z.string().optional().meta({ description: "What kind of machine this is, for people." }),
  vendor: z.string().min(1).optional().meta({ description: "Manufacturer, e.g. Dell." }),
  model: z.string().min(1).optional().meta({ description: "Model, e.g. PowerEdge R650." }),
  nics: z
    .record(nicAliasSchema, nicSchema)
    .optional()
    .meta({ description: "Network ports by alias (the interface name hosts use under `networks: {NET: {interface: ALIAS}}`)." }),
  disks: z.record(diskAliasSchema, diskSchema).optional().meta({ description: "Disks by alias." }),
  boot_disk: z
    .union([diskAliasSchema, z.strictObject({ path: devicePathSchema.meta({ description: "Device path of the boot disk." }) })])
    .optional()
    .meta({ description: "The disk to install on: an alias from `disks`, or `{path: /dev/sda}`." }),
});

// ---- host data -------------------------------------------------------------------------------------------

/** `maas:` in a host's data: which MAAS region manages it, and which machine (or what kind) it is. */
export const machineSelectorSchema = z.strictObject({
  region: nameSchema.meta({ description: "Name of the `maas` document of the region." }),
  system_id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a MAAS system id such as 4y3h7n")
    .optional()
    .meta({ description: "The machine's MAAS system id. Without it, a machine is allocated by the other fields." }),
  hostname: z.string().min(1).optional().meta({ description: "Host name in MAAS. Default: the host's name." }),
  zone: maasNameSchema.optional().meta({ description: "MAAS availability zone." }),
  pool: maasNameSchema.optional().meta({ description: "MAAS resource pool." }),
  tags: z.array(maasNameSchema).optional().meta({ description: "MAAS tags the machine must have." }),
  arch: z
    .string()
    .regex(/^[a-z0-9]+(\/[a-z0-9_.-]+)?$/, "must be an architecture such as amd64 or amd64/generic")
    .optional()
    .meta({ description: "Architecture the machine must have, e.g. `amd64` or `arm64/generic`." }),
  distro_series: distroSeriesSchema.optional().meta({ description: "Release to deploy. Default: the region's `default_distro_series`." }),
});

/** One entry of `networks:` in a host's data. */
export const hostNetworkSchema = z.strictObject({
  address: ipAddressSchema.optional().meta({ description: "The host's static address on this network." }),
  interface: z.string().min(1).optional().meta({ description: "The NIC alias (from the host's hardware profile) that carries this network." }),
});

/** `networks:` in a host's data: network name -> attachment. `null` leaves an inherited network. */
export const hostNetworksSchema = z.record(nameSchema, hostNetworkSchema.nullable());

export type MaasRegionSpec = z.infer<typeof maasRegionSpecSchema>;
export type NetworkSpec = z.infer<typeof networkSpecSchema>;
export type HardwareProfileSpec = z.infer<typeof hardwareProfileSpecSchema>;
export type MachineSelector = z.infer<typeof machineSelectorSchema>;
export type HostNetwork = z.infer<typeof hostNetworkSchema>;
