/**
 * Output fields shared by the routers that are also REST operations (server/rest/meta.ts): each described,
 * since the OpenAPI document is generated from them.
 */
import { z } from "zod";
import { ROLES } from "../../auth/roles";
import { InvalidInputError } from "../../errors";

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

/** An opaque cursor over unique string keys (slugs, names): the last key of the previous page. */
export const keyCursor = {
  encode: (key: string): string => Buffer.from(`key:${key}`).toString("base64url"),
  decode(cursor: string | undefined): string | undefined {
    if (cursor === undefined) return undefined;
    const text = Buffer.from(cursor, "base64url").toString();
    if (!text.startsWith("key:")) throw new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)");
    return text.slice(4);
  },
};

/** One page of a small list the store cannot page: sorted by a unique key, starting after the cursor's key. */
export function pageByKey<T>(all: readonly T[], key: (item: T) => string, input: { cursor?: string; limit: number }): { items: T[]; nextCursor: string | null } {
  const after = keyCursor.decode(input.cursor);
  const sorted = all.filter((item) => after === undefined || key(item) > after).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const items = sorted.slice(0, input.limit);
  return { items, nextCursor: sorted.length > input.limit ? keyCursor.encode(key(items.at(-1)!)) : null };
}
