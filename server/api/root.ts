/** The API's root router: one line per area. */
import { accountRouter } from "./routers/account";
import { auditRouter } from "./routers/audit";
import { boardsRouter } from "./routers/boards";
import { eventsRouter } from "./routers/events";
import { filesRouter } from "./routers/files";
import { groupsRouter } from "./routers/groups";
import { hostsRouter } from "./routers/hosts";
import { kioskRouter } from "./routers/kiosk";
import { membersRouter } from "./routers/members";
import { notificationsRouter } from "./routers/notifications";
import { projectsRouter } from "./routers/projects";
import { revisionsRouter } from "./routers/revisions";
import { runsRouter } from "./routers/runs";
import { schedulesRouter } from "./routers/schedules";
import { secretsRouter } from "./routers/secrets";
import { sitesRouter } from "./routers/sites";
import { tokensRouter } from "./routers/tokens";
import { usersRouter } from "./routers/users";
import { varsRouter } from "./routers/vars";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  projects: projectsRouter,
  sites: sitesRouter,
  files: filesRouter,
  hosts: hostsRouter,
  groups: groupsRouter,
  vars: varsRouter,
  revisions: revisionsRouter,
  runs: runsRouter,
  schedules: schedulesRouter,
  events: eventsRouter,
  secrets: secretsRouter,
  members: membersRouter,
  notifications: notificationsRouter,
  users: usersRouter,
  tokens: tokensRouter,
  boards: boardsRouter,
  audit: auditRouter,
  kiosk: kioskRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
