import { z } from "zod";
import { writeTgz } from "~/server/store/archive";
import { InvalidInputError } from "~/server/store/errors";
import { handle, restCaller } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

/** GET /api/v1/sites/:slug/export[?revision=N]: the site's files as a .tgz in the site directory layout. */
export function GET(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return handle(async () => {
    const { slug } = await params;
    const raw = new URL(req.url).searchParams.get("revision");
    const revision = raw === null ? undefined : z.coerce.number().int().positive().safeParse(raw).data;
    if (raw !== null && revision === undefined) throw new InvalidInputError(`revision must be a positive number, not '${raw}'`);
    const { caller, svc } = await restCaller(req);
    await svc.auth.access.require(caller, slug, "viewer");
    const { sites } = svc;
    const { revision: number, files } = await sites.files(slug, revision);
    const when = (await sites.revisions(slug)).find((r) => r.number === number)!.createdAt;
    const body = writeTgz(files, when);
    return new Response(Buffer.from(body), {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${slug}-r${number}.tgz"`,
        "cache-control": "no-store",
      },
    });
  });
}
