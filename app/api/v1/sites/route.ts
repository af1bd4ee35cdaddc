import { handle, json } from "~/server/rest/respond";
import { services } from "~/server/services";

export const dynamic = "force-dynamic";

export function GET() {
  return handle(() => json({ sites: services().sites.list() }));
}
