import { intake } from "~/server/events/intake/handler";

export const dynamic = "force-dynamic";

/** POST /api/v1/sites/:slug/events/alertmanager: an Alertmanager webhook (version 4), one event per alert. */
export async function POST(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return intake(req, (await params).slug, "alertmanager");
}
