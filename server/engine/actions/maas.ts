/**
 * MAAS actions: deploy, release, commission and power a host's machine through its region's API. Every status
 * change and MAAS event becomes a line of the step's output; the current status is the step's progress.
 */
import { durationMs, machineSelector, type MachineSelector, type MaasRegion } from "../../inventory";
import {
  describeMachine,
  describeStatusChange,
  followMachine,
  formatEvent,
  machineRef,
  MaasClient,
  MaasError,
  MaasMachineFailedError,
  type AllocateConstraints,
  type Machine,
  type MaasStatusName,
} from "../../transports/maas";
import { formatDuration } from "../duration";
import type { ControllerAction, ControllerContext } from "./controller";
import type { ActionResult } from "./types";

const AGENT = "flightdeck";

interface Target {
  region: MaasRegion;
  selector: MachineSelector;
  client: MaasClient;
}

/** The host's region and a client for it, or a failed result saying what is missing. */
async function target(ctx: ControllerContext): Promise<Target | ActionResult> {
  const selector = machineSelector(ctx.vars);
  if (!selector) return { status: "failed", message: `host ${ctx.host} has no 'maas' data: give it maas: {region: ..., system_id: ...} (or hostname, zone, pool, tags)` };
  const region = ctx.site.design.regions.get(selector.region);
  if (!region) return { status: "failed", message: `host ${ctx.host} names MAAS region '${selector.region}', which no 'maas' document defines` };
  let apiKey: string;
  try {
    apiKey = await ctx.secret(region.api_key);
  } catch (e) {
    return { status: "failed", message: `MAAS region ${region.name}: api_key: ${(e as Error).message}` };
  }
  const client = new MaasClient({
    url: region.url,
    apiKey,
    region: region.name,
    keySource: region.api_key,
    onRetry: (n) => ctx.onStderr(`MAAS answered 503 (${n.serverMessage || "busy"}) to ${n.operation}; retrying in ${formatDuration(n.delayMs)} (attempt ${n.attempt + 1})\n`),
  });
  return { region, selector, client };
}

const isResult = (t: Target | ActionResult): t is ActionResult => "status" in t;

/** The machine named by system_id or hostname (found, not allocated), or undefined when the selector allocates. */
async function namedMachine(ctx: ControllerContext, t: Target): Promise<Machine | undefined> {
  const id = ctx.machine.get() ?? t.selector.system_id;
  if (id) return t.client.getMachine(id, { signal: ctx.signal });
  if (!t.selector.hostname) return undefined;
  const found = await t.client.listMachines({ hostname: [t.selector.hostname] }, { signal: ctx.signal });
  return found[0];
}

function say(ctx: ControllerContext, line: string) {
  ctx.onStdout(`${line}\n`);
}

async function follow(ctx: ControllerContext, t: Target, machine: Machine, until: MaasStatusName, timeoutMs: number, afterEventId?: number): Promise<Machine> {
  const result = await followMachine(t.client, machine.system_id, {
    until,
    signal: ctx.signal,
    timeoutMs,
    intervalMs: t.region.poll_interval_ms,
    afterEventId,
    onStatus: (m, previous) => {
      ctx.progress(m.status_name);
      say(ctx, describeStatusChange(m, previous));
    },
    onEvents: (events) => {
      for (const e of events) (e.level === "ERROR" || e.level === "CRITICAL" ? ctx.onStderr : ctx.onStdout)(`${formatEvent(e)}\n`);
    },
    onPollError: (e, n) => ctx.onStderr(`polling MAAS failed (${n} in a row): ${e.message}\n`),
  });
  return result.machine;
}

/** MAAS errors become a failed step with the operator-facing message; anything else is rethrown. */
async function guarded(ctx: ControllerContext, work: () => Promise<ActionResult>): Promise<ActionResult> {
  try {
    return await work();
  } catch (e) {
    // The machine's events were already streamed as they came; the message quotes the last errors.
    if (e instanceof MaasError || e instanceof MaasMachineFailedError) return { status: "failed", message: e.message };
    throw e;
  }
}

const timeoutOf = (ctx: ControllerContext, fallback: number) => (ctx.params.timeout === undefined ? fallback : durationMs(ctx.params.timeout as string | number));

export const maasDeploy: ControllerAction = async (ctx) => {
  const t = await target(ctx);
  if (isResult(t)) return t;
  return guarded(ctx, async () => {
    const distro = (ctx.params.distro_series as string | undefined) ?? t.selector.distro_series ?? t.region.default_distro_series;
    let machine = await namedMachine(ctx, t);
    if (machine && machine.status_name === "Deployed" && !ctx.params.redeploy && (!distro || machine.distro_series === distro)) {
      ctx.machine.set(machine.system_id);
      return { status: "ok", message: `${describeMachine(machineRef(machine))} is already Deployed (${machine.osystem}/${machine.distro_series})` };
    }
    if (!machine) {
      const constraints: AllocateConstraints = {
        name: t.selector.hostname,
        zone: t.selector.zone,
        pool: t.selector.pool,
        tags: t.selector.tags,
        arch: t.selector.arch,
        agent_name: AGENT,
        comment: `flightdeck: ${ctx.host}`,
      };
      // Nothing says which machine: the host's own name is the only constraint left.
      if (!constraints.name && !constraints.zone && !constraints.pool && !constraints.tags?.length && !constraints.arch) constraints.name = ctx.host;
      ctx.progress("Allocating");
      machine = await t.client.allocate(constraints, { signal: ctx.signal });
      say(ctx, `allocated ${describeMachine(machineRef(machine))} in region ${t.region.name}`);
    }
    ctx.machine.set(machine.system_id);
    const after = await t.client.lastEventId(machine.system_id, { signal: ctx.signal });
    ctx.progress("Deploying");
    const deployed = await t.client.deploy(
      machine.system_id,
      { distro_series: distro, user_data: ctx.params.user_data as string | undefined, hwe_kernel: ctx.params.hwe_kernel as string | undefined, agent_name: AGENT, comment: `flightdeck: ${ctx.host}` },
      { signal: ctx.signal },
    );
    say(ctx, `deploying ${describeMachine(machineRef(deployed))} with ${distro ?? "the region's default release"}`);
    const started = Date.now();
    const done = await follow(ctx, t, deployed, "Deployed", timeoutOf(ctx, t.region.deploy_timeout_ms), after);
    const addresses = done.ip_addresses?.length ? `; addresses ${done.ip_addresses.join(", ")}` : "";
    return { status: "changed", message: `deployed ${describeMachine(machineRef(done))} (${done.osystem}/${done.distro_series}) in ${formatDuration(Date.now() - started)}${addresses}` };
  });
};

/**
 * An existing machine through one MAAS operation that ends in Ready (release, commission): the operation is
 * started, then followed unless `wait: false`.
 */
function toReady(verb: string, progress: string, skip: (m: Machine) => boolean, start: (ctx: ControllerContext, t: Target, id: string) => Promise<Machine>): ControllerAction {
  return async (ctx) => {
    const t = await target(ctx);
    if (isResult(t)) return t;
    return guarded(ctx, async () => {
      const machine = await namedMachine(ctx, t);
      if (!machine) return { status: "failed", message: `host ${ctx.host}: no machine to ${verb} (give maas.system_id or maas.hostname)` };
      if (skip(machine)) return { status: "ok", message: `${describeMachine(machineRef(machine))} is ${machine.status_name}` };
      const after = await t.client.lastEventId(machine.system_id, { signal: ctx.signal });
      ctx.progress(progress);
      const started = await start(ctx, t, machine.system_id);
      const name = describeMachine(machineRef(started));
      say(ctx, `${progress.toLowerCase()} ${name}`);
      if (ctx.params.wait === false) return { status: "changed", message: `${verb} of ${name} started` };
      const done = await follow(ctx, t, started, "Ready", timeoutOf(ctx, t.region.deploy_timeout_ms), after);
      return { status: "changed", message: `${describeMachine(machineRef(done))} is Ready` };
    });
  };
}

export const maasRelease = toReady(
  "release",
  "Releasing",
  (m) => m.status_name === "Ready",
  (ctx, t, id) =>
    t.client.release(id, { erase: ctx.params.erase as boolean | undefined, quick_erase: ctx.params.quick_erase as boolean | undefined, comment: (ctx.params.comment as string | undefined) ?? `flightdeck: ${ctx.host}` }, { signal: ctx.signal }),
);

export const maasCommission = toReady(
  "commission",
  "Commissioning",
  () => false,
  (ctx, t, id) =>
    t.client.commission(
      id,
      { enable_ssh: ctx.params.enable_ssh as boolean | undefined, skip_networking: ctx.params.skip_networking as boolean | undefined, skip_storage: ctx.params.skip_storage as boolean | undefined },
      { signal: ctx.signal },
    ),
);

export const maasPower: ControllerAction = async (ctx) => {
  const t = await target(ctx);
  if (isResult(t)) return t;
  return guarded(ctx, async () => {
    const machine = await namedMachine(ctx, t);
    if (!machine) return { status: "failed", message: `host ${ctx.host}: no machine to power (give maas.system_id or maas.hostname)` };
    const name = describeMachine(machineRef(machine));
    const state = ctx.params.state as "on" | "off" | "query";
    const now = await t.client.queryPowerState(machine.system_id, { signal: ctx.signal });
    say(ctx, `${name}: power is ${now}`);
    if (state === "query") return { status: "ok", message: `power is ${now}` };
    if (now === state) return { status: "ok", message: `power is already ${state}` };
    if (state === "on") await t.client.powerOn(machine.system_id, { comment: `flightdeck: ${ctx.host}` }, { signal: ctx.signal });
    else await t.client.powerOff(machine.system_id, { stop_mode: ctx.params.stop_mode as "soft" | "hard" | undefined, comment: `flightdeck: ${ctx.host}` }, { signal: ctx.signal });
    say(ctx, `${name}: power ${state} requested`);
    return { status: "changed", message: `power ${state} requested` };
  });
};
