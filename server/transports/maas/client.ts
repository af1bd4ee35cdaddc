/**
 * The MAAS 2.0 API client: one instance per region and key. Methods map one to one onto the API operations
 * Flightdeck uses (spec B3, B6); answers are checked against ./schemas; failures are the errors of ./errors,
 * whose messages name the machine by hostname as soon as any answer has told us it.
 */
import { z } from "zod";
import { parseApiKey } from "./credentials";
import { MaasResponseError } from "./errors";
import type { MachineRef } from "./format";
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, maasRequest, type HttpSettings, type Params, type RequestSpec, type RetryNotice, type RetryPolicy } from "./http";
import { makeRedactor } from "./redact";
import {
  eventsPageSchema,
  machineSchema,
  powerStateSchema,
  versionSchema,
  type EventLevel,
  type EventsPage,
  type Machine,
  type MaasVersion,
  type PowerState,
} from "./schemas";
import type { MaasStatusKey } from "./status";

export interface MaasClientOptions {
  /** The region URL, e.g. "http://10.0.0.2:5240/MAAS" (a trailing slash or "/api/2.0" is accepted). */
  url: string;
  /** "consumer_key:token_key:token_secret" */
  apiKey: string;
  /** The region's name in messages ("dc1"); default: the URL's host. */
  region?: string;
  /** Where the key came from, for advice on a refused key ("secret maas.dc1_key"). */
  keySource?: string;
  retry?: Partial<RetryPolicy>;
  /** Per attempt; default 2 min (deploy and power calls talk to the BMC before answering). */
  requestTimeoutMs?: number;
  onRetry?: (notice: RetryNotice) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** GET machines/ filters; each may be repeated (any of the values matches). */
export interface MachineFilters {
  hostname?: string | readonly string[];
  /** system_id */
  id?: string | readonly string[];
  zone?: string | readonly string[];
  pool?: string | readonly string[];
  domain?: string | readonly string[];
  agent_name?: string;
  mac_address?: string | readonly string[];
  status?: MaasStatusKey | readonly MaasStatusKey[];
}

export interface AllocateConstraints {
  system_id?: string;
  /** Hostname or FQDN. */
  name?: string;
  /** Every tag must match. */
  tags?: readonly string[];
  not_tags?: readonly string[];
  zone?: string;
  not_in_zone?: readonly string[];
  pool?: string;
  not_in_pool?: readonly string[];
  arch?: string;
  /** At least this many CPUs. */
  cpu_count?: number;
  /** At least this much memory, in MiB. */
  mem?: number;
  agent_name?: string;
  comment?: string;
  dry_run?: boolean;
}

export interface DeployOptions {
  /** "jammy", "ubuntu/jammy" or "22.04"; MAAS's default_distro_series when absent. */
  distro_series?: string;
  /** Sent base64-encoded, as MAAS expects. */
  user_data?: string | Uint8Array;
  hwe_kernel?: string;
  agent_name?: string;
  comment?: string;
  enable_hw_sync?: boolean;
  ephemeral_deploy?: boolean;
}

export interface ReleaseOptions {
  comment?: string;
  erase?: boolean;
  secure_erase?: boolean;
  quick_erase?: boolean;
  force?: boolean;
}

export interface PowerOnOptions {
  user_data?: string | Uint8Array;
  comment?: string;
}

export interface PowerOffOptions {
  /** MAAS's default is hard. */
  stop_mode?: "soft" | "hard";
  comment?: string;
}

export interface CommissionOptions {
  enable_ssh?: boolean;
  skip_bmc_config?: boolean;
  skip_networking?: boolean;
  skip_storage?: boolean;
  commissioning_scripts?: readonly string[];
  testing_scripts?: readonly string[];
}

export interface EventsQuery {
  /** system_id(s) */
  id?: string | readonly string[];
  hostname?: string | readonly string[];
  mac_address?: string | readonly string[];
  zone?: string | readonly string[];
  agent_name?: string | readonly string[];
  owner?: string | readonly string[];
  /** That level and above; MAAS's default is INFO. */
  level?: EventLevel;
  /** At most 1000; MAAS's default is 100. */
  limit?: number;
  /** Only events with a greater id. */
  after?: number;
  /** Only events with a smaller id. */
  before?: number;
}

/** Remembered hostnames are only for messages; the bound keeps a long-lived client's memory flat. */
const MAX_REMEMBERED_HOSTNAMES = 10_000;

function base64(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64");
}

/** Normalise the region URL to ".../MAAS/" and the API base to ".../MAAS/api/2.0/". */
function regionUrls(url: string, region: string | undefined): { regionUrl: string; apiBase: URL; host: string } {
  const name = region ? `MAAS region ${region}` : "MAAS region";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${name}: ${JSON.stringify(url)} is not a URL (expected e.g. http://maas.example:5240/MAAS)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`${name}: the URL must be http or https, not ${parsed.protocol}`);
  const path = parsed.pathname.replace(/\/+$/, "").replace(/\/api\/2\.0$/, "");
  const regionUrl = `${parsed.origin}${path}/`;
  return { regionUrl, apiBase: new URL("api/2.0/", regionUrl), host: parsed.host };
}

export class MaasClient {
  readonly region: string;
  /** ".../MAAS/" */
  readonly url: string;
  private readonly settings: HttpSettings;
  private readonly hostnames = new Map<string, string>();

  constructor(options: MaasClientOptions) {
    const { regionUrl, apiBase, host } = regionUrls(options.url, options.region);
    this.region = options.region ?? host;
    this.url = regionUrl;
    let credentials;
    try {
      credentials = parseApiKey(options.apiKey);
    } catch (error) {
      const where = options.keySource ? ` (check ${options.keySource})` : "";
      throw new Error(`MAAS region ${this.region}: ${(error as Error).message}${where}`);
    }
    this.settings = {
      apiBase,
      regionUrl,
      region: this.region,
      keySource: options.keySource,
      credentials,
      redact: makeRedactor(credentials),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      onRetry: options.onRetry,
    };
  }

  /** Any API call, for operations without a method here; resolves with the parsed body. */
  request(spec: RequestSpec): Promise<unknown> {
    return maasRequest(this.settings, spec);
  }

  /** A machine as messages name it: the system_id, with the hostname when an answer has told us. */
  machineRef(systemId: string): MachineRef {
    return { systemId, hostname: this.hostnames.get(systemId) };
  }

  /** GET version/ (no key needed: a check that the URL points at a MAAS region). */
  async version(call: CallOptions = {}): Promise<MaasVersion> {
    const spec: RequestSpec = { method: "GET", path: "version/", operation: "read version", anonymous: true, signal: call.signal };
    return this.parse(versionSchema, await this.request(spec), spec);
  }

  /** GET machines/ with filters. */
  async listMachines(filters: MachineFilters = {}, call: CallOptions = {}): Promise<Machine[]> {
    const spec: RequestSpec = { method: "GET", path: "machines/", params: { ...filters }, operation: "list machines", signal: call.signal };
    return this.parse(z.array(machineSchema), await this.request(spec), spec).map((m) => this.remember(m));
  }

  /** GET machines/{id}/ */
  async getMachine(systemId: string, call: CallOptions = {}): Promise<Machine> {
    return this.machineCall("GET", systemId, undefined, "read machine", {}, call);
  }

  /** POST machines/?op=allocate: the first Ready machine matching every constraint, now Allocated to this key's user. */
  async allocate(constraints: AllocateConstraints = {}, call: CallOptions = {}): Promise<Machine> {
    const machine = constraints.system_id ? this.machineRef(constraints.system_id) : undefined;
    const spec: RequestSpec = { method: "POST", path: "machines/", op: "allocate", params: { ...constraints }, operation: "allocate", machine, signal: call.signal };
    return this.remember(this.parse(machineSchema, await this.request(spec), spec));
  }

  /** POST machines/{id}/?op=deploy (a Ready machine is allocated first); the machine comes back Deploying. */
  async deploy(systemId: string, options: DeployOptions = {}, call: CallOptions = {}): Promise<Machine> {
    const { user_data, ...rest } = options;
    return this.machineCall("POST", systemId, "deploy", "deploy", { ...rest, user_data: user_data === undefined ? undefined : base64(user_data) }, call);
  }

  /** POST machines/{id}/?op=release (a no-op when already Releasing or Ready). */
  async release(systemId: string, options: ReleaseOptions = {}, call: CallOptions = {}): Promise<Machine> {
    return this.machineCall("POST", systemId, "release", "release", { ...options }, call);
  }

  /** POST machines/{id}/?op=power_on (on an Allocated machine this starts a deployment). */
  async powerOn(systemId: string, options: PowerOnOptions = {}, call: CallOptions = {}): Promise<Machine> {
    const { user_data, ...rest } = options;
    return this.machineCall("POST", systemId, "power_on", "power on", { ...rest, user_data: user_data === undefined ? undefined : base64(user_data) }, call);
  }

  /** POST machines/{id}/?op=power_off; null when MAAS sent no power action. */
  async powerOff(systemId: string, options: PowerOffOptions = {}, call: CallOptions = {}): Promise<Machine | null> {
    const spec = this.machineSpec("POST", systemId, "power_off", "power off", { ...options }, call);
    const body = await this.request(spec);
    return body === null ? null : this.remember(this.parse(machineSchema, body, spec));
  }

  /** GET machines/{id}/?op=query_power_state: asks the BMC now (slow), unlike the machine's power_state field. */
  async queryPowerState(systemId: string, call: CallOptions = {}): Promise<PowerState> {
    const spec = this.machineSpec("GET", systemId, "query_power_state", "query power state", {}, call);
    return this.parse(powerStateSchema, await this.request(spec), spec).state;
  }

  /** POST machines/{id}/?op=commission (needs an admin key). */
  async commission(systemId: string, options: CommissionOptions = {}, call: CallOptions = {}): Promise<Machine> {
    const { commissioning_scripts, testing_scripts, ...rest } = options;
    // MAAS takes the script lists as one comma-separated value each.
    return this.machineCall("POST", systemId, "commission", "commission", { ...rest, commissioning_scripts: commissioning_scripts?.join(","), testing_scripts: testing_scripts?.join(",") }, call);
  }

  /** GET events/?op=query: newest first. */
  async events(query: EventsQuery = {}, call: CallOptions = {}): Promise<EventsPage> {
    const ids = query.id === undefined ? [] : typeof query.id === "string" ? [query.id] : query.id;
    const machine = ids.length === 1 && ids[0] !== undefined ? this.machineRef(ids[0]) : undefined;
    const spec: RequestSpec = { method: "GET", path: "events/", op: "query", params: { ...query }, operation: "query events", machine, signal: call.signal };
    const page = this.parse(eventsPageSchema, await this.request(spec), spec);
    for (const e of page.events) if (e.node && e.hostname) this.rememberHostname(e.node, e.hostname);
    return page;
  }

  /** The id of the machine's newest event (of any level), or 0 when it has none: a baseline for "events since". */
  async lastEventId(systemId: string, call: CallOptions = {}): Promise<number> {
    const page = await this.events({ id: systemId, level: "AUDIT", limit: 1 }, call);
    return page.events[0]?.id ?? 0;
  }

  private machineSpec(method: "GET" | "POST", systemId: string, op: string | undefined, operation: string, params: Params, call: CallOptions): RequestSpec {
    if (systemId === "") throw new Error(`MAAS region ${this.region}: ${operation} needs a machine's system_id, and it is empty`);
    return { method, path: `machines/${encodeURIComponent(systemId)}/`, op, params, operation, machine: this.machineRef(systemId), signal: call.signal };
  }

  private async machineCall(method: "GET" | "POST", systemId: string, op: string | undefined, operation: string, params: Params, call: CallOptions): Promise<Machine> {
    const spec = this.machineSpec(method, systemId, op, operation, params, call);
    return this.remember(this.parse(machineSchema, await this.request(spec), spec));
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, spec: RequestSpec): T {
    const result = schema.safeParse(body);
    if (result.success) return result.data;
    const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "the body"}: ${i.message}`);
    const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
    const context = { region: this.region, url: this.url, operation: spec.operation, machine: spec.machine };
    throw new MaasResponseError(context, `${issues.join("; ")}${more}`);
  }

  private remember(machine: Machine): Machine {
    this.rememberHostname(machine.system_id, machine.hostname);
    return machine;
  }

  private rememberHostname(systemId: string, hostname: string): void {
    if (!hostname) return;
    this.hostnames.delete(systemId);
    this.hostnames.set(systemId, hostname);
    if (this.hostnames.size > MAX_REMEMBERED_HOSTNAMES) {
      const oldest = this.hostnames.keys().next();
      if (!oldest.done) this.hostnames.delete(oldest.value);
    }
  }
}
