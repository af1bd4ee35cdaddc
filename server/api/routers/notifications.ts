/**
 * Notification settings (who gets what) and the outbox's recent deliveries, per site, for its admins. The rules
 * live in the store; signing secrets are sealed with the server's key and never shown again after the answer
 * that made them.
 */
import { z } from "zod";
import { InvalidInputError } from "../../errors";
import { applyRules, publicRule, publicRules, rulesInput } from "../../notify/settings";
import { sealSigningSecret } from "../../notify/secret";
import { smtpOf } from "../../notify/setup";
import { deliveryStatus, notificationChannel, notificationKind, notificationPayload, type StoredRule } from "../../notify/types";
import type { Env } from "../../env";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { idCursor, pageInput, timestamp } from "./shapes";

const settingsOutput = z
  .object({
    rules: z.array(publicRule).describe("The site's rules"),
    email: z
      .object({ configured: z.boolean().describe("Whether the server sends e-mail (FLIGHTDECK_SMTP_URL is set)"), from: z.string().nullable().describe("The sender address of notification mails") })
      .describe("The server's e-mail relay"),
    publicUrl: z.string().nullable().describe("The dashboard's public URL links start with (FLIGHTDECK_URL; null: links are paths)"),
    warnings: z.array(z.string().describe("A sentence")).describe("What keeps notifications from working fully, in sentences"),
  })
  .describe("The site's notification settings");

const delivery = z
  .object({
    id: z.number().int().describe("The delivery's id (the X-Flightdeck-Delivery header)"),
    kind: notificationKind,
    channel: notificationChannel,
    target: z.string().describe("The URL or the address"),
    status: deliveryStatus,
    attempts: z.number().int().describe("Attempts made so far"),
    nextAttemptAt: timestamp("pending: when it is tried (again); sending: when the claim of the process sending it expires"),
    lastError: z.string().nullable().describe("Why the last attempt failed (null: it did not)"),
    createdAt: timestamp("When it was enqueued"),
    sentAt: timestamp("When it was sent").nullable().describe("When it was sent (null: not yet)"),
    payload: notificationPayload,
  })
  .describe("A notification to one target, and how sending it went");

function describeSettings(rules: readonly StoredRule[], env: Env) {
  const smtp = smtpOf(env);
  const warnings: string[] = [];
  if (!env.FLIGHTDECK_URL) warnings.push("The server has no FLIGHTDECK_URL: notification links are paths (/sites/...), not full URLs. Set FLIGHTDECK_URL to the dashboard's public address.");
  if (!smtp && rules.some((r) => r.channel === "email")) warnings.push("The server sends no e-mail (FLIGHTDECK_SMTP_URL is not set): e-mail rules fail until it is.");
  return { rules: publicRules(rules), email: { configured: !!smtp, from: smtp?.from ?? null }, publicUrl: env.FLIGHTDECK_URL ?? null, warnings };
}

export const notificationsRouter = createTRPCRouter({
  settings: siteProcedure("admin")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/notifications/settings",
        summary: "Get a site's notification settings",
        description: "Who gets which notifications (webhooks and e-mail addresses, with their kinds; never a signing secret), whether the server sends e-mail, and what keeps notifications from working. Site admins.",
        tags: ["notifications"],
      },
    })
    .output(settingsOutput)
    .query(async ({ ctx, input }) => describeSettings(await ctx.store.notifications.rules(input.slug), ctx.env)),

  setSettings: siteProcedure("admin")
    .meta({
      rest: {
        method: "PUT",
        path: "/sites/{slug}/notifications/settings",
        summary: "Set a site's notification settings",
        description:
          "Replaces the site's rules. A new webhook gets a generated signing secret, returned once in `secrets` (give `secret` to choose it, `newSecret: true` to replace it; leaving both out keeps the current one). Each bad target is named by its place (rules[2].target). Site admins; audited.",
        tags: ["notifications"],
      },
    })
    .input(z.object({ rules: rulesInput }))
    .output(
      settingsOutput
        .extend({
          secrets: z
            .array(z.object({ target: z.string().describe("The webhook's URL"), secret: z.string().describe("Its signing secret: shown this once") }).describe("A signing secret made or set by this change"))
            .describe("The signing secrets this change made or set, shown this once (configure them in the receivers)"),
        })
        .describe("The site's notification settings as stored, and the new signing secrets"),
    )
    .mutation(async ({ ctx, input }) => {
      const current = await ctx.store.notifications.rules(input.slug);
      const identity = await ctx.serverIdentity;
      const { rules, revealed } = await applyRules(current, input.rules, (secret) => sealSigningSecret(secret, identity));
      await ctx.store.notifications.setRules(input.slug, rules);
      await ctx.audit({
        action: "notifications.settings",
        site: input.slug,
        detail: { rules: rules.map((r) => `${r.channel} ${r.target}: ${r.kinds.join(", ")}`), secretsSet: revealed.length + input.rules.filter((r) => r.secret !== undefined).length },
      });
      return { ...describeSettings(rules, ctx.env), secrets: revealed };
    }),

  deliveries: siteProcedure("admin")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/notifications",
        summary: "List a site's notification deliveries",
        description: "The site's notifications, newest first, each to one target with its status (pending, sending, sent, failed), attempts and last error. Site admins.",
        tags: ["notifications"],
        paginated: true,
      },
    })
    .input(z.object({ ...pageInput }))
    .output(z.object({ items: z.array(delivery).describe("The page's deliveries, newest first"), nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)") }).describe("A page of deliveries"))
    .query(async ({ ctx, input }) => {
      const before = idCursor.decode(input.cursor, () => new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)"));
      const rows = await ctx.store.notifications.page(input.slug, { before, limit: input.limit + 1 });
      const items = rows.slice(0, input.limit);
      return { items, nextCursor: rows.length > input.limit ? idCursor.encode(items.at(-1)!.id) : null };
    }),
});
