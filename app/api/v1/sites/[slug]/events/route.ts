import { intake } from "~/server/events/intake/handler";
import { restHandler } from "~/server/rest/handler";

export const dynamic = "force-dynamic";

/** POST /api/v1/sites/:slug/events: one generic event {name, labels, data} (server/events/intake/handler.ts). */
export async function POST(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return intake(req, (await params).slug, "api");
}

/** GET lists the site's events: the `events.list` procedure, as the REST adapter serves it. */
export function GET(req: Request) {
  return restHandler(req);
}
