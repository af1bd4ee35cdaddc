/**
 * Output fields shared by the routers that are also REST operations (server/rest/meta.ts): each described,
 * since the OpenAPI document is generated from them.
 */
import { z } from "zod";
import { ROLES } from "../../auth/roles";

/**
 * A moment, sent as an ISO 8601 string. Without a tRPC transformer a Date reached the dashboard as this string
 * already; saying so lets the OpenAPI document describe it (a Date has no JSON Schema).
 */
export function timestamp(description: string) {
  return z.codec(z.date(), z.iso.datetime(), { decode: (d) => d.toISOString(), encode: (s) => new Date(s) }).describe(description);
}

export const roleField = (description: string) => z.enum(ROLES).describe(description);

/** What a save wrote: the new revision with its lint counts. */
export const savedRevisionSchema = z.object({
  number: z.number().int().describe("The new revision's number"),
  errors: z.number().int().describe("Lint errors in the new revision"),
  warnings: z.number().int().describe("Lint warnings in the new revision"),
  hosts: z.number().int().describe("Hosts in the new revision's inventory"),
});

/** The input of a paginated REST list (server/rest/meta.ts `paginated`). */
export const pageInput = {
  cursor: z.string().max(200).optional().describe("Where the page starts: the nextCursor of the previous page (omit for the first page)"),
  limit: z.number().int().min(1).max(500).default(50).describe("Largest number of items in the page (1 to 500, default 50)"),
};

/** An opaque cursor over descending ids: the id of the last item of the previous page. */
export const idCursor = {
  encode: (id: number): string => Buffer.from(`id:${id}`).toString("base64url"),
  /** The id before which the page starts, or undefined for the first page; a cursor not ours is bad input. */
  decode(cursor: string | undefined, invalid: () => Error): number | undefined {
    if (cursor === undefined) return undefined;
    const m = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString());
    if (!m) throw invalid();
    return Number(m[1]);
  },
};
