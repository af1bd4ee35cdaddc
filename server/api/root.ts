/** The API's root router: one line per area. */
import { filesRouter } from "./routers/files";
import { hostsRouter } from "./routers/hosts";
import { revisionsRouter } from "./routers/revisions";
import { runsRouter } from "./routers/runs";
import { secretsRouter } from "./routers/secrets";
import { sitesRouter } from "./routers/sites";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  sites: sitesRouter,
  files: filesRouter,
  hosts: hostsRouter,
  revisions: revisionsRouter,
  runs: runsRouter,
  secrets: secretsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
