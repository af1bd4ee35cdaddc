/**
 * `flightdeck launch SITE --server URL`: request a run of a site's newest revision on a dashboard, with an API
 * token from FLIGHTDECK_TOKEN. The run waits for approval there; `--wait` follows it to the end.
 */
import { parseArgs } from "node:util";
import { LaunchError, UsageError } from "./errors";
import type { Io } from "./main";

const FINAL = new Set(["succeeded", "failed", "cancelled", "rejected", "interrupted"]);
const POLL_MS = 2000;

interface RunReply {
  id: number;
  status: string;
  revision: number;
  url?: string;
  message?: string | null;
  counts?: Record<string, number>;
  hosts?: Record<string, { status: string }>;
}

export async function launch(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      server: { type: "string" },
      deployment: { type: "string" },
      reason: { type: "string" },
      forks: { type: "string" },
      limit: { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("give exactly one SITE (the site's id on the dashboard, as in its URL /sites/<id>)");
  const server = values.server ?? io.env?.FLIGHTDECK_SERVER;
  if (!server) throw new UsageError("give the dashboard's URL with --server (or FLIGHTDECK_SERVER)");
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UsageError(`--server must be a URL such as http://127.0.0.1:3000, not '${server}'`);
  }
  const token = io.env?.FLIGHTDECK_TOKEN;
  if (!token) throw new UsageError("set FLIGHTDECK_TOKEN to an API token with the operator role on the site (create one in the dashboard under Tokens)");
  const forks = values.forks === undefined ? undefined : Number(values.forks);
  if (forks !== undefined && (!Number.isInteger(forks) || forks < 1 || forks > 1000)) throw new UsageError(`--forks must be a whole number from 1 to 1000, not '${values.forks}'`);
  const timeoutS = values.timeout === undefined ? 86_400 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout is in seconds, not '${values.timeout}'`);
  const site = positionals[0]!;

  const call = async (method: string, path: string, body?: unknown): Promise<RunReply> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: io.signal,
      });
    } catch (e) {
      throw new LaunchError(`cannot reach ${base.origin}: ${(e as Error).message}`);
    }
    const reply = (await res.json().catch(() => ({}))) as RunReply & { detail?: string };
    if (res.ok) return reply;
    // Errors are RFC 9457 problem documents: `detail` says what is wrong.
    const why = reply.detail ?? res.statusText;
    if (res.status === 401) throw new LaunchError(`the dashboard refused the token (${why})`);
    if (res.status === 403) throw new LaunchError(`not allowed: ${why}`);
    throw new LaunchError(`${method} ${path}: ${res.status} ${why}`);
  };

  const requested = await call("POST", `/api/v1/sites/${encodeURIComponent(site)}/runs`, {
    deployment: values.deployment,
    reason: values.reason ?? "",
    forks,
    limit: values.limit?.split(",").map((h) => h.trim()).filter(Boolean),
  });
  const url = new URL(requested.url ?? `/sites/${site}/runs/${requested.id}`, base).href;
  if (values.json) io.out(JSON.stringify({ type: "run.requested", id: requested.id, status: requested.status, revision: requested.revision, url }));
  else io.out(`run ${requested.id} of ${site} at revision ${requested.revision}: ${said(requested.status)}\n  ${url}`);
  if (!values.wait) return 0;

  let last = requested.status;
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    const run = await call("GET", `/api/v1/runs/${requested.id}`);
    if (run.status !== last) {
      last = run.status;
      if (values.json) io.out(JSON.stringify({ type: "run.status", id: run.id, status: run.status, message: run.message ?? undefined }));
      else io.out(`run ${run.id}: ${said(run.status)}${run.message ? ` (${run.message})` : ""}`);
    }
    if (FINAL.has(run.status)) {
      if (values.json) io.out(JSON.stringify({ type: "run.finished", status: run.status, hosts: run.hosts }));
      else if (run.counts) io.out(`run ${run.id} ${run.status}: ${Object.entries(run.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ")}`);
      return run.status === "succeeded" ? 0 : 1;
    }
    if (Date.now() > end) throw new LaunchError(`run ${run.id} is still ${run.status} after ${timeoutS} s; it goes on on the dashboard`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, POLL_MS);
      io.signal?.addEventListener("abort", () => (clearTimeout(timer), reject(new LaunchError("stopped following; the run goes on on the dashboard"))), { once: true });
    });
  }
}

function said(status: string): string {
  return status === "awaiting_approval" ? "waiting for approval" : status.replace("_", " ");
}
