import { createTRPCRouter } from "../trpc";

export const projectsRouter = createTRPCRouter({});
