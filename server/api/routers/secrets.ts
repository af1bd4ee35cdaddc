import { z } from "zod";
import { editSecret, revealSecret, secretsPath, viewSecrets } from "../../secrets/editor";
import { unlockServerIdentity } from "../../secrets/keys";
import { InvalidInputError } from "../../store/errors";
import { actorName } from "../../auth";
import { adminProcedure, createTRPCRouter, siteProcedure } from "../trpc";

const key = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "a key path: names of letters, digits, '_' or '-', joined by dots");

export const secretsRouter = createTRPCRouter({
  /** Key names and recipients of the newest revision's secrets file: no value, no private key needed. */
  list: siteProcedure("viewer").query(async ({ ctx, input }) => {
    const { revision, files } = await ctx.sites.files(input.slug);
    const server = await ctx.serverIdentity.catch(() => null);
    return { revision, ...viewSecrets(files), server: { recipients: server?.recipients ?? [], locked: server?.locked ?? true } };
  }),

  /** Set or remove one value: a new revision whose message names the key. The value never comes back. */
  set: siteProcedure("operator")
    .input(z.object({ baseRevision: z.number().int().positive(), key, value: z.string().max(1 << 20).nullable() }))
    .mutation(async ({ ctx, input }) => {
      const { files } = await ctx.sites.files(input.slug, input.baseRevision);
      const path = secretsPath(files);
      const previous = path ? files.find((f) => f.path === path)! : null;
      const server = await ctx.serverIdentity;
      if (server.locked) throw new InvalidInputError("the server's age identity is locked: start the server with FLIGHTDECK_AGE_PASSPHRASE");
      const next = await editSecret(previous, input.key, input.value ?? undefined, { sources: [server.source] }, server.recipients);
      const message = `${input.value === null ? "Removed" : "Set"} secret ${input.key}`;
      const author = actorName(ctx.principal);
      const saved = await ctx.sites.save(input.slug, { baseRevision: input.baseRevision, changes: [next], author, message });
      await ctx.audit({ action: input.value === null ? "secret.removed" : "secret.set", site: input.slug, target: input.key, detail: { revision: saved.number } });
      ctx.broadcaster.siteRevision({ site: input.slug, revision: saved.number, author, message });
      return saved;
    }),

  /** Unlock a passphrase-protected server identity (for teams that share the passphrase off-band). */
  unlock: adminProcedure.input(z.object({ passphrase: z.string().min(1).max(1000) })).mutation(async ({ ctx, input }) => {
    const server = await ctx.serverIdentity;
    await unlockServerIdentity(server, input.passphrase);
    await ctx.audit({ action: "secrets.unlocked", target: "server identity" });
    return { recipients: server.recipients };
  }),

  /** One value, shown because a site admin asked for it; the audit log says who saw which key. */
  reveal: siteProcedure("admin").input(z.object({ key })).mutation(async ({ ctx, input }) => {
    const { files } = await ctx.sites.files(input.slug);
    const path = secretsPath(files);
    if (!path) throw new InvalidInputError("this site has no secrets file");
    const server = await ctx.serverIdentity;
    const value = await revealSecret(files.find((f) => f.path === path)!, input.key, { sources: [server.source] });
    await ctx.audit({ action: "secret.revealed", site: input.slug, target: input.key });
    return { value };
  }),
});
