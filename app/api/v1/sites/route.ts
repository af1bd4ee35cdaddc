import { handle, json, restCaller } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

/** GET /api/v1/sites: the sites the caller can read. */
export function GET(req: Request) {
  return handle(async () => {
    const { caller, svc } = await restCaller(req);
    const readable = new Set(await svc.auth.access.readableSites(caller));
    return json({ sites: (await svc.sites.list()).filter((s) => readable.has(s.slug)) });
  });
}
