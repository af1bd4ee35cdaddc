/**
 * The site design: MAAS regions, networks and hardware profiles (documents of kinds `maas`, `network` and
 * `hardware_profile`), the host data that ties hosts to them (`maas`, `networks`, `hardware_profile`, inherited
 * like any data), and the rules that keep them consistent (DESIGN_RULES, each with an id and a level).
 *
 * The design is opt-in: it is read and checked when the site has at least one design document. A site without
 * one keeps `maas`, `networks` and `hardware_profile` as plain variables, as before design documents existed
 * (and costs nothing here). Only hosts with design data at some level are resolved, and only for these keys
 * (`Resolver.resolveVars`). A problem is placed at the line that writes the offending value, in the host, a
 * group or a profile: the level `explain` names as its origin (`Resolver.setterOf`), found for that one value.
 * Hosts that inherit one bad value from one place get one diagnostic there, naming them.
 *
 * This file holds the rule table, the design's types and the accessors the engine uses; reading the documents
 * and checking the rules is ./design-check.ts.
 */
import { z } from "zod";
import type { Severity } from "./diagnostics";
import { machineSelectorSchema, hostNetworksSchema, type HostNetwork, type MachineSelector } from "./design-schemas";
import type { IpNetwork } from "./ip";
import type { Data, Place } from "./model";
import { nameSchema } from "./names";
import type { Resolver } from "./resolve";
import { describeIssue } from "./validate";

// ---- the rules -------------------------------------------------------------------------------------------

interface Rule<A extends unknown[]> {
  level: Severity;
  /** What the rule checks, for people (the README of the rules is this table). */
  summary: string;
  message: (...args: A) => string;
}
const rule = <A extends unknown[]>(level: Severity, summary: string, message: (...args: A) => string): Rule<A> => ({ level, summary, message });

const HOSTNAME_RULES = "RFC 1123: dot-separated labels of letters, digits and '-', no '_'";

/** Every design rule: its id, level and message. Diagnostics carry the id as `rule`. */
export const DESIGN_RULES = {
  "maas.duplicate": rule("error", "two maas regions with one name", (name: string, first: string) => `duplicate maas region '${name}' (first defined at ${first})`),
  "maas.api-key": rule(
    "error",
    "a region's api_key is not a `secret:` or `env:` reference (a key written in YAML)",
    (region: string, value: string) =>
      value.startsWith("env:")
        ? `api_key '${value}' of maas region '${region}' does not name an environment variable (letters, digits and '_', not starting with a digit)`
        : `api_key of maas region '${region}' must not be written in the site: store it with \`flightdeck secrets set SITE maas.${region}_key\` and write \`api_key: secret:maas.${region}_key\` (or \`api_key: env:MAAS_API_KEY\`)`,
  ),
  "network.duplicate": rule("error", "a network name defined twice (a network has one VLAN and one CIDR)", (name: string, first: string) => `network '${name}' is defined twice (first at ${first}); a network has one VLAN and one CIDR`),
  "network.cidr-host-bits": rule("error", "a cidr written with host bits set", (cidr: string, net: string) => `cidr '${cidr}' has host bits set; the network is ${net}`),
  "network.gateway": rule(
    "error",
    "a gateway outside its subnet, or on its network or broadcast address (IPv6 link-local gateways are fine)",
    (gateway: string, network: string, cidr: string, where: string) => `gateway ${gateway} ${where} of network '${network}' (${cidr})`,
  ),
  "network.static-range": rule(
    "error",
    "a static_range end outside the subnet (or on its network or broadcast address), or start after end",
    (what: string) => what,
  ),
  "network.mtu": rule("error", "an mtu outside 576..9216 (1280..9216 on IPv6)", (mtu: number, min: number, family: number) => `mtu ${mtu} is outside ${min}..9216${family === 6 ? " (1280 is the IPv6 minimum)" : ""}`),
  "network.vlan-shared": rule(
    "warning",
    "two networks on one VLAN with different CIDRs",
    (name: string, vlan: number, cidr: string, other: string, otherCidr: string, where: string) =>
      `networks '${other}' (${otherCidr}, at ${where}) and '${name}' (${cidr}) share VLAN ${vlan}; use one network per VLAN, or give each its own VLAN`,
  ),
  "network.overlap": rule(
    "warning",
    "two networks whose subnets overlap",
    (name: string, cidr: string, other: string, otherCidr: string, where: string) => `network '${name}' (${cidr}) overlaps network '${other}' (${otherCidr}, at ${where})`,
  ),
  "hardware.duplicate": rule("error", "two hardware profiles with one name", (name: string, first: string) => `duplicate hardware profile '${name}' (first defined at ${first})`),
  "hardware.pci-duplicate": rule("error", "two NICs of one hardware profile with one PCI address", (nic: string, other: string, pci: string) => `nics '${other}' and '${nic}' have the same pci_address ${pci}`),
  "hardware.boot-disk": rule("error", "a boot_disk alias that is not one of the profile's disks", (alias: string, profile: string, hint: string) => `boot_disk '${alias}' is not a disk of hardware profile '${profile}'${hint}`),
  "host.data": rule("error", "host data `maas`, `networks` or `hardware_profile` of the wrong shape", (message: string) => message),
  "host.region-unknown": rule("error", "a host's maas.region names no maas region", (region: string, hint: string) => `maas region '${region}' does not exist${hint}`),
  "host.network-unknown": rule("error", "a host's networks name a network that does not exist", (network: string, hint: string) => `network '${network}' does not exist${hint}`),
  "host.hardware-unknown": rule("error", "a host's hardware_profile names no hardware profile", (profile: string, hint: string) => `hardware profile '${profile}' does not exist${hint}`),
  "host.interface-unknown": rule(
    "error",
    "a host's network interface is not a NIC alias of its hardware profile",
    (nic: string, profile: string, hint: string) => `interface '${nic}' is not a NIC of hardware profile '${profile}'${hint}`,
  ),
  "host.address-outside": rule("error", "a host's address outside its network's CIDR (or of the other IP family)", (address: string, hosts: string, network: string, cidr: string) => `address ${address} of ${hosts} is outside network '${network}' (${cidr})`),
  "host.address-reserved": rule(
    "error",
    "a host's address that is its network's network, broadcast or gateway address",
    (address: string, hosts: string, what: string, network: string) => `address ${address} of ${hosts} is the ${what} address of network '${network}'`,
  ),
  "host.address-duplicate": rule("error", "one address given to two hosts on one network", (address: string, network: string, hosts: string, first: string) => `address ${address} on network '${network}' is given to ${hosts}${first}`),
  "host.system-id-duplicate": rule("error", "one MAAS system_id given to two hosts", (id: string, hosts: string, first: string) => `system_id '${id}' is given to ${hosts}${first}; a system id names one machine`),
  "host.maas-hostname-duplicate": rule(
    "error",
    "two hosts of one MAAS region with the same MAAS host name (names are case-insensitive)",
    (hostname: string, region: string, hosts: string, first: string) => `MAAS host name '${hostname}' in region '${region}' is given to ${hosts}${first}`,
  ),
  "host.hostname": rule(
    "error",
    `a host provisioned by MAAS whose host name (its name, or maas.hostname) is not valid (${HOSTNAME_RULES})`,
    (name: string, own: boolean) => `${own ? "host name" : "maas.hostname"} '${name}' is not a valid hostname (${HOSTNAME_RULES})${own ? "; rename the host or set maas.hostname" : ""}`,
  ),
  "host.hostname-address": rule(
    "warning",
    "a host without maas data whose name is not a valid hostname and is also its connection address",
    (name: string) => `host name '${name}' is not a valid hostname (${HOSTNAME_RULES}) but is the host's connection address; set connection.address or rename the host`,
  ),
} as const;

export type DesignRuleId = keyof typeof DESIGN_RULES;

/** The rule table as rows, for documentation and tests. */
export function designRuleTable(): { id: DesignRuleId; level: Severity; summary: string }[] {
  return (Object.keys(DESIGN_RULES) as DesignRuleId[]).map((id) => ({ id, level: DESIGN_RULES[id].level, summary: DESIGN_RULES[id].summary }));
}

// ---- the design as the engine sees it ---------------------------------------------------------------------

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_DEPLOY_TIMEOUT_MS = 40 * 60_000;

/** A MAAS region, ready to drive: durations in milliseconds with their defaults. */
export interface MaasRegion extends Place {
  name: string;
  description?: string;
  /** As written, e.g. http://10.0.0.2:5240/MAAS. */
  url: string;
  /** The reference, never the key: `secret:maas.dc1_key` or `env:MAAS_API_KEY` (RunSecrets resolves both). */
  api_key: string;
  default_distro_series?: string;
  poll_interval_ms: number;
  deploy_timeout_ms: number;
  /** Deploying machines may read their secret values through introspection. */
  introspection_secrets: boolean;
}

export interface Network extends Place {
  name: string;
  description?: string;
  vlan?: number;
  /** As written; `subnet` is the parsed network. */
  cidr: string;
  subnet: IpNetwork;
  gateway?: string;
  dns_servers: string[];
  mtu?: number;
  static_range?: { start: string; end: string };
}

export interface HardwareProfile extends Place {
  name: string;
  description?: string;
  vendor?: string;
  model?: string;
  nics: Record<string, { pci_address: string; description?: string }>;
  disks: Record<string, { path: string; description?: string }>;
  /** The boot disk's device path (and its alias when written as one). */
  boot_disk?: { path: string; alias?: string };
}

export interface SiteDesign {
  regions: Map<string, MaasRegion>;
  networks: Map<string, Network>;
  hardwareProfiles: Map<string, HardwareProfile>;
}

export type { HostNetwork, MachineSelector } from "./design-schemas";

/** The data keys a host's design is read from. */
export const DESIGN_DATA_KEYS = ["maas", "networks", "hardware_profile"] as const;
export type DesignDataKey = (typeof DESIGN_DATA_KEYS)[number];

/** The schema of each design key of host data, wrapped in an object so issues carry the key in their path. */
export const HOST_SCHEMAS: Record<DesignDataKey, z.ZodType> = {
  maas: z.object({ maas: machineSelectorSchema }),
  networks: z.object({ networks: hostNetworksSchema }),
  hardware_profile: z.object({ hardware_profile: nameSchema.meta({ description: "Name of the host's hardware profile." }) }),
};

/** Thrown by the accessors below for host data that lint reports as invalid. */
export class DesignDataError extends Error {}

function parseHostData<T>(vars: Data, key: DesignDataKey): T | undefined {
  const value = vars[key];
  if (value === undefined || value === null) return undefined;
  const result = HOST_SCHEMAS[key].safeParse({ [key]: value });
  if (!result.success) {
    const problem = result.error.issues.flatMap((issue) => describeIssue({ [key]: value }, HOST_SCHEMAS[key], issue))[0];
    throw new DesignDataError(`invalid '${key}' data: ${problem?.message ?? "does not match its schema"}`);
  }
  return (result.data as Record<string, T>)[key];
}

/**
 * A host's MAAS machine selector from its resolved variables (`site.resolver.resolve(name).vars`), or
 * undefined when it has no `maas` data (or `maas: null`). Throws DesignDataError when the data is invalid
 * (lint reports it, so a lint-clean site never throws).
 */
export function machineSelector(vars: Data): MachineSelector | undefined {
  return parseHostData<MachineSelector>(vars, "maas");
}

/** A host's network attachments by network name (`null` entries, networks the host left, are omitted). */
export function hostNetworks(vars: Data): Record<string, HostNetwork> {
  const all = parseHostData<Record<string, HostNetwork | null>>(vars, "networks") ?? {};
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, HostNetwork] => e[1] !== null));
}

/** The name of a host's hardware profile, or undefined. */
export function hostHardwareProfile(vars: Data): string | undefined {
  return parseHostData<string>(vars, "hardware_profile");
}

/** A host's design with the documents it names: what the engine needs to provision it. */
export interface HostDesign {
  /** Its MAAS machine: the region (URL, key reference, timeouts) and the selector. */
  machine?: { region: MaasRegion; selector: MachineSelector };
  hardware?: HardwareProfile;
  /** Each network it is on, with its address and the NIC (alias and PCI address) that carries it. */
  networks: { network: Network; address?: string; interface?: string; nic?: { pci_address: string } }[];
}

/**
 * A host's design, or undefined when the site has no design documents (its `maas`, `networks` and
 * `hardware_profile` are then plain variables). Throws DesignDataError for data that lint reports (invalid
 * data, a region, network or hardware profile that does not exist): a lint-clean site never throws.
 */
export function hostDesign(site: { design: SiteDesign; resolver: Resolver }, host: string): HostDesign | undefined {
  const { regions, networks, hardwareProfiles } = site.design;
  if (!regions.size && !networks.size && !hardwareProfiles.size) return undefined;
  const vars = site.resolver.resolveVars(host, DESIGN_DATA_KEYS);
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new DesignDataError(`host '${host}': ${what} does not exist`);
    return value;
  };
  const selector = machineSelector(vars);
  const hwName = hostHardwareProfile(vars);
  const hardware = hwName === undefined ? undefined : need(hardwareProfiles.get(hwName), `hardware profile '${hwName}'`);
  return {
    machine: selector && { region: need(regions.get(selector.region), `maas region '${selector.region}'`), selector },
    hardware,
    networks: Object.entries(hostNetworks(vars)).map(([name, entry]) => ({
      network: need(networks.get(name), `network '${name}'`),
      ...entry,
      nic: entry.interface === undefined ? undefined : hardware?.nics[entry.interface],
    })),
  };
}

/** The design of a site without design documents. */
export function emptyDesign(): SiteDesign {
  return { regions: new Map(), networks: new Map(), hardwareProfiles: new Map() };
}
