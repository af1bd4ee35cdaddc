/**
 * Every /api/v1 operation declared on a tRPC procedure (`meta.rest`), through one adapter (server/rest/handler.ts).
 * Next's more specific routes beside this one (export, import, inventory.*, introspect, openapi.json) win over it.
 */
import { restHandler } from "~/server/rest/handler";

export const dynamic = "force-dynamic";

export const GET = restHandler;
export const POST = restHandler;
export const PUT = restHandler;
export const PATCH = restHandler;
export const DELETE = restHandler;
