import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root";
import { limitBody } from "~/server/api/body-limit";
import { createContext } from "~/server/api/trpc";
import { TRPC_BODY_BYTES } from "~/server/limits";

export const dynamic = "force-dynamic";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req: limitBody(req, TRPC_BODY_BYTES),
    router: appRouter,
    createContext: ({ req }) => createContext(req.headers),
    // Lint-while-typing sends whole files: queries may come as POST instead of a long GET URL.
    allowMethodOverride: true,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`trpc ${path ?? "?"}: ${error.cause?.stack ?? error.message}`);
    },
  });

export { handler as GET, handler as POST };
