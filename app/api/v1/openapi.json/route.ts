/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of /api/v1 (public: it holds no data, only the shapes). */
import { openApi } from "~/server/rest/openapi";

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(openApi(), { headers: { "cache-control": "no-cache" } });
}
