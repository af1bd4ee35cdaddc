/**
 * tRPC initialisation, in three sections. Edit it when the request context changes (auth will add the
 * session here) or when a new kind of procedure is needed; routers only import the names exported below.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { z } from "zod";
import { services } from "../services";
import { SecretsError } from "../secrets/errors";
import { ConflictError, InvalidInputError, NotFoundError } from "../store/errors";

// 1. Context: what every procedure can reach.
export function createContext() {
  return { ...services() };
}
export type Context = ReturnType<typeof createContext>;

// 2. Initialisation: zod errors reach the client flattened, so forms can show them field by field.
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: { ...shape.data, zodError: error.cause instanceof z.ZodError ? z.flattenError(error.cause) : null },
    };
  },
});

// 3. Procedures. Domain errors become HTTP-meaningful codes once, here, not in every router.
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const code =
      cause instanceof NotFoundError ? "NOT_FOUND" : cause instanceof ConflictError ? "CONFLICT" : cause instanceof InvalidInputError || cause instanceof SecretsError ? "BAD_REQUEST" : undefined;
    if (code) throw new TRPCError({ code, message: cause!.message, cause });
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);
