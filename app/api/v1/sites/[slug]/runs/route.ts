import { z } from "zod";
import { handle, json, restCaller } from "~/server/rest/respond";
import { InvalidInputError } from "~/server/store/errors";

export const dynamic = "force-dynamic";

const body = z.object({
  deployment: z.string().min(1).optional(),
  reason: z.string().max(2000).default(""),
  forks: z.number().int().min(1).max(1000).optional(),
  limit: z.array(z.string().min(1)).max(10000).optional(),
});

/** POST /api/v1/sites/:slug/runs: request a run of the newest revision; it waits for approval. */
export function POST(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return handle(async () => {
    const { slug } = await params;
    const { caller, svc, actor, audit } = await restCaller(req);
    await svc.auth.access.require(caller, slug, "operator");
    const parsed = body.safeParse(await req.json().catch(() => ({})));
    if (!parsed.success) throw new InvalidInputError(parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
    const id = await svc.runner.launch({ site: slug, ...parsed.data, requestedBy: actor, requestedById: caller.userId });
    await audit({ action: "run.requested", site: slug, target: `run ${id}`, detail: { deployment: parsed.data.deployment ?? null, reason: parsed.data.reason, via: "rest" } });
    const run = await svc.runs.get(id);
    return json({ id, status: run.status, revision: run.revision, deployment: run.deployment, url: `/sites/${slug}/runs/${id}` }, 201);
  });
}

/** GET /api/v1/sites/:slug/runs: the newest runs. */
export function GET(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return handle(async () => {
    const { slug } = await params;
    const { caller, svc } = await restCaller(req);
    await svc.auth.access.require(caller, slug, "viewer");
    return json({ runs: await svc.runs.list(slug) });
  });
}
