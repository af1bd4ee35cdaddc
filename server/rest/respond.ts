/** REST responses: JSON bodies, and domain errors mapped to status codes in one place. */
import { ConflictError, InvalidInputError, NotFoundError } from "../store/errors";

export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

export async function handle(work: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof NotFoundError) return json({ error: e.message }, 404);
    if (e instanceof ConflictError) return json({ error: e.message }, 409);
    if (e instanceof InvalidInputError) return json({ error: e.message }, 400);
    console.error(`rest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return json({ error: "internal error; see the server log" }, 500);
  }
}
