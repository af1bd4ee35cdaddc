import { introspect } from "~/server/rest/introspect";
import { handle } from "~/server/rest/respond";
import { services } from "~/server/services";

export const dynamic = "force-dynamic";

/** GET /api/v1/introspect: a deploying machine's own variables (Bearer: its introspection token). */
export function GET(req: Request) {
  return handle(async () => introspect(await services(), req));
}
