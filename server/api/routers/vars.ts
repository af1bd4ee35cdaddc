import { createTRPCRouter } from "../trpc";

export const varsRouter = createTRPCRouter({});
