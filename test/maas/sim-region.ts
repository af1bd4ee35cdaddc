/**
 * The simulated region's machines: their API objects (spec B4), the operations on them (B3) with MAAS's state
 * rules and messages, and the timed lifecycle behind them (Allocated -> Deploying -> Deployed, Releasing ->
 * Ready, Commissioning -> Ready), logging MAAS-like events on the way. Faults make a deployment fail, hang in
 * Deploying, or break the machine.
 */
import { MAAS_STATUS_CODE, statusByName, type MaasStatusName } from "../../server/transports/maas/status";
import { noneAvailable, parseConstraints, type Allocatable, type Catalogue } from "./sim-allocate";
import type { SimUser } from "./sim-auth";
import { EventLog, type EventNodeView, type SimLevel } from "./sim-events";
import { fieldError, forbidden, type Form, notFound, textError } from "./sim-http";

export type DeployFault = "fail" | "stuck" | "broken";
export type PowerState = "on" | "off" | "unknown" | "error";

export interface SimMachineSpec {
  /** Default: generated, 6 characters like MAAS's. */
  system_id?: string;
  hostname: string;
  /** Default Ready. */
  status?: MaasStatusName;
  /** The owning user's name; default none (or the first key's user for statuses that need an owner). */
  owner?: string | null;
  zone?: string;
  pool?: string;
  domain?: string;
  architecture?: string;
  cpu_count?: number;
  /** MiB */
  memory?: number;
  tag_names?: string[];
  mac_addresses?: string[];
  /** The addresses it gets when deployed; default one 10.0.0.x address. */
  ip_addresses?: string[];
  power_state?: PowerState;
  /** "manual" machines get no power action (power_off then answers null). */
  power_type?: string;
  /** What its deployments do: fail, stall in Deploying, or break the machine. */
  deployFault?: DeployFault;
  /** The error_description a fault sets. */
  faultMessage?: string;
}

export interface SimTimings {
  /** Delay before allocate answers (MAAS allocates synchronously; a slow region takes a while). Default 0. */
  allocateMs?: number;
  /** From "Deploying" to "Deployed". Default 60. */
  deployMs?: number;
  /** From "Releasing" to "Ready". Default 20. */
  releaseMs?: number;
  /** From "Commissioning" to "Ready". Default 40. */
  commissionMs?: number;
}

interface SimMachine {
  system_id: string;
  hostname: string;
  domain: string;
  status: MaasStatusName;
  status_message: string;
  owner: string | null;
  agent_name: string;
  power_state: PowerState;
  power_type: string;
  zone: string;
  pool: string;
  architecture: string;
  cpu_count: number;
  memory: number;
  tag_names: string[];
  macs: string[];
  deployIps: string[];
  ip_addresses: string[];
  osystem: string;
  distro_series: string;
  hwe_kernel: string | null;
  error_description: string;
  netboot: boolean;
  /** Exactly as sent (MAAS stores user_data as it comes). */
  user_data: string | undefined;
  deployFault: DeployFault | undefined;
  faultMessage: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

const DISTROS: Record<string, string> = { focal: "20.04", jammy: "22.04", noble: "24.04" };
const DEFAULT_DISTRO = "jammy";
const RELEASABLE: readonly MaasStatusName[] = ["Allocated", "Reserved", "Broken", "Deploying", "Deployed", "Failed deployment", "Failed disk erasing", "Releasing failed"];
const COMMISSIONABLE: readonly MaasStatusName[] = ["New", "Ready", "Failed commissioning", "Failed testing", "Broken"];
const OWNED: readonly MaasStatusName[] = ["Allocated", "Deploying", "Deployed", "Failed deployment", "Reserved"];
/** The install steps between "Deploying" and "Deployed", evenly spread over timings.deployMs. */
const DEPLOY_STEPS = ["Performing PXE boot", "Loading ephemeral", "Installing OS", "Configuring OS", "Rebooting"] as const;
/** Where each fault strikes: a failure or a break during the install, a stall once the ephemeral is loaded. */
const FAULT_STEP: Record<DeployFault, (typeof DEPLOY_STEPS)[number]> = { fail: "Installing OS", broken: "Installing OS", stuck: "Loading ephemeral" };
const DEFAULT_FAILURE = "Installation failed (refer to the installation log for more information).";

function systemIdFor(i: number): string {
  // MAAS system_ids are 6 characters of [a-z0-9]; deterministic here so test output is stable.
  return `m${(i + 1).toString(36).padStart(5, "0")}`;
}

export class Region {
  readonly events = new EventLog();
  private readonly machines = new Map<string, SimMachine>();
  private readonly timings: Required<SimTimings>;
  readonly catalogue: Catalogue;
  private closed = false;

  constructor(
    specs: readonly SimMachineSpec[],
    timings: SimTimings,
    catalogue: Partial<Catalogue>,
    private readonly pathPrefix: string,
    defaultOwner: string | undefined,
  ) {
    this.timings = { allocateMs: 0, deployMs: 60, releaseMs: 20, commissionMs: 40, ...timings };
    specs.forEach((spec, i) => {
      const status = spec.status ?? "Ready";
      const m: SimMachine = {
        system_id: spec.system_id ?? systemIdFor(i),
        hostname: spec.hostname,
        domain: spec.domain ?? "maas",
        status,
        status_message: status,
        owner: spec.owner !== undefined ? spec.owner : OWNED.includes(status) ? (defaultOwner ?? null) : null,
        agent_name: "",
        power_state: spec.power_state ?? (status === "Deployed" || status === "Deploying" ? "on" : "off"),
        power_type: spec.power_type ?? "ipmi",
        zone: spec.zone ?? "default",
        pool: spec.pool ?? "default",
        architecture: spec.architecture ?? "amd64/generic",
        cpu_count: spec.cpu_count ?? 4,
        memory: spec.memory ?? 8192,
        tag_names: spec.tag_names ?? [],
        macs: spec.mac_addresses ?? [`52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`],
        deployIps: spec.ip_addresses ?? [`10.0.${(i >> 8) & 255}.${(i & 255) + 10}`],
        ip_addresses: [],
        osystem: "",
        distro_series: "",
        hwe_kernel: null,
        error_description: "",
        netboot: status !== "Deployed",
        user_data: undefined,
        deployFault: spec.deployFault,
        faultMessage: spec.faultMessage,
        timer: undefined,
      };
      if (status === "Deployed") {
        m.ip_addresses = m.deployIps;
        m.osystem = "ubuntu";
        m.distro_series = DEFAULT_DISTRO;
      }
      if (this.machines.has(m.system_id)) throw new Error(`simulator: two machines with system_id ${m.system_id}`);
      this.machines.set(m.system_id, m);
    });
    const all = [...this.machines.values()];
    this.catalogue = {
      zones: catalogue.zones ?? [...new Set(["default", ...all.map((m) => m.zone)])],
      pools: catalogue.pools ?? [...new Set(["default", ...all.map((m) => m.pool)])],
      tags: catalogue.tags ?? [...new Set(all.flatMap((m) => m.tag_names))],
      architectures: catalogue.architectures ?? [...new Set(["amd64/generic", "arm64/generic", ...all.map((m) => m.architecture)])],
    };
  }

  close(): void {
    this.closed = true;
    for (const m of this.machines.values()) clearTimeout(m.timer);
  }

  // ---- reading ----

  ids(): string[] {
    return [...this.machines.keys()];
  }

  json(systemId: string): Record<string, unknown> {
    return this.toJson(this.get(systemId));
  }

  userData(systemId: string): string | undefined {
    return this.get(systemId).user_data;
  }

  nodeView = (systemId: string): EventNodeView | undefined => {
    const m = this.machines.get(systemId);
    return m && { system_id: m.system_id, hostname: m.hostname, zone: m.zone, agent_name: m.agent_name, owner: m.owner, macs: m.macs };
  };

  list(form: Form): Record<string, unknown>[] {
    const anyOf = (name: string, values: (m: SimMachine) => readonly (string | null)[]) => {
      const wanted = form.all(name);
      return (m: SimMachine) => wanted.length === 0 || values(m).some((v) => v !== null && wanted.includes(v));
    };
    const filters = [
      anyOf("hostname", (m) => [m.hostname]),
      anyOf("id", (m) => [m.system_id]),
      anyOf("zone", (m) => [m.zone]),
      anyOf("pool", (m) => [m.pool]),
      anyOf("domain", (m) => [m.domain]),
      anyOf("agent_name", (m) => [m.agent_name]),
      anyOf("mac_address", (m) => m.macs),
      anyOf("status", (m) => [statusByName(m.status)?.key ?? ""]),
    ];
    return [...this.machines.values()].filter((m) => filters.every((f) => f(m))).map((m) => this.toJson(m));
  }

  queryEvents(form: Form): Record<string, unknown> {
    return this.events.query(form, this.nodeView, this.pathPrefix);
  }

  get(systemId: string): SimMachine {
    const m = this.machines.get(systemId);
    if (!m) throw notFound("Machine");
    return m;
  }

  // ---- operations (spec B3) ----

  get allocateDelayMs(): number {
    return this.timings.allocateMs;
  }

  allocate(user: SimUser, form: Form): Record<string, unknown> {
    const constraints = parseConstraints(form, this.catalogue);
    const m = [...this.machines.values()].find((c) => c.status === "Ready" && constraints.matches(allocatable(c)));
    if (!m) throw noneAvailable(form);
    if (!form.bool("dry_run")) this.acquire(m, user, form);
    return this.toJson(m);
  }

  deploy(user: SimUser, systemId: string, form: Form): Record<string, unknown> {
    const m = this.get(systemId);
    this.checkOwner(m, user);
    const distro = parseDistro(form.get("distro_series"));
    // A Ready machine is allocated first; then deploying is legal only from Allocated.
    if (m.status === "Ready") this.acquire(m, user, form);
    if (m.status !== "Allocated") throw textError(409, `Can't deploy a machine that is in the '${m.status}' state`);
    m.user_data = form.get("user_data");
    m.osystem = "ubuntu";
    m.distro_series = distro;
    m.hwe_kernel = form.get("hwe_kernel") ?? null;
    if (form.has("agent_name")) m.agent_name = form.get("agent_name") ?? "";
    this.startDeployment(m, user, form.get("comment") ?? "");
    return this.toJson(m);
  }

  release(user: SimUser, systemId: string, form: Form): Record<string, unknown> {
    const m = this.get(systemId);
    this.checkOwner(m, user);
    if (m.status === "Releasing" || m.status === "Ready") return this.toJson(m);
    if (!RELEASABLE.includes(m.status)) throw textError(409, `Machine cannot be released in its current state ('${m.status}').`);
    this.cancel(m);
    this.log(m, "AUDIT", "User releasing node", form.get("comment") ?? "", user.username);
    this.powerOff(m);
    const erase = form.bool("erase") || form.bool("secure_erase") || form.bool("quick_erase");
    this.setStatus(m, erase ? "Disk erasing" : "Releasing");
    this.later(m, this.timings.releaseMs, () => {
      m.owner = null;
      m.agent_name = "";
      m.osystem = "";
      m.distro_series = "";
      m.hwe_kernel = null;
      m.ip_addresses = [];
      m.user_data = undefined;
      m.error_description = "";
      m.netboot = true;
      this.log(m, "INFO", "Released", "");
      this.setStatus(m, "Ready");
    });
    return this.toJson(m);
  }

  powerOnOp(user: SimUser, systemId: string, form: Form): Record<string, unknown> {
    const m = this.get(systemId);
    this.checkOwner(m, user);
    if (!m.owner) throw textError(409, "Can't start node: it hasn't been allocated.");
    if (m.status === "Allocated") {
      // Powering on an Allocated machine is how MAAS starts its deployment.
      m.user_data = form.get("user_data");
      m.osystem = "ubuntu";
      m.distro_series = DEFAULT_DISTRO;
      this.startDeployment(m, user, form.get("comment") ?? "");
    } else {
      this.powerOn(m);
    }
    return this.toJson(m);
  }

  powerOffOp(user: SimUser, systemId: string, form: Form): Record<string, unknown> | null {
    const m = this.get(systemId);
    this.checkOwner(m, user);
    const mode = form.get("stop_mode") ?? "hard";
    if (mode !== "soft" && mode !== "hard") throw fieldError({ stop_mode: [`Select a valid choice. ${mode} is not one of the available choices.`] });
    if (m.power_type === "manual") return null;
    this.powerOff(m);
    return this.toJson(m);
  }

  queryPowerState(systemId: string): Record<string, unknown> {
    return { state: this.get(systemId).power_state };
  }

  commission(user: SimUser, systemId: string, form: Form): Record<string, unknown> {
    const m = this.get(systemId);
    if (!user.admin) throw forbidden();
    // (inferred) NodeStateViolation's wording for this transition.
    if (!COMMISSIONABLE.includes(m.status)) throw textError(409, `Can't commission a machine that is in the '${m.status}' state`);
    this.cancel(m);
    this.log(m, "AUDIT", "User starting node commissioning", form.get("comment") ?? "", user.username);
    m.error_description = "";
    this.setStatus(m, "Commissioning");
    this.powerOn(m);
    this.later(m, this.timings.commissionMs / 2, () => {
      this.log(m, "INFO", "Gathering information", "");
      this.later(m, this.timings.commissionMs / 2, () => {
        this.powerOff(m);
        this.setStatus(m, "Ready");
      });
    });
    return this.toJson(m);
  }

  // ---- faults ----

  setDeployFault(systemId: string, fault: DeployFault | undefined, message?: string): void {
    const m = this.get(systemId);
    m.deployFault = fault;
    m.faultMessage = message;
  }

  breakNow(systemId: string, message: string | undefined): void {
    const m = this.get(systemId);
    this.cancel(m);
    this.markBroken(m, message);
  }

  forceStatus(systemId: string, status: MaasStatusName, owner?: string | null): void {
    const m = this.get(systemId);
    this.cancel(m);
    if (owner !== undefined) m.owner = owner;
    this.setStatus(m, status);
  }

  // ---- lifecycle ----

  private acquire(m: SimMachine, user: SimUser, form: Form): void {
    m.owner = user.username;
    m.agent_name = form.get("agent_name") ?? "";
    this.log(m, "AUDIT", "User acquiring node", form.get("comment") ?? "", user.username);
    this.setStatus(m, "Allocated");
  }

  private startDeployment(m: SimMachine, user: SimUser, comment: string): void {
    this.log(m, "AUDIT", "User starting deployment", comment, user.username);
    m.error_description = "";
    this.setStatus(m, "Deploying");
    this.powerOn(m);
    this.log(m, "INFO", "Deploying", `${m.osystem}/${m.distro_series}`);
    const fault = m.deployFault;
    const stepMs = this.timings.deployMs / (DEPLOY_STEPS.length + 1);
    const step = (i: number) => {
      const name = DEPLOY_STEPS[i];
      if (name === undefined) {
        m.ip_addresses = m.deployIps;
        m.netboot = false;
        this.log(m, "INFO", "Deployed", `${m.osystem}/${m.distro_series}`);
        this.setStatus(m, "Deployed");
        return;
      }
      if (fault && FAULT_STEP[fault] === name && fault !== "stuck") {
        if (fault === "fail") this.failDeployment(m);
        else this.markBroken(m, m.faultMessage);
        return;
      }
      this.log(m, "INFO", name, "");
      m.status_message = name;
      // A stuck deployment stops here, in Deploying, until released.
      if (fault === "stuck" && FAULT_STEP[fault] === name) return;
      this.later(m, stepMs, () => step(i + 1));
    };
    this.later(m, stepMs, () => step(0));
  }

  private failDeployment(m: SimMachine): void {
    const message = m.faultMessage ?? DEFAULT_FAILURE;
    this.log(m, "ERROR", "Node installation failure", message);
    this.log(m, "ERROR", "Marking node failed", message);
    m.error_description = message;
    this.setStatus(m, "Failed deployment", "Node installation failure");
  }

  private markBroken(m: SimMachine, message: string | undefined): void {
    const why = message ?? "Hardware failure reported by the BMC.";
    this.log(m, "ERROR", "Marking node broken", why);
    m.error_description = why;
    this.setStatus(m, "Broken", "Marking node broken");
  }

  private setStatus(m: SimMachine, status: MaasStatusName, message: string = status): void {
    const from = m.status;
    m.status = status;
    m.status_message = message;
    this.log(m, "DEBUG", "Node changed status", `From '${from}' to '${status}'`);
  }

  private powerOn(m: SimMachine): void {
    m.power_state = "on";
    this.log(m, "DEBUG", "Node powered on", "");
  }

  private powerOff(m: SimMachine): void {
    if (m.power_state === "off") return;
    m.power_state = "off";
    this.log(m, "DEBUG", "Node powered off", "");
  }

  private checkOwner(m: SimMachine, user: SimUser): void {
    if (m.owner && m.owner !== user.username && !user.admin) throw forbidden();
  }

  private log(m: SimMachine, level: SimLevel, type: string, description: string, username = m.owner ?? ""): void {
    this.events.add({ node: m.system_id, hostname: m.hostname, username, level, type, description });
  }

  private later(m: SimMachine, ms: number, fn: () => void): void {
    clearTimeout(m.timer);
    if (this.closed) return;
    m.timer = setTimeout(() => {
      m.timer = undefined;
      fn();
    }, ms);
  }

  private cancel(m: SimMachine): void {
    clearTimeout(m.timer);
    m.timer = undefined;
  }

  private toJson(m: SimMachine): Record<string, unknown> {
    const p = this.pathPrefix;
    const zoneId = this.catalogue.zones.indexOf(m.zone) + 1;
    const poolId = this.catalogue.pools.indexOf(m.pool);
    const interfaces = m.macs.map((mac, i) => ({
      id: i + 1,
      name: `eth${i}`,
      type: "physical",
      mac_address: mac,
      enabled: true,
      links: [],
      resource_uri: `${p}nodes/${m.system_id}/interfaces/${i + 1}/`,
    }));
    return {
      system_id: m.system_id,
      hostname: m.hostname,
      fqdn: `${m.hostname}.${m.domain}`,
      description: "",
      owner: m.owner,
      status: MAAS_STATUS_CODE[m.status],
      status_name: m.status,
      status_message: m.status_message,
      status_action: "",
      power_state: m.power_state,
      power_type: m.power_type,
      ip_addresses: m.ip_addresses,
      osystem: m.osystem,
      distro_series: m.distro_series,
      hwe_kernel: m.hwe_kernel,
      architecture: m.architecture,
      cpu_count: m.cpu_count,
      memory: m.memory,
      storage: 256_000.0,
      tag_names: m.tag_names,
      zone: { id: zoneId, name: m.zone, description: "", resource_uri: `${p}zones/${m.zone}/` },
      pool: { id: poolId, name: m.pool, description: "", resource_uri: `${p}resourcepool/${poolId}/` },
      domain: { id: 0, name: m.domain, ttl: null, authoritative: true, resource_record_count: 0, is_default: true, resource_uri: `${p}domains/0/` },
      locked: false,
      netboot: m.netboot,
      error_description: m.error_description,
      interface_set: interfaces,
      boot_interface: interfaces[0] ?? null,
      node_type: 0,
      node_type_name: "Machine",
      resource_uri: `${p}machines/${m.system_id}/`,
      commissioning_status: 2,
      commissioning_status_name: "Passed",
      testing_status: 2,
      testing_status_name: "Passed",
      storage_test_status: 2,
      storage_test_status_name: "Passed",
      cpu_test_status: -1,
      cpu_test_status_name: "Unknown",
      memory_test_status: -1,
      memory_test_status_name: "Unknown",
      network_test_status: -1,
      network_test_status_name: "Unknown",
    };
  }
}

function allocatable(m: SimMachine): Allocatable {
  return { ...m, fqdn: `${m.hostname}.${m.domain}` };
}

/** "jammy", "ubuntu/jammy" or "22.04" -> "jammy"; MAAS's default when absent. */
function parseDistro(raw: string | undefined): string {
  if (raw === undefined || raw === "") return DEFAULT_DISTRO;
  const name = raw.replace(/^ubuntu\//, "");
  const byVersion = Object.entries(DISTROS).find(([, v]) => v === name)?.[0];
  const series = name in DISTROS ? name : byVersion;
  if (!series) throw fieldError({ distro_series: [`'${raw}' is not a valid distro_series.  It should be one of: ${Object.keys(DISTROS).map((d) => `'ubuntu/${d}'`).join(", ")}.`] });
  return series;
}
