/**
 * A site's events (the Events page and GET /api/v1/sites/{slug}/events) and its event settings: the webhook
 * secret (shown once when made), whether reactions may approve their own runs, and the GitHub tracked branch.
 * Events arrive through the intake routes (app/api/v1/sites/[slug]/events/**), not here.
 */
import { z } from "zod";
import { storedEvent, githubSettings, type EventSettingsRow } from "../../events/types";
import { newWebhookSecret, sealWebhookSecret } from "../../events/secret";
import { InvalidInputError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { idCursor, pageInput } from "./shapes";

const settingsView = (s: EventSettingsRow) => ({ hasSecret: s.webhookSecret !== null, allowAutoApproval: s.allowAutoApproval, github: s.github });

export const eventsRouter = createTRPCRouter({
  list: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/events",
        summary: "List a site's events",
        description: "The events the site received (generic, Alertmanager, GitHub) or raised itself, newest first, each with what it caused; a page at a time (follow `next`). Viewers and above on the site.",
        tags: ["events"],
        paginated: true,
      },
    })
    .input(z.object({ name: z.string().min(1).max(200).optional().describe("Only events with exactly this name"), ...pageInput }))
    .output(
      z
        .object({
          items: z.array(storedEvent).describe("The page's events, newest first"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null: this is the last page)"),
        })
        .describe("A page of events"),
    )
    .query(async ({ ctx, input }) => {
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use nextCursor as given)"));
      const rows = await ctx.store.events.page(input.slug, { before, limit: input.limit + 1, name: input.name });
      const items = rows.slice(0, input.limit);
      return { items, nextCursor: rows.length > input.limit ? idCursor.encode(items.at(-1)!.id) : null };
    }),

  get: siteProcedure("viewer")
    .meta({ rest: { method: "GET", path: "/sites/{slug}/events/{id}", summary: "Get an event", description: "One event of the site with its data and what it caused. Viewers and above on the site.", tags: ["events"] } })
    .input(z.object({ id: z.number().int().positive().describe("The event's id") }))
    .output(storedEvent)
    .query(({ ctx, input }) => ctx.store.events.get(input.slug, input.id)),

  /** The site's event settings, without the secret (it is shown once, when made). */
  settings: siteProcedure("admin").query(async ({ ctx, input }) => settingsView(await ctx.store.events.settings(input.slug))),

  /** Whether `approval: auto` reactions may approve their runs, and the GitHub tracked branch (null: none); each change audited. */
  updateSettings: siteProcedure("admin")
    .input(
      z
        .object({
          allowAutoApproval: z.boolean().optional().describe("Whether reactions that say approval: auto start their runs without a reviewer"),
          github: githubSettings.nullable().optional().describe("Pushes to this branch request this deployment (null: none)"),
        })
        .refine((s) => s.allowAutoApproval !== undefined || s.github !== undefined, "give allowAutoApproval or github"),
    )
    .mutation(async ({ ctx, input }) => {
      const before = await ctx.store.events.settings(input.slug);
      const after = await ctx.store.events.setSettings(input.slug, { allowAutoApproval: input.allowAutoApproval, github: input.github });
      if (after.allowAutoApproval !== before.allowAutoApproval) {
        await ctx.audit({ action: "event.settings", site: input.slug, target: "allow auto approval", detail: { from: before.allowAutoApproval, to: after.allowAutoApproval } });
      }
      if (JSON.stringify(after.github) !== JSON.stringify(before.github)) {
        await ctx.audit({ action: "event.settings", site: input.slug, target: "github tracked branch", detail: { from: before.github, to: after.github } });
      }
      return settingsView(after);
    }),

  /** A new webhook secret replaces the old one (senders signing with the old one are refused from now on). Returned this once. */
  rotateSecret: siteProcedure("admin").mutation(async ({ ctx, input }) => {
    const secret = newWebhookSecret();
    const had = (await ctx.store.events.settings(input.slug)).webhookSecret !== null;
    await ctx.store.events.setSettings(input.slug, { webhookSecret: await sealWebhookSecret(secret, await ctx.serverIdentity) });
    await ctx.audit({ action: "event.settings", site: input.slug, target: "webhook secret", detail: { change: had ? "rotated" : "created" } });
    return { secret };
  }),

  /** Removes the webhook secret: signed webhooks are refused, API tokens still work. */
  removeSecret: siteProcedure("admin").mutation(async ({ ctx, input }) => {
    await ctx.store.events.setSettings(input.slug, { webhookSecret: null });
    await ctx.audit({ action: "event.settings", site: input.slug, target: "webhook secret", detail: { change: "removed" } });
    return settingsView(await ctx.store.events.settings(input.slug));
  }),
});
