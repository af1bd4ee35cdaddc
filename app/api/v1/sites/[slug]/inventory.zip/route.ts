import { inventoryResponse } from "~/server/rest/inventory";

export const dynamic = "force-dynamic";

/** GET /api/v1/sites/:slug/inventory.zip[?group=&selector=&glob=&revision=]: the site as an Ansible inventory (server/rest/inventory.ts). */
export function GET(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  return inventoryResponse(req, params, "zip");
}
