/**
 * A MAAS 2.0 region for tests: the API of spec B1-B7 on 127.0.0.1, over node:http, with machines that move
 * through their lifecycle on short timers and faults to inject. Never imported by product code (lint forbids it).
 *
 *   const sim = await startMaasSimulator({ machines: [{ hostname: "node-1" }], keys: [{ key, username: "ops" }] });
 *   const client = new MaasClient({ url: sim.url, apiKey: key, region: "dc1" });
 *   ...
 *   await sim.close();
 *
 * What it does not do is listed in test/maas/README.md.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MaasStatusName } from "../../server/transports/maas/status";
import { SimAuth, type SimKey, type SimUser } from "./sim-auth";
import { eventJson, type SimEventJson } from "./sim-events";
import { Form, HTML, JSON_TYPE, SimHttpError, textError, TEXT, unrecognisedSignature } from "./sim-http";
import { Region, type SimMachineSpec, type SimTimings } from "./sim-region";

export type { SimKey } from "./sim-auth";
export type { SimEventJson } from "./sim-events";
export type { DeployFault, SimMachineSpec, SimTimings } from "./sim-region";

export interface SimulatorOptions {
  machines: SimMachineSpec[];
  /** API keys and their users; a non-admin key cannot commission. */
  keys: SimKey[];
  timings?: SimTimings;
  /** Existing zones, pools and tags (allocate's 400s); default: the ones the machines use, plus "default". */
  zones?: string[];
  pools?: string[];
  tags?: string[];
  /** GET version/'s version; default "3.5.0". */
  version?: string;
  /** Default 0: a free port. */
  port?: number;
}

export type SimFault =
  /** The next `count` requests get 503 (with Retry-After when given: seconds or an HTTP date). */
  | { type: "unavailable"; count: number; retryAfter?: number | string; body?: string }
  /** The next `count` requests get no answer at all (until close()). */
  | { type: "hang"; count: number }
  /** The machine's deployments fail ("Failed deployment", ERROR events, error_description). */
  | { type: "fail-deployment"; machine: string; message?: string }
  /** The machine's deployments stop in Deploying after "Loading ephemeral". */
  | { type: "stuck-deploying"; machine: string }
  /** The machine goes Broken now, or during its deployments ("deploying"). */
  | { type: "broken"; machine: string; when?: "now" | "deploying"; message?: string }
  /** Put the machine in a status directly (and set its owner), cancelling whatever it was doing. */
  | { type: "status"; machine: string; status: MaasStatusName; owner?: string | null }
  /** Deployments behave normally again. */
  | { type: "clear-deployment-fault"; machine: string };

export interface RecordedRequest {
  method: string;
  /** The path and query string, as sent. */
  url: string;
  op: string | undefined;
  form: [string, string][];
  authorization: string | undefined;
  status: number;
}

export interface MaasSimulator {
  /** "http://127.0.0.1:PORT/MAAS" */
  readonly url: string;
  /** The machine's API object, as GET machines/{id}/ would answer. */
  machine(systemId: string): Record<string, unknown>;
  machineIds(): string[];
  /** user_data exactly as the last deploy sent it (base64 from a correct client). */
  userData(systemId: string): string | undefined;
  /** Every event so far (of one machine), oldest first, in the API's form. */
  events(systemId?: string): SimEventJson[];
  /**
   * Resolves once the machine is in `status` (at once if it is), rejects after `timeoutMs` naming the status it
   * is in: tests wait on the lifecycle's own status changes instead of sleeping.
   */
  waitForStatus(systemId: string, status: MaasStatusName, timeoutMs?: number): Promise<void>;
  /** Resolves once the machine has logged an event of this type (at once if it has). */
  waitForEvent(systemId: string, type: string, timeoutMs?: number): Promise<void>;
  /** The requests so far (the last 1000), answered or not. */
  requests(): RecordedRequest[];
  inject(fault: SimFault): void;
  close(): Promise<void>;
}

const PREFIX = "/MAAS/api/2.0/";
const MAX_BODY_BYTES = 1 << 20;
const MAX_RECORDED = 1000;
/** MAAS hashes its API description; any stable value serves a client that only passes it along. */
const API_HASH = createHash("sha1").update("flightdeck maas simulator api 2.0").digest("hex");
const CAPABILITIES = ["networks-management", "static-ipaddresses", "ipv6-deployment-ubuntu", "devices-management", "storage-deployment-ubuntu", "network-deployment-ubuntu", "bridging-interface-ubuntu", "bridging-automatic-ubuntu", "authenticate-api"];

/** A random key of MAAS's shape: 18, 18 and 32 characters. */
export function randomApiKey(): string {
  const part = (n: number) => randomBytes(n).toString("base64").replace(/[^A-Za-z0-9]/g, "").padEnd(n, "x").slice(0, n);
  return `${part(18)}:${part(18)}:${part(32)}`;
}

type Handler = (user: SimUser, form: Form) => unknown;
interface Route {
  /** (METHOD op) -> handler; "" is "no op". */
  handlers: Record<string, Handler>;
  /** machines/ has an anonymous handler (whose only answer here is the unrecognised signature); others challenge. */
  anonymous: "signature" | "challenge";
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) {
        reject(textError(413, "Request body too large"));
        req.destroy();
      } else chunks.push(b);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startMaasSimulator(options: SimulatorOptions): Promise<MaasSimulator> {
  const region = new Region(options.machines, options.timings ?? {}, { zones: options.zones, pools: options.pools, tags: options.tags }, PREFIX, options.keys[0]?.username);
  const auth = new SimAuth(options.keys);
  const recorded: RecordedRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();
  let unavailable: { count: number; retryAfter?: number | string; body?: string } = { count: 0 };
  let hang = 0;

  const machineRoute = (id: string): Route => ({
    anonymous: "challenge",
    handlers: {
      "GET ": () => region.json(id),
      "GET query_power_state": () => region.queryPowerState(id),
      "POST deploy": (u, f) => region.deploy(u, id, f),
      "POST release": (u, f) => region.release(u, id, f),
      "POST power_on": (u, f) => region.powerOnOp(u, id, f),
      "POST power_off": (u, f) => region.powerOffOp(u, id, f),
      "POST commission": (u, f) => region.commission(u, id, f),
    },
  });
  const machinesRoute: Route = {
    anonymous: "signature",
    handlers: {
      "GET ": (_u, f) => region.list(f),
      "POST allocate": (u, f) => region.allocate(u, f),
      // (inferred) The bulk release answers the released system_ids.
      "POST release": (u, f) => {
        const ids = f.all("machines");
        const unknown = ids.filter((id) => !region.ids().includes(id));
        if (unknown.length > 0) throw textError(400, `Unknown machine(s): ${unknown.join(", ")}.`);
        for (const id of ids) region.release(u, id, f);
        return ids;
      },
    },
  };
  const eventsRoute: Route = { anonymous: "challenge", handlers: { "GET query": (_u, f) => region.queryEvents(f) } };

  function route(path: string): Route | "version" | undefined {
    if (!path.startsWith(PREFIX)) return undefined;
    const rest = path.slice(PREFIX.length);
    if (rest === "version/") return "version";
    if (rest === "machines/") return machinesRoute;
    if (rest === "events/") return eventsRoute;
    const m = /^machines\/([^/]+)\/$/.exec(rest);
    return m?.[1] ? machineRoute(decodeURIComponent(m[1])) : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    const type = req.headers["content-type"] ?? "";
    if (raw !== "" && !type.startsWith("application/x-www-form-urlencoded")) {
      throw textError(415, "This simulator reads application/x-www-form-urlencoded bodies only.");
    }
    const post = new URLSearchParams(method === "POST" ? raw : "");
    record.form = [...post];
    const op = url.searchParams.get("op") ?? post.get("op") ?? undefined;
    record.op = op;
    const target = route(url.pathname);
    if (target === undefined) throw new SimHttpError(404, "Not Found", HTML);
    if (target === "version") {
      if (method !== "GET" || op !== undefined) throw unrecognisedSignature(method, op);
      return ok(res, { capabilities: CAPABILITIES, version: options.version ?? "3.5.0", subversion: "" });
    }
    const who = auth.authenticate(req.headers.authorization, url.searchParams, post);
    if (who.kind === "anonymous") {
      if (target.anonymous === "signature") throw unrecognisedSignature(method, op);
      // piston's challenge: rc.FORBIDDEN, which is a 401.
      throw new SimHttpError(401, "Forbidden", HTML);
    }
    const handler = target.handlers[`${method} ${op ?? ""}`];
    if (!handler) throw unrecognisedSignature(method, op);
    const form = new Form(method === "GET" ? url.searchParams : post);
    const body = handler(who.user, form);
    if (op === "allocate" && region.allocateDelayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          pendingTimers.delete(t);
          resolve();
        }, region.allocateDelayMs);
        pendingTimers.add(t);
      });
    }
    ok(res, body);
  }

  /** Re-checks `done` on every new event (every state change logs one) until it holds or time is up. */
  function waitUntil(done: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`simulator: ${failure()} after ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = region.events.subscribe(() => {
        if (!done()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  function ok(res: ServerResponse, body: unknown): void {
    send(res, 200, JSON.stringify(body), JSON_TYPE, { "X-MAAS-API-Hash": API_HASH });
  }

  const server = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", op: undefined, form: [], authorization: req.headers.authorization, status: 0 };
    recorded.push(record);
    if (recorded.length > MAX_RECORDED) recorded.splice(0, recorded.length - MAX_RECORDED);
    res.on("finish", () => {
      record.status = res.statusCode;
    });
    if (hang > 0) {
      hang--;
      req.resume();
      return; // no answer: the connection stays open until the client gives up or close() ends it
    }
    if (unavailable.count > 0) {
      unavailable.count--;
      req.resume();
      const headers: Record<string, string> = unavailable.retryAfter === undefined ? {} : { "Retry-After": String(unavailable.retryAfter) };
      return send(res, 503, unavailable.body ?? "Service Unavailable", TEXT, headers);
    }
    handle(req, res, record).catch((error: unknown) => {
      if (error instanceof SimHttpError) return send(res, error.status, error.body, error.contentType, error.headers);
      // MAAS's middleware: anything else is a 500 with the exception's text.
      send(res, 500, error instanceof Error ? error.message : String(error), TEXT);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/MAAS`,
    machine: (id) => region.json(id),
    machineIds: () => region.ids(),
    userData: (id) => region.userData(id),
    events: (id) => region.events.all(id).map(eventJson),
    waitForStatus: (id, status, timeoutMs = 5_000) =>
      waitUntil(() => region.json(id).status_name === status, timeoutMs, () => `machine ${id} is '${String(region.json(id).status_name)}', not '${status}'`),
    waitForEvent: (id, type, timeoutMs = 5_000) =>
      waitUntil(() => region.events.all(id).some((e) => e.type === type), timeoutMs, () => `machine ${id} logged no '${type}' event`),
    requests: () => recorded.map((r) => ({ ...r, form: [...r.form] })),
    inject(fault) {
      switch (fault.type) {
        case "unavailable":
          unavailable = { ...fault };
          return;
        case "hang":
          hang = fault.count;
          return;
        case "fail-deployment":
          return region.setDeployFault(fault.machine, "fail", fault.message);
        case "stuck-deploying":
          return region.setDeployFault(fault.machine, "stuck");
        case "broken":
          if (fault.when === "deploying") return region.setDeployFault(fault.machine, "broken", fault.message);
          return region.breakNow(fault.machine, fault.message);
        case "status":
          return region.forceStatus(fault.machine, fault.status, fault.owner);
        case "clear-deployment-fault":
          return region.setDeployFault(fault.machine, undefined);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        region.close();
        for (const t of pendingTimers) clearTimeout(t);
        server.close(() => resolve());
        // Keep-alive sockets and hung requests would hold close() open.
        server.closeAllConnections();
      }),
  };
}
