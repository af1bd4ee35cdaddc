import { z } from "zod";
import { explainedValues } from "../../inventory";
import { loadRevision } from "../../site-cache";
import { NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";

const where = z.object({ revision: z.number().int().positive().optional() });

export const hostsRouter = createTRPCRouter({
  list: siteProcedure("viewer").input(where).query(async ({ ctx, input }) => {
    const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
    const hosts = [...site.model.hosts.values()].map((h) => {
      const r = site.resolver.resolve(h.name);
      return { name: h.name, groups: r.groups, profile: r.profile, labels: r.labels, address: String(r.connection.address), transport: String(r.connection.transport) };
    });
    return { revision, hosts, errors: site.diagnostics.filter((d) => d.severity === "error").length };
  }),

  get: siteProcedure("viewer").input(where.extend({ name: z.string().min(1) })).query(async ({ ctx, input }) => {
    const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
    if (!site.model.hosts.has(input.name)) throw new NotFoundError(`no host '${input.name}' in site '${input.slug}' at revision ${revision}`);
    const host = site.resolver.resolve(input.name, true);
    return {
      revision,
      host,
      connection: explainedValues(host.connection, host.origins.connection),
      vars: explainedValues(host.vars, host.origins.vars),
    };
  }),
});
