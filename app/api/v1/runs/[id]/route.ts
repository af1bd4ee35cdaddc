import { handle, json, restCaller } from "~/server/rest/respond";
import { NotFoundError } from "~/server/store/errors";

export const dynamic = "force-dynamic";

/** GET /api/v1/runs/:id: a run's status and per-host outcome (what `flightdeck launch --wait` polls). */
export function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    const { id: raw } = await params;
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError(`no run ${raw}`);
    const { caller, svc } = await restCaller(req);
    const run = await svc.runs.get(id);
    await svc.auth.access.require(caller, run.site, "viewer");
    const { snapshot, lastSeq } = await svc.runner.snapshot(id);
    const hosts = Object.fromEntries(Object.entries(snapshot.hosts).map(([name, h]) => [name, { status: h.status, steps: Object.fromEntries(Object.entries(h.steps).map(([s, st]) => [s, st.status])) }]));
    return json({
      id,
      site: run.site,
      deployment: run.deployment,
      revision: run.revision,
      status: run.status,
      requestedBy: run.requestedBy,
      reason: run.reason,
      message: run.message,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      counts: snapshot.counts,
      lastSeq,
      hosts,
    });
  });
}
