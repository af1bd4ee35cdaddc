/**
 * tRPC initialisation, in three sections. Edit it when the request context changes or when a new kind of
 * procedure is needed; routers only import the names exported below. Every procedure but `publicProcedure`
 * checks who is asking, here, once.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { clientIp, type AuditEntry, type Principal, type Role } from "../auth";
import { services, type Services } from "../services";
import { errorCode, type ErrorCode } from "../errors";
import type { Meta } from "../rest/meta";

// 1. Context: the server's parts and the caller, resolved from the request's cookie or bearer token.
export async function createContext(headers: Headers): Promise<Context> {
  const svc = await services();
  return contextFor(svc, await svc.auth.principal(headers), clientIp(headers));
}
export type Context = Services & { principal: Principal; ip: string | null; audit: (entry: AuditEntry) => Promise<void> };

/** A context for a known caller (tests use it too): `audit` records as that caller, from that address. */
export function contextFor(svc: Services, principal: Principal, ip: string | null): Context {
  return { ...svc, principal, ip, audit: (entry) => svc.auth.audit.record(principal, entry, ip) };
}

// 2. Initialisation: zod errors reach the client flattened, so forms can show them field by field.
// Procedures that are also REST operations say so in their meta (server/rest/meta.ts).
const t = initTRPC.context<Context>().meta<Meta>().create({
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null },
    };
  },
});

// 3. Procedures. Domain errors become HTTP-meaningful codes once, here, not in every router. They are told
// apart by code: this module runs in Next's bundle while the services that throw run in the server's own graph.
const TRPC_CODE = {
  INVALID_INPUT: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
} as const satisfies Record<ErrorCode, ConstructorParameters<typeof TRPCError>[0]["code"]>;

const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code = errorCode(cause);
    if (code) throw new TRPCError({ code: TRPC_CODE[code], message: (cause as Error).message, cause });
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/** No caller needed: only for saying who is signed in. */
export const publicProcedure = t.procedure.use(domainErrors);

/** A signed-in user or an API token (never a kiosk): who they are is narrowed for the procedures below. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  const p = ctx.principal;
  if (p.kind === "anonymous") throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  if (p.kind === "kiosk") throw new TRPCError({ code: "FORBIDDEN", message: "a kiosk token reads its board and nothing else" });
  return next({ ctx: { principal: p } });
});

/** A signed-in user whose password is not a one-time one still to change. */
export const userProcedure = authedProcedure.use(({ ctx, next }) => {
  const p = ctx.principal;
  if (p.kind !== "user") throw new TRPCError({ code: "FORBIDDEN", message: "this needs a signed-in user, not an API token" });
  if (p.mustChangePassword) throw new TRPCError({ code: "FORBIDDEN", message: "change your one-time password first" });
  return next({ ctx: { principal: p } });
});

/** A user signed in with a one-time password may do only this: change it. */
export const passwordChangeProcedure = authedProcedure.use(({ ctx, next }) => {
  const p = ctx.principal;
  if (p.kind !== "user") throw new TRPCError({ code: "FORBIDDEN", message: "this needs a signed-in user, not an API token" });
  return next({ ctx: { principal: p } });
});

/** Server administrators: users, sites, kiosk boards. */
export const adminProcedure = userProcedure.use(({ ctx, next }) => {
  if (!ctx.principal.isAdmin) throw new TRPCError({ code: "FORBIDDEN", message: "this needs a server admin" });
  return next();
});

const callerReady = authedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.kind === "user" && ctx.principal.mustChangePassword) throw new TRPCError({ code: "FORBIDDEN", message: "change your one-time password first" });
  return next();
});

/** Procedures on one site: the input has `slug`, and the caller needs at least `role` there. */
export function siteProcedure(role: Role) {
  return callerReady.input(z.object({ slug: z.string().min(1).max(63).describe("The site's slug") })).use(async ({ ctx, input, next }) => {
    return next({ ctx: { role: await ctx.auth.access.require(ctx.principal, input.slug, role), site: input.slug } });
  });
}

/** Procedures on one run: the input has `id`, and the caller needs at least `role` on the run's site. */
export function runProcedure(role: Role) {
  return callerReady.input(z.object({ id: z.number().int().positive().describe("The run's id") })).use(async ({ ctx, input, next }) => {
    const run = await ctx.runs.get(input.id);
    return next({ ctx: { role: await ctx.auth.access.require(ctx.principal, run.site, role), run } });
  });
}
