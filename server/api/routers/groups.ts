import { createTRPCRouter } from "../trpc";

export const groupsRouter = createTRPCRouter({});
