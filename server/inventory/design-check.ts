/**
 * Building and checking a site's design: the documents (`maas`, `network`, `hardware_profile`) read into a
 * SiteDesign, then every rule of DESIGN_RULES (./design) checked over the documents and the hosts' design data,
 * each problem placed at the line that writes the offending value (a host's, a group's or a profile's).
 */
import type { Diagnostic } from "./diagnostics";
import type { HardwareProfileSpec, HostNetwork, MaasRegionSpec, MachineSelector, NetworkSpec } from "./design-schemas";
import {
  DEFAULT_DEPLOY_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DESIGN_DATA_KEYS,
  DESIGN_RULES,
  emptyDesign,
  HOST_SCHEMAS,
  type DesignDataKey,
  type DesignRuleId,
  type HardwareProfile,
  type Network,
  type SiteDesign,
} from "./design";
import { formatIp, formatNetwork, hasHostBits, isLinkLocal, overlaps, parseCidr, parseIp, placeIn, type IpAddress } from "./ip";
import type { Data, Place, SiteModel } from "./model";
import { isHostname } from "./names";
import type { Resolver } from "./resolve";
import { DESIGN_KINDS, type DesignKind } from "./schemas";
import type { SecretReference } from "./secret-refs";
import type { Path, SourceDoc } from "./source";
import { didYouMean } from "../template/suggest";
import { describeIssue, type ValidDoc } from "./validate";
import { durationMs } from "./workflow-schemas";

const isDesignKind = (kind: string): kind is DesignKind => (DESIGN_KINDS as readonly string[]).includes(kind);

export interface BuiltDesign {
  design: SiteDesign;
  diagnostics: Diagnostic[];
  /** `secret:` references outside data (regions' api_key), for the secrets lint. */
  secretReferences: SecretReference[];
}

export function buildDesign(docs: readonly ValidDoc[], model: SiteModel, resolver: Resolver): BuiltDesign {
  const design = emptyDesign();
  const designDocs = docs.filter((d) => isDesignKind(d.kind));
  if (!designDocs.length) return { design, diagnostics: [], secretReferences: [] };
  const checker = new DesignChecker(design, model, resolver);
  checker.readDocuments(designDocs);
  checker.checkNetworks();
  checker.checkHosts();
  return { design, diagnostics: checker.diagnostics, secretReferences: checker.secretReferences };
}

interface Use {
  host: string;
  /** Path in the host's variables of the value (or of the key, with `key`). */
  path: Path;
  key?: boolean;
}

class DesignChecker {
  readonly diagnostics: Diagnostic[] = [];
  readonly secretReferences: SecretReference[] = [];
  /** Names of design documents that failed validation: they exist, so references to them are not reported. */
  private readonly broken: Record<DesignKind, Set<string>> = { maas: new Set(), network: new Set(), hardware_profile: new Set() };
  private readonly locator: Locator;
  private readonly seen = new Set<string>();
  private readonly hostReports = new Map<string, { id: DesignRuleId; at: Spot; message: (hosts: string) => string; hosts: string[] }>();

  constructor(
    private readonly design: SiteDesign,
    private readonly model: SiteModel,
    private readonly resolver: Resolver,
  ) {
    this.locator = new Locator(model, resolver);
  }

  private report(id: DesignRuleId, src: SourceDoc, path: Path, message: string, key = false) {
    this.reportSpot(id, spot(src, path, key), message);
  }

  private reportSpot(id: DesignRuleId, at: Spot, message: string) {
    // Hosts that inherit one bad value would each report it at the same place: once is enough.
    const sig = `${at.id}\0${message}`;
    if (this.seen.has(sig)) return;
    this.seen.add(sig);
    this.diagnostics.push({ ...at.src.diagnostic(at.path, DESIGN_RULES[id].level, message, at.key), rule: id });
  }

  /** A problem with a host's value, at the line that writes it (possibly a group's or a profile's). */
  private reportAt(id: DesignRuleId, use: Use, message: string) {
    this.reportSpot(id, this.locator.locate(use), message);
  }

  /**
   * A problem whose message names the host: hosts that inherit the value from one place share one diagnostic
   * naming them all (reported by `flushHostReports`).
   */
  private reportForHosts(id: DesignRuleId, use: Use, message: (hosts: string) => string) {
    const at = this.locator.locate(use);
    const sig = `${id}\0${at.id}\0${message("")}`;
    const pending = this.hostReports.get(sig);
    if (pending) pending.hosts.push(use.host);
    else this.hostReports.set(sig, { id, at, message, hosts: [use.host] });
  }

  private flushHostReports() {
    for (const { id, at, message, hosts } of this.hostReports.values()) this.reportSpot(id, at, message(listHosts(hosts)));
    this.hostReports.clear();
  }

  readDocuments(docs: readonly ValidDoc[]) {
    const first = new Map<string, Place>();
    for (const { src, kind, value, invalid } of docs) {
      const spec = value.spec as Data;
      const name = spec.name as string;
      if (invalid.has("spec")) {
        this.broken[kind as DesignKind].add(name);
        continue;
      }
      const place: Place = { src, path: ["spec"] };
      const earlier = first.get(`${kind}\0${name}`);
      if (earlier) {
        const where = earlier.src.where(["spec", "name"]);
        const id = kind === "maas" ? "maas.duplicate" : kind === "network" ? "network.duplicate" : "hardware.duplicate";
        this.report(id, src, ["spec", "name"], DESIGN_RULES[id].message(name, where));
        continue;
      }
      first.set(`${kind}\0${name}`, place);
      if (kind === "maas") this.readRegion(place, spec as MaasRegionSpec);
      else if (kind === "network") this.readNetwork(place, spec as NetworkSpec);
      else this.readHardwareProfile(place, spec as HardwareProfileSpec);
    }
  }

  private readRegion(place: Place, spec: MaasRegionSpec) {
    const key = spec.api_key;
    if (key.startsWith("secret:") && key.length > "secret:".length) {
      this.secretReferences.push({ place, path: ["spec", "api_key"], key: key.slice("secret:".length) });
    } else if (!/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      this.report("maas.api-key", place.src, ["spec", "api_key"], DESIGN_RULES["maas.api-key"].message(spec.name, key));
    }
    this.design.regions.set(spec.name, {
      ...place,
      name: spec.name,
      description: spec.description,
      url: spec.url,
      api_key: key,
      default_distro_series: spec.default_distro_series,
      poll_interval_ms: spec.poll_interval === undefined ? DEFAULT_POLL_INTERVAL_MS : durationMs(spec.poll_interval),
      deploy_timeout_ms: spec.deploy_timeout === undefined ? DEFAULT_DEPLOY_TIMEOUT_MS : durationMs(spec.deploy_timeout),
      introspection_secrets: spec.introspection?.secrets ?? false,
    });
  }

  private readNetwork(place: Place, spec: NetworkSpec) {
    const { src } = place;
    const subnet = parseCidr(spec.cidr)!; // the schema checked it
    const cidr = formatNetwork(subnet);
    if (hasHostBits(subnet)) this.report("network.cidr-host-bits", src, ["spec", "cidr"], DESIGN_RULES["network.cidr-host-bits"].message(spec.cidr, cidr));

    if (spec.gateway !== undefined) {
      const gateway = parseIp(spec.gateway)!;
      const at = gateway.family === 6 && subnet.family === 6 && isLinkLocal(gateway) ? "usable" : placeIn(subnet, gateway);
      if (at !== "usable") {
        const where = at === "outside" ? "is outside the subnet" : `is the ${at} address`;
        this.report("network.gateway", src, ["spec", "gateway"], DESIGN_RULES["network.gateway"].message(spec.gateway, spec.name, cidr, where));
      }
    }

    if (spec.static_range) {
      const ends = (["start", "end"] as const).map((end) => {
        const address = parseIp(spec.static_range![end])!;
        const at = placeIn(subnet, address);
        if (at !== "usable") {
          const what = at === "outside" ? `is outside network '${spec.name}' (${cidr})` : `is the ${at} address of network '${spec.name}'`;
          this.report("network.static-range", src, ["spec", "static_range", end], DESIGN_RULES["network.static-range"].message(`static_range ${end} ${spec.static_range![end]} ${what}`));
        }
        return at === "usable" ? address : undefined;
      });
      const [start, end] = ends;
      if (start && end && start.value > end.value) {
        this.report("network.static-range", src, ["spec", "static_range", "end"], DESIGN_RULES["network.static-range"].message(`static_range end ${spec.static_range.end} comes before its start ${spec.static_range.start}`));
      }
    }

    if (spec.mtu !== undefined) {
      const min = subnet.family === 6 ? 1280 : 576;
      if (spec.mtu < min || spec.mtu > 9216) this.report("network.mtu", src, ["spec", "mtu"], DESIGN_RULES["network.mtu"].message(spec.mtu, min, subnet.family));
    }

    this.design.networks.set(spec.name, {
      ...place,
      name: spec.name,
      description: spec.description,
      vlan: spec.vlan,
      cidr: spec.cidr,
      subnet,
      gateway: spec.gateway,
      dns_servers: spec.dns_servers ?? [],
      mtu: spec.mtu,
      static_range: spec.static_range,
    });
  }

  private readHardwareProfile(place: Place, spec: HardwareProfileSpec) {
    const { src } = place;
    const nics = spec.nics ?? {};
    const disks = spec.disks ?? {};
    const byPci = new Map<string, string>();
    for (const [alias, nic] of Object.entries(nics)) {
      const pci = nic.pci_address.toLowerCase();
      const other = byPci.get(pci);
      if (other !== undefined) this.report("hardware.pci-duplicate", src, ["spec", "nics", alias, "pci_address"], DESIGN_RULES["hardware.pci-duplicate"].message(alias, other, nic.pci_address));
      else byPci.set(pci, alias);
    }
    let boot: HardwareProfile["boot_disk"];
    if (typeof spec.boot_disk === "string") {
      const disk = disks[spec.boot_disk];
      if (disk && Object.hasOwn(disks, spec.boot_disk)) boot = { path: disk.path, alias: spec.boot_disk };
      else this.report("hardware.boot-disk", src, ["spec", "boot_disk"], DESIGN_RULES["hardware.boot-disk"].message(spec.boot_disk, spec.name, didYouMean(spec.boot_disk, Object.keys(disks))));
    } else if (spec.boot_disk) boot = { path: spec.boot_disk.path };
    this.design.hardwareProfiles.set(spec.name, { ...place, name: spec.name, description: spec.description, vendor: spec.vendor, model: spec.model, nics, disks, boot_disk: boot });
  }

  /** Between networks: one CIDR per VLAN, no overlapping subnets. */
  checkNetworks() {
    const networks = [...this.design.networks.values()];
    for (let j = 1; j < networks.length; j++) {
      const b = networks[j]!;
      for (let i = 0; i < j; i++) {
        const a = networks[i]!;
        const [ca, cb] = [formatNetwork(a.subnet), formatNetwork(b.subnet)];
        if (a.vlan !== undefined && a.vlan === b.vlan && ca !== cb) {
          this.report("network.vlan-shared", b.src, ["spec", "vlan"], DESIGN_RULES["network.vlan-shared"].message(b.name, b.vlan, cb, a.name, ca, a.src.where(["spec", "vlan"])));
        } else if (overlaps(a.subnet, b.subnet)) {
          this.report("network.overlap", b.src, ["spec", "cidr"], DESIGN_RULES["network.overlap"].message(b.name, cb, a.name, ca, a.src.where(["spec", "cidr"])));
        }
      }
    }
  }

  /** Host data: references, addresses, interfaces, host names, and what must be unique across hosts. */
  checkHosts() {
    const { regions, networks, hardwareProfiles } = this.design;
    const relevant = this.hostsWithDesignData();
    const addresses = new Map<string, Map<string, Use[]>>(); // network -> canonical address -> uses
    const systemIds = new Map<string, Use[]>();
    const maasHostnames = new Map<string, Use[]>(); // region \0 lower-case name -> uses
    const parsed = new Map<unknown, { ok: true; value: unknown } | { ok: false; problems: ReturnType<typeof describeIssue> }>();

    const read = <T>(host: string, vars: Data, key: DesignDataKey): T | undefined => {
      const value = vars[key];
      if (value === undefined || value === null) return undefined;
      // Hosts that inherit a value share its object: parse it once.
      let result = typeof value === "object" ? parsed.get(value) : undefined;
      if (!result) {
        const r = HOST_SCHEMAS[key].safeParse({ [key]: value });
        result = r.success ? { ok: true, value: (r.data as Data)[key] } : { ok: false, problems: r.error.issues.flatMap((issue) => describeIssue({ [key]: value }, HOST_SCHEMAS[key], issue)) };
        if (typeof value === "object") parsed.set(value, result);
      }
      if (result.ok) return result.value as T;
      for (const p of result.problems) this.reportAt("host.data", { host, path: p.path, key: p.key }, DESIGN_RULES["host.data"].message(p.message));
      return undefined;
    };

    for (const name of this.model.hosts.keys()) {
      const validName = isHostname(name);
      if (!relevant(name)) {
        if (!validName) this.checkAddressName(name);
        continue;
      }
      const vars = this.resolver.resolveVars(name, DESIGN_DATA_KEYS);
      const selector = read<MachineSelector>(name, vars, "maas");
      const hwName = read<string>(name, vars, "hardware_profile");
      const attached = read<Record<string, HostNetwork | null>>(name, vars, "networks");

      if (selector) {
        if (!regions.has(selector.region) && !this.broken.maas.has(selector.region)) {
          this.reportAt("host.region-unknown", { host: name, path: ["maas", "region"] }, DESIGN_RULES["host.region-unknown"].message(selector.region, didYouMean(selector.region, regions.keys())));
        }
        if (selector.system_id !== undefined) push(systemIds, selector.system_id, { host: name, path: ["maas", "system_id"] });
        const hostname = selector.hostname ?? name;
        const own = selector.hostname === undefined;
        if (!isHostname(hostname)) {
          const message = DESIGN_RULES["host.hostname"].message(hostname, own);
          this.reportAt("host.hostname", { host: name, path: own ? [] : ["maas", "hostname"] }, message);
        }
        push(maasHostnames, `${selector.region}\0${hostname.toLowerCase()}`, { host: name, path: own ? [] : ["maas", "hostname"] });
      } else if (!validName) this.checkAddressName(name);

      let hardware: HardwareProfile | undefined;
      if (hwName !== undefined) {
        hardware = hardwareProfiles.get(hwName);
        if (!hardware && !this.broken.hardware_profile.has(hwName)) {
          this.reportAt("host.hardware-unknown", { host: name, path: ["hardware_profile"] }, DESIGN_RULES["host.hardware-unknown"].message(hwName, didYouMean(hwName, hardwareProfiles.keys())));
        }
      }

      for (const [netName, entry] of Object.entries(attached ?? {})) {
        if (!entry) continue;
        const network = networks.get(netName);
        if (!network) {
          if (!this.broken.network.has(netName)) {
            this.reportAt("host.network-unknown", { host: name, path: ["networks", netName], key: true }, DESIGN_RULES["host.network-unknown"].message(netName, didYouMean(netName, networks.keys())));
          }
          continue;
        }
        if (entry.address !== undefined) this.checkAddress(name, network, entry.address, addresses);
        if (entry.interface !== undefined && hardware && !Object.hasOwn(hardware.nics, entry.interface)) {
          const nics = Object.keys(hardware.nics);
          const hint = nics.length ? didYouMean(entry.interface, nics) || ` (its nics: ${nics.join(", ")})` : " (it has no nics)";
          this.reportAt("host.interface-unknown", { host: name, path: ["networks", netName, "interface"] }, DESIGN_RULES["host.interface-unknown"].message(entry.interface, hardware.name, hint));
        }
      }
    }

    this.flushHostReports();
    for (const [netName, byAddress] of addresses) {
      for (const [address, uses] of byAddress) {
        this.duplicates("host.address-duplicate", uses, (hosts, first) => DESIGN_RULES["host.address-duplicate"].message(address, netName, hosts, first));
      }
    }
    for (const [id, uses] of systemIds) this.duplicates("host.system-id-duplicate", uses, (hosts, first) => DESIGN_RULES["host.system-id-duplicate"].message(id, hosts, first));
    for (const [key, uses] of maasHostnames) {
      const [region, hostname] = key.split("\0") as [string, string];
      this.duplicates("host.maas-hostname-duplicate", uses, (hosts, first) => DESIGN_RULES["host.maas-hostname-duplicate"].message(hostname, region, hosts, first));
    }
  }

  private checkAddress(host: string, network: Network, text: string, addresses: Map<string, Map<string, Use[]>>) {
    const address = parseIp(text)!; // the schema checked it
    const use: Use = { host, path: ["networks", network.name, "address"] };
    const cidr = formatNetwork(network.subnet);
    const at = placeIn(network.subnet, address);
    if (at === "outside") {
      this.reportForHosts("host.address-outside", use, (hosts) => DESIGN_RULES["host.address-outside"].message(text, hosts, network.name, cidr));
      return;
    }
    const gateway = network.gateway === undefined ? undefined : parseIp(network.gateway);
    if (at !== "usable" || (gateway && sameAddress(gateway, address))) {
      this.reportForHosts("host.address-reserved", use, (hosts) => DESIGN_RULES["host.address-reserved"].message(text, hosts, at === "usable" ? "gateway" : at, network.name));
      return;
    }
    let byAddress = addresses.get(network.name);
    if (!byAddress) addresses.set(network.name, (byAddress = new Map<string, Use[]>()));
    push(byAddress, formatIp(address), use);
  }

  /** A host without maas data whose invalid name is what SSH would connect to. */
  private checkAddressName(name: string) {
    const connection = this.resolver.resolve(name).connection;
    if (connection.transport === "local" || connection.address !== name) return;
    const def = this.model.hosts.get(name)!;
    this.report("host.hostname-address", def.src, [...def.path, "name"], DESIGN_RULES["host.hostname-address"].message(name));
  }

  /**
   * A value that must be unique, used by several hosts: an error at each place that gives it again, naming the
   * hosts and where it was first given. Hosts that inherit it from one place (a group or profile that sets a
   * system id) get one error there.
   */
  private duplicates(id: DesignRuleId, uses: Use[], message: (hosts: string, first: string) => string) {
    if (uses.length < 2) return;
    const located = uses.map((use) => ({ use, at: this.locator.locate(use) }));
    const first = located[0]!;
    const byPlace = new Map<string, typeof located>();
    for (const l of located) push(byPlace, l.at.id, l);
    for (const [place, group] of byPlace) {
      const here = place === first.at.id;
      if (here && group.length < 2) continue;
      const hosts = listHosts((here ? group : [first, ...group]).map((l) => l.use.host));
      const at = (here ? group[1] : group[0])!.at;
      this.reportSpot(id, at, message(hosts, here ? ", all inheriting it from here" : ` (first at ${first.at.src.where(first.at.path, first.at.key)})`));
    }
  }

  /** Which hosts have design data at some level (host, a group, the profile chain): only those are resolved. */
  private hostsWithDesignData(): (host: string) => boolean {
    const mentions = (data: Data | undefined) => data !== undefined && DESIGN_DATA_KEYS.some((k) => k in data);
    const groups = new Set([...this.model.groups.values()].filter((g) => mentions(g.data)).map((g) => g.name));
    const profiles = new Map<string, boolean>();
    const profileMentions = (name: string | undefined): boolean => {
      if (name === undefined) return false;
      let known = profiles.get(name);
      if (known === undefined) {
        profiles.set(name, false); // a cycle (already reported) ends here
        const def = this.model.profiles.get(name);
        known = def !== undefined && (mentions(def.data) || profileMentions(def.parent));
        profiles.set(name, known);
      }
      return known;
    };
    const bySet = new Map<string[], boolean>();
    return (host) => {
      const def = this.model.hosts.get(host)!;
      if (mentions(def.data) || profileMentions(def.profile)) return true;
      if (!groups.size) return false;
      const set = this.resolver.groupsOf(host);
      let known = bySet.get(set);
      if (known === undefined) bySet.set(set, (known = set.some((g) => groups.has(g))));
      return known;
    };
  }
}

/** "host 'a'", "hosts 'a' and 'b'", "hosts 'a', 'b', 'c', 'd' and 3 more". */
function listHosts(names: string[]): string {
  if (names.length === 1) return `host '${names[0]!}'`;
  const shown = names.slice(0, names.length > 5 ? 4 : 5).map((n) => `'${n}'`);
  const rest = names.length - shown.length;
  if (rest) return `hosts ${shown.join(", ")} and ${rest} more`;
  return `hosts ${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]!}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/** A place in a document that a diagnostic can point at; `id` tells places apart without computing spans. */
interface Spot {
  src: SourceDoc;
  path: Path;
  key: boolean;
  id: string;
}

function spot(src: SourceDoc, path: Path, key = false): Spot {
  return { src, path, key, id: `${src.file}\0${src.index}\0${path.join("\0")}\0${key ? "k" : "v"}` };
}

/**
 * Where a host's variable is written: the level the resolver names as its origin (`Resolver.setterOf`, the
 * level `explain` would name, without explaining the host) and the path inside that level's data. A value
 * no level writes (a host's own name) is the host's name.
 */
class Locator {
  constructor(
    private readonly model: SiteModel,
    private readonly resolver: Resolver,
  ) {}

  locate(use: Use): Spot {
    const setter = use.path.length ? this.resolver.setterOf(use.host, use.path) : undefined;
    if (setter) return spot(setter.place.src, [...setter.place.path, "data", ...use.path], use.key);
    const def = this.model.hosts.get(use.host)!;
    return spot(def.src, [...def.path, "name"]);
  }
}
