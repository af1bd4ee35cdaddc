import { intake } from "~/server/events/intake/handler";

export const dynamic = "force-dynamic";

/** POST /api/v1/sites/:slug/events/github: a GitHub webhook delivery (push, pull_request; ping is answered). */
export async function POST(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return intake(req, (await params).slug, "github");
}
