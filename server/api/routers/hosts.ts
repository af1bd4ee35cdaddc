import { z } from "zod";
import { InvalidInputError } from "../../errors";
import { explainedValues, type Site } from "../../inventory";
import { addHost, deleteHost, updateHost } from "../../inventory/edit";
import { connectionSchema, dataSchema, labelsSchema, nameSchema } from "../../inventory/schemas";
import { loadRevision } from "../../site-cache";
import { NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { hostFilter } from "../../inventory/edit/filters";
import { pageInput } from "./shapes";
import { baseRevisionField, editOutput, revisionField, saveEdit, slugField } from "./site-edit";

const originSchema = z
  .object({
    file: z.string().nullable().describe("The file that set the value (null for a built-in default)"),
    line: z.number().int().nullable().describe("Its line"),
    col: z.number().int().nullable().describe("Its column"),
    level: z.enum(["all", "group", "profile", "host", "default"]).describe("The level that set it"),
    source: z.string().describe("The group, profile or host that set it"),
  })
  .describe("Where a value came from");
const explainedValueSchema = z
  .object({ key: z.string().describe("The value's key path"), value: z.unknown().describe("The resolved value"), origin: originSchema })
  .describe("A resolved value with its origin");
const valueMap = (description: string) => z.record(z.string(), z.unknown().describe("A value")).describe(description);

/**
 * The inventory's connection schema with each field's description at its top (the OpenAPI document reads it
 * there; the inventory's own schema keeps it on the inner type, where the editor's JSON Schema wants it).
 */
export const connectionInput = z.strictObject(
  Object.fromEntries(
    Object.entries(connectionSchema.shape).map(([key, field]) => {
      let inner: z.ZodType = field;
      while (!inner.description && (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable)) inner = inner.unwrap() as z.ZodType;
      return [key, field.describe(inner.description ?? `The connection's ${key}`)];
    }),
  ) as typeof connectionSchema.shape,
).describe("Connection settings: each given field replaces the inherited one, null sets null, `!field: null` removes it");

const hostRow = z
  .object({
    name: z.string().describe("The host's name"),
    groups: z.array(z.string().describe("A group name")).describe("Its groups, ancestors included, `all` first"),
    profile: z.string().nullable().describe("Its profile (null: none)"),
    labels: z.record(z.string(), z.string().describe("A label's value")).describe("Its labels"),
    address: z.string().describe("The address to connect to"),
    transport: z.string().describe("How to connect: ssh or local"),
  })
  .describe("A host of the site");

const hostName = nameSchema.describe("The host's name");
const groupList = z.array(nameSchema.describe("A group name")).max(1000).describe("Group names");
const hostFields = {
  profile: nameSchema.nullable().optional().describe("The profile to inherit from (null: none)"),
  labels: labelsSchema.nullable().optional().describe("Labels for selectors such as role=web (null: none)"),
  connection: connectionInput.nullable().optional().describe("How to connect (null: inherited only)"),
  data: dataSchema.nullable().optional().describe("The host's own variables (null: none)"),
  groups: groupList.nullable().optional().describe("The groups it is directly a member of (`all` is implicit; null or []: none)"),
};

export const hostsRouter = createTRPCRouter({
  /** Every host at a revision, one row each: the dashboard's hosts page (not paginated; REST lists use `search`). */
  list: siteProcedure("viewer")
    .input(z.object({ revision: revisionField }))
    .query(async ({ ctx, input }) => {
      const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
      const hosts = [...site.model.hosts.values()].map((h) => row(site, h.name));
      return { revision, hosts, errors: site.diagnostics.filter((d) => d.severity === "error").length };
    }),

  search: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/hosts",
        summary: "List hosts",
        description:
          "The site's hosts at a revision, by name, filtered: by group (ancestors count), by label selector (`role=web,env!=prod`, `tier in (a,b)`, `tier notin (a)`, `key`, `!key`), by resolved variables (`vars=rack=r1`, repeatable; dotted keys reach into maps) and by a glob on names (`web-*`). Viewers and above.",
        tags: ["hosts"],
        paginated: true,
        etag: "revision",
      },
    })
    .input(
      z.object({
        slug: slugField,
        revision: revisionField,
        group: nameSchema.optional().describe("Only hosts in this group (directly or through a child group)"),
        selector: z.string().max(1000).optional().describe("A label selector: comma-separated `key=value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key`, `!key`"),
        vars: z
          .array(z.string().max(500).describe("`key=value` or `key!=value` on a resolved variable (`vars.` prefix allowed, dotted keys)"))
          .max(20)
          .optional()
          .describe("Filters on resolved variables, all of which must hold"),
        glob: z.string().max(200).optional().describe("A glob on host names: `*` any run of characters, `?` one, `[ab]` a class"),
        ...pageInput,
      }),
    )
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision listed (also the ETag)"),
          items: z.array(hostRow).describe("The page's hosts, by name"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of hosts"),
    )
    .query(async ({ ctx, input }) => {
      const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
      if (input.group !== undefined && !site.model.groups.has(input.group) && input.group !== "all") throw new NotFoundError(`no group '${input.group}' in site '${input.slug}' at revision ${revision}`);
      const keep = hostFilter(input);
      const after = nameCursor.decode(input.cursor);
      const names = [...site.model.hosts.keys()].filter((n) => after === undefined || n > after).sort();
      const items: z.infer<typeof hostRow>[] = [];
      let more = false;
      for (const name of names) {
        if (!keep(site.resolver.resolve(name))) continue;
        if (items.length === input.limit) {
          more = true;
          break;
        }
        items.push(row(site, name));
      }
      return { revision, items, nextCursor: more ? nameCursor.encode(items.at(-1)!.name) : null };
    }),

  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/hosts/{name}",
        summary: "Get a host's resolved values",
        description: "One host at a revision: its groups, profile chain and labels, and every resolved connection and variable value with the file, line and level that set it. Viewers and above.",
        tags: ["hosts"],
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, revision: revisionField, name: hostName }))
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision read (also the ETag)"),
          host: z
            .object({
              name: z.string().describe("The host's name"),
              groups: z.array(z.string().describe("A group name")).describe("Its groups, ancestors included"),
              profile: z.string().nullable().describe("Its own profile"),
              profiles: z.array(z.string().describe("A profile name")).describe("Its profile chain, root first"),
              labels: z.record(z.string(), z.string().describe("A label's value")).describe("Its labels"),
              connection: valueMap("The resolved connection"),
              vars: valueMap("The resolved variables"),
              origins: z
                .object({ connection: z.record(z.string(), originSchema).describe("Origin of each connection key"), vars: z.record(z.string(), originSchema).describe("Origin of each variable key path") })
                .describe("Where each value came from"),
            })
            .describe("The resolved host"),
          connection: z.array(explainedValueSchema).describe("The connection, one row per value, lowest level first"),
          vars: z.array(explainedValueSchema).describe("The variables, one row per leaf value, lowest level first"),
        })
        .describe("A host with its resolved values and their origins"),
    )
    .query(async ({ ctx, input }) => {
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

  create: siteProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/sites/{slug}/hosts",
        summary: "Add a host",
        description:
          "Declares a host in the site's inventory (after the last host, in the same style; or in `file`) and lists it in its groups' members, keeping every other line of the files as it was; saved as a revision by the caller. Refused, with nothing saved, for a name taken, an unknown group or profile, or a change that adds lint errors. Operators and above.",
        tags: ["hosts"],
        status: 201,
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(
      z.object({
        slug: slugField,
        baseRevision: baseRevisionField,
        name: hostName,
        ...hostFields,
        file: z.string().max(1000).optional().describe("The file to declare it in (default: where the last host is; a new file is created)"),
      }),
    )
    .output(editOutput)
    .mutation(({ ctx, input }) => {
      const { slug, baseRevision, ...host } = input;
      return saveEdit(ctx, slug, baseRevision, { action: "host.created", target: input.name }, (site) => addHost(site, host));
    }),

  update: siteProcedure("operator")
    .meta({
      rest: {
        method: "PATCH",
        path: "/sites/{slug}/hosts/{name}",
        summary: "Change a host",
        description: "Only the fields given change (a field's new value replaces the old one; null removes it); `groups` sets the groups it is directly in. Edited in place and saved as a revision by the caller. Operators and above.",
        tags: ["hosts"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, baseRevision: baseRevisionField, name: hostName, ...hostFields }))
    .output(editOutput)
    .mutation(({ ctx, input }) => {
      const { slug, baseRevision, name, ...patch } = input;
      return saveEdit(ctx, slug, baseRevision, { action: "host.updated", target: name }, (site) => updateHost(site, name, patch));
    }),

  delete: siteProcedure("operator")
    .meta({
      rest: {
        method: "DELETE",
        path: "/sites/{slug}/hosts/{name}",
        summary: "Remove a host",
        description: "Removes the host's entry and its name from every group's members; refused when something else still names it (a lint error). Saved as a revision by the caller. Operators and above.",
        tags: ["hosts"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, baseRevision: baseRevisionField, name: hostName }))
    .output(editOutput)
    .mutation(({ ctx, input }) => saveEdit(ctx, input.slug, input.baseRevision, { action: "host.deleted", target: input.name }, (site) => deleteHost(site, input.name))),
});

/** An opaque cursor over names: the last name of the previous page. */
const nameCursor = {
  encode: (name: string): string => Buffer.from(`name:${name}`).toString("base64url"),
  decode(cursor: string | undefined): string | undefined {
    if (cursor === undefined) return undefined;
    const text = Buffer.from(cursor, "base64url").toString();
    if (!text.startsWith("name:")) throw new InvalidInputError("cursor: not a cursor of this list (use the nextCursor of the previous page)");
    return text.slice(5);
  },
};

function row(site: Site, name: string) {
  const r = site.resolver.resolve(name);
  return { name, groups: r.groups, profile: r.profile, labels: r.labels, address: String(r.connection.address), transport: String(r.connection.transport) };
}
