/**
 * Wall screens: a kiosk token reads its own board (the runs of the board's sites) and nothing else. A server
 * admin may open any board to preview it.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { RunStatus } from "../../engine";
import { createTRPCRouter, publicProcedure } from "../trpc";

const ACTIVE: ReadonlySet<RunStatus> = new Set(["awaiting_approval", "scheduled", "queued", "running"]);
const RECENT = 8;

const boardProcedure = publicProcedure.input(z.object({ board: z.string().min(1).max(63) })).use(async ({ ctx, input, next }) => {
  const p = ctx.principal;
  const board = (await ctx.auth.access.boards()).find((b) => b.slug === input.board);
  const allowed = board && ((p.kind === "kiosk" && p.boardId === board.id) || (p.kind === "user" && p.isAdmin && !p.mustChangePassword));
  if (!allowed) throw new TRPCError({ code: p.kind === "anonymous" ? "UNAUTHORIZED" : "FORBIDDEN", message: `this needs the kiosk token of board '${input.board}'` });
  return next({ ctx: { board } });
});

export const kioskRouter = createTRPCRouter({
  /** Active runs of the board's sites, then the recently finished ones, each with its folded counts. */
  board: boardProcedure.query(async ({ ctx }) => {
    const runs = (await Promise.all(ctx.board.sites.map(async (site) => (await ctx.runs.list(site, 20)).map((r) => ({ ...r, site }))))).flat();
    const active = runs.filter((r) => ACTIVE.has(r.status)).sort((a, b) => a.id - b.id);
    const finished = runs
      .filter((r) => !ACTIVE.has(r.status))
      .sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))
      .slice(0, RECENT);
    const summary = async (r: (typeof runs)[number]) => {
      const { snapshot } = await ctx.runner.snapshot(r.id);
      const failed = Object.entries(snapshot.hosts).filter(([, h]) => h.status === "failed" || h.status === "unreachable").map(([name, h]) => ({ name, status: h.status }));
      return { ...r, counts: snapshot.counts, totalSteps: snapshot.totalSteps, finishedSteps: snapshot.finishedSteps, hosts: Object.keys(snapshot.hosts).length, failed };
    };
    return { title: ctx.board.title, sites: ctx.board.sites, active: await Promise.all(active.map(summary)), finished: await Promise.all(finished.map(summary)) };
  }),

  /** One run of the board, as `runs.get` gives it. */
  run: boardProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
    const run = await ctx.runs.get(input.id);
    if (!ctx.board.sites.includes(run.site)) throw new TRPCError({ code: "NOT_FOUND", message: `run ${input.id} is not on board '${ctx.board.slug}'` });
    return { run, ...(await ctx.runner.snapshot(input.id)) };
  }),

  events: boardProcedure.input(z.object({ id: z.number().int().positive(), after: z.number().int().min(0) })).query(async ({ ctx, input }) => {
    const run = await ctx.runs.get(input.id);
    if (!ctx.board.sites.includes(run.site)) throw new TRPCError({ code: "NOT_FOUND", message: `run ${input.id} is not on board '${ctx.board.slug}'` });
    return ctx.runs.events(input.id, input.after);
  }),
});
