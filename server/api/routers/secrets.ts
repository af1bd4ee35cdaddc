import { z } from "zod";
import { editSecret, revealSecret, secretsPath, viewSecrets } from "../../secrets/editor";
import { unlockServerIdentity } from "../../secrets/keys";
import { InvalidInputError } from "../../store/errors";
import { actorName } from "../../auth";
import { adminProcedure, createTRPCRouter, siteProcedure } from "../trpc";
import { savedOutput, staleAsPrecondition } from "./files";

const key = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "a key path: names of letters, digits, '_' or '-', joined by dots")
  .describe("The secret's key path, e.g. db.password");
const recipients = (description: string) => z.array(z.string().describe("An age recipient")).describe(description);

export const secretsRouter = createTRPCRouter({
  /** Key names and recipients of the newest revision's secrets file: no value, no private key needed. */
  list: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/secrets",
        summary: "List a site's secret keys",
        description: "The key names and age recipients of the newest revision's secrets file, never a value (no private key is needed). The ETag is the revision. Viewers and above on the site.",
        tags: ["secrets"],
        etag: "revision",
      },
    })
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision the keys are from"),
          path: z.string().nullable().describe("The secrets file's path (null: the site has none)"),
          keys: z.array(z.string().describe("A key path")).describe("The secrets' key paths"),
          recipients: recipients("Who the file is encrypted to"),
          server: z
            .object({ recipients: recipients("The server's own age recipients"), locked: z.boolean().describe("Whether the server's identity is locked (nothing can be set or revealed until it is unlocked)") })
            .describe("The server's age identity"),
        })
        .describe("The site's secret keys"),
    )
    .query(async ({ ctx, input }) => {
      const { revision, files } = await ctx.sites.files(input.slug);
      const server = await ctx.serverIdentity.catch(() => null);
      return { revision, ...viewSecrets(files), server: { recipients: server?.recipients ?? [], locked: server?.locked ?? true } };
    }),

  /** Set or remove one value: a new revision whose message names the key. The value never comes back. */
  set: siteProcedure("operator")
    .meta({
      rest: {
        method: "PUT",
        path: "/sites/{slug}/secrets/{key}",
        summary: "Set or remove a secret",
        description:
          "Sets one value (encrypted to the file's recipients) or removes it (value null), as a new revision whose message names the key; the value is never logged nor returned. If-Match must name the newest revision, or nothing is saved (412). Operators and above on the site.",
        tags: ["secrets"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(
      z.object({
        baseRevision: z.number().int().positive().describe("The revision the change was made on (the If-Match header): it must still be the newest"),
        key,
        value: z.string().max(1 << 20).nullable().describe("The new value (null: remove the key)"),
      }),
    )
    .output(savedOutput)
    .mutation(async ({ ctx, input }) => {
      const { files } = await ctx.sites.files(input.slug, input.baseRevision);
      const path = secretsPath(files);
      const previous = path ? files.find((f) => f.path === path)! : null;
      const server = await ctx.serverIdentity;
      if (server.locked) throw new InvalidInputError("the server's age identity is locked: start the server with FLIGHTDECK_AGE_PASSPHRASE");
      const next = await editSecret(previous, input.key, input.value ?? undefined, { sources: [server.source] }, server.recipients);
      const message = `${input.value === null ? "Removed" : "Set"} secret ${input.key}`;
      const author = actorName(ctx.principal);
      const saved = await ctx.sites.save(input.slug, { baseRevision: input.baseRevision, changes: [next], author, message }).catch(staleAsPrecondition);
      await ctx.audit({ action: input.value === null ? "secret.removed" : "secret.set", site: input.slug, target: input.key, detail: { revision: saved.number } });
      ctx.broadcaster.siteRevision({ site: input.slug, revision: saved.number, author, message });
      return { ...saved, revision: saved.number };
    }),

  /** Unlock a passphrase-protected server identity (for teams that share the passphrase off-band). */
  unlock: adminProcedure.input(z.object({ passphrase: z.string().min(1).max(1000) })).mutation(async ({ ctx, input }) => {
    const server = await ctx.serverIdentity;
    await unlockServerIdentity(server, input.passphrase);
    await ctx.audit({ action: "secrets.unlocked", target: "server identity" });
    return { recipients: server.recipients };
  }),

  /** One value, shown because a site admin asked for it; the audit log says who saw which key. */
  reveal: siteProcedure("admin")
    .meta({
      rest: {
        method: "POST",
        path: "/sites/{slug}/secrets/{key}/reveal",
        summary: "Reveal a secret's value",
        description:
          "One value of the newest revision's secrets file, decrypted with the server's identity; the audit log records who saw which key (never the value). Site admins and server admins; a POST because it is audited.",
        tags: ["secrets"],
      },
    })
    .input(z.object({ key }))
    .output(z.object({ value: z.string().describe("The secret's value") }).describe("The revealed value"))
    .mutation(async ({ ctx, input }) => {
      const { files } = await ctx.sites.files(input.slug);
      const path = secretsPath(files);
      if (!path) throw new InvalidInputError("this site has no secrets file");
      const server = await ctx.serverIdentity;
      const value = await revealSecret(files.find((f) => f.path === path)!, input.key, { sources: [server.source] });
      await ctx.audit({ action: "secret.revealed", site: input.slug, target: input.key });
      return { value };
    }),
});
