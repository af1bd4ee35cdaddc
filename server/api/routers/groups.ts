import { z } from "zod";
import { ALL, type SiteModel } from "../../inventory/model";
import { addGroup, deleteGroup, updateGroup } from "../../inventory/edit";
import { dataSchema, nameSchema } from "../../inventory/schemas";
import { loadRevision } from "../../site-cache";
import { NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { connectionInput } from "./hosts";
import { baseRevisionField, editOutput, revisionField, saveEdit, slugField } from "./site-edit";

const groupName = nameSchema.describe("The group's name");
const nameList = (what: string) => z.array(nameSchema.describe(`A ${what} name`)).max(10000).describe(`${what[0]!.toUpperCase()}${what.slice(1)} names`);

const groupRow = z
  .object({
    name: z.string().describe("The group's name"),
    parent: z.string().nullable().describe("Its parent group (null for `all`; `all` for a top-level group)"),
    depth: z.number().int().describe("Its depth in the tree (`all` is 0)"),
    children: z.array(z.string().describe("A group name")).describe("Its child groups, in declaration order"),
    members: z.array(z.string().describe("A host name")).describe("The hosts listed directly in it"),
    hosts: z.number().int().describe("Hosts in it, directly or through its children (every host for `all`)"),
    declared: z.string().nullable().describe("Where it is declared, as file:line:col (null for an implicit `all`)"),
  })
  .describe("A group of the site");

function rows(model: SiteModel): z.infer<typeof groupRow>[] {
  const counts = new Map<string, Set<string>>();
  for (const name of model.hosts.keys()) {
    // A host in a group is in its ancestors too.
    for (const g of model.directGroups.get(name) ?? []) {
      for (let at: string | undefined = g; at !== undefined; at = model.parentOf.get(at)) {
        if (!counts.has(at)) counts.set(at, new Set());
        counts.get(at)!.add(name);
      }
    }
  }
  const names = [...model.groupOrder.keys()].sort((a, b) => model.groupOrder.get(a)! - model.groupOrder.get(b)!);
  const depth = (g: string): number => (g === ALL ? 0 : 1 + depth(model.parentOf.get(g) ?? ALL));
  return names.map((name) => {
    const def = model.groups.get(name);
    const top = name === ALL ? [...model.groups.keys()].filter((g) => g !== ALL && !model.parentOf.has(g)) : [];
    return {
      name,
      parent: name === ALL ? null : (model.parentOf.get(name) ?? ALL),
      depth: depth(name),
      children: name === ALL ? top : (def?.children ?? []),
      members: name === ALL ? [] : (def?.members ?? []),
      hosts: name === ALL ? model.hosts.size : (counts.get(name)?.size ?? 0),
      declared: def ? def.src.where([...def.path, "name"]) : null,
    };
  });
}

const groupFields = {
  members: nameList("host").nullable().optional().describe("The hosts listed directly in it (null or []: none)"),
  children: nameList("group").nullable().optional().describe("Its child groups (each may have one parent)"),
  parent: nameSchema.nullable().optional().describe("The group that lists it as a child (null: a top-level group)"),
  connection: connectionInput.nullable().optional().describe("How to connect to its hosts (null: inherited only)"),
  data: dataSchema.nullable().optional().describe("Its variables (null: none)"),
};

export const groupsRouter = createTRPCRouter({
  list: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/groups",
        summary: "The group tree",
        description: "Every group at a revision, depth first from the implicit `all` (parents before children, siblings as declared), with its parent, children, direct members and host count. Viewers and above.",
        tags: ["groups"],
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, revision: revisionField }))
    .output(z.object({ revision: z.number().int().describe("The revision read (also the ETag)"), groups: z.array(groupRow).describe("The groups, depth first") }).describe("The group tree"))
    .query(async ({ ctx, input }) => {
      const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
      return { revision, groups: rows(site.model) };
    }),

  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/groups/{name}",
        summary: "Get a group",
        description: "One group at a revision: its place in the tree, its members, the hosts in it and the connection and variables it sets itself. Viewers and above.",
        tags: ["groups"],
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, revision: revisionField, name: groupName }))
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision read (also the ETag)"),
          group: groupRow,
          hostNames: z.array(z.string().describe("A host name")).describe("Every host in it, directly or through its children"),
          connection: z.record(z.string(), z.unknown().describe("A value")).nullable().describe("The connection it sets itself (null: none)"),
          data: z.record(z.string(), z.unknown().describe("A value")).nullable().describe("The variables it sets itself (null: none)"),
        })
        .describe("A group"),
    )
    .query(async ({ ctx, input }) => {
      const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
      const group = rows(site.model).find((g) => g.name === input.name);
      if (!group) throw new NotFoundError(`no group '${input.name}' in site '${input.slug}' at revision ${revision}`);
      const def = site.model.groups.get(input.name);
      const hostNames = [...site.model.hosts.keys()].filter((h) => site.resolver.resolve(h).groups.includes(input.name));
      return { revision, group, hostNames, connection: def?.connection ?? null, data: def?.data ?? null };
    }),

  create: siteProcedure("operator")
    .meta({
      rest: {
        method: "POST",
        path: "/sites/{slug}/groups",
        summary: "Add a group",
        description: "Declares a group (after the last group, in the same style; or in `file`) and, with `parent`, lists it in that group's children, keeping every other line as it was; saved as a revision by the caller. Refused for a name taken, unknown members or children, or new lint errors. Operators and above.",
        tags: ["groups"],
        status: 201,
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(
      z.object({
        slug: slugField,
        baseRevision: baseRevisionField,
        name: groupName,
        ...groupFields,
        file: z.string().max(1000).optional().describe("The file to declare it in (default: where the last group is; a new file is created)"),
      }),
    )
    .output(editOutput)
    .mutation(({ ctx, input }) => {
      const { slug, baseRevision, ...group } = input;
      return saveEdit(ctx, slug, baseRevision, { action: "group.created", target: input.name }, (site) => addGroup(site, group));
    }),

  update: siteProcedure("operator")
    .meta({
      rest: {
        method: "PATCH",
        path: "/sites/{slug}/groups/{name}",
        summary: "Change a group",
        description: "Only the fields given change (a new value replaces the old one; null removes it); `parent` moves it in the tree. Edited in place and saved as a revision by the caller. Operators and above.",
        tags: ["groups"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, baseRevision: baseRevisionField, name: groupName, ...groupFields }))
    .output(editOutput)
    .mutation(({ ctx, input }) => {
      const { slug, baseRevision, name, ...patch } = input;
      return saveEdit(ctx, slug, baseRevision, { action: "group.updated", target: name }, (site) => updateGroup(site, name, patch));
    }),

  delete: siteProcedure("operator")
    .meta({
      rest: {
        method: "DELETE",
        path: "/sites/{slug}/groups/{name}",
        summary: "Remove a group",
        description: "Removes the group's entry and its name from its parent's children (its hosts stay, in their other groups); refused when something else still names it (a lint error). Saved as a revision by the caller. Operators and above.",
        tags: ["groups"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ slug: slugField, baseRevision: baseRevisionField, name: groupName }))
    .output(editOutput)
    .mutation(({ ctx, input }) => saveEdit(ctx, input.slug, input.baseRevision, { action: "group.deleted", target: input.name }, (site) => deleteGroup(site, input.name))),
});
