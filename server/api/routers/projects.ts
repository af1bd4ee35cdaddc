/**
 * Projects (tenants): each owns sites, and its members' roles apply to all of them. Server admins create,
 * rename and delete (empty) projects and move sites between them; a project's admins (and server admins)
 * manage its members. Every procedure is also a REST operation under /api/v1/projects.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { roleSchema } from "../../auth";
import { ForbiddenError, NotFoundError } from "../../store/errors";
import { adminProcedure, authedProcedure, createTRPCRouter, type Context } from "../trpc";
import { pageByKey, pageInput, roleField, timestamp } from "./shapes";

const slugField = (what: string) => z.string().min(1).max(63).describe(what);
const projectParam = { project: slugField("The project's id (its slug), as in /projects/{project}") };

/** Signed in (a user whose password is not a one-time one still to change, or an API token). */
const callerProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.kind === "user" && ctx.principal.mustChangePassword) throw new TRPCError({ code: "FORBIDDEN", message: "change your one-time password first" });
  return next();
});

const projectSchema = z.object({
  slug: z.string().describe("The project's id, as in /projects/{project}"),
  name: z.string().describe("The project's display name"),
  description: z.string().describe("What the project is, in a sentence (may be empty)"),
  createdAt: timestamp("When the project was created"),
  sites: z.number().int().describe("How many sites the project owns"),
  role: roleField("The caller's role on the project itself").nullable().describe("The caller's role on the project itself, which applies to all its sites (null: none; the caller reads some of its sites through site roles)"),
});

const projectSiteSchema = z.object({
  slug: z.string().describe("The site's id, as in /sites/{slug}"),
  name: z.string().describe("The site's display name"),
  description: z.string().describe("What the site is (may be empty)"),
  revision: z.number().int().describe("The newest revision's number"),
  updatedAt: timestamp("When the newest revision was saved"),
  hosts: z.number().int().describe("Hosts in the newest revision's inventory"),
  errors: z.number().int().describe("Lint errors in the newest revision"),
  warnings: z.number().int().describe("Lint warnings in the newest revision"),
  role: roleField("The caller's role on the site").nullable().describe("The caller's role on the site: the higher of their project and site roles"),
});

const memberSchema = z.object({
  userId: z.string().describe("The user's id"),
  username: z.string().nullable().describe("The user's sign-in name"),
  name: z.string().describe("The user's display name"),
  role: roleField("The user's role on the project (and so on each of its sites)"),
  isAdmin: z.boolean().describe("Whether the user is a server admin (admin everywhere whatever the role)"),
  disabled: z.boolean().describe("Whether the user is disabled (cannot sign in)"),
});

/** The project as the caller sees it, or NotFoundError/ForbiddenError when they cannot read it. */
async function readableProject(ctx: Context, project: string) {
  const found = await ctx.store.projects.get(project);
  if (!(await ctx.auth.access.readsProject(ctx.principal, project))) throw new ForbiddenError(`you have no role on project '${project}' nor on any of its sites`);
  return { ...found, role: await ctx.auth.access.projectRoleOn(ctx.principal, project) };
}

/** A project's members are managed by server admins and the project's admins. */
async function requireProjectAdmin(ctx: Context, project: string) {
  await ctx.auth.access.requireProject(ctx.principal, project, "admin");
  if (ctx.principal.kind !== "user") throw new ForbiddenError("project members are managed by a signed-in user, not an API token");
}

async function userByName(ctx: Context, username: string) {
  const user = await ctx.auth.users.byUsername(username);
  if (!user) throw new NotFoundError(`no user '${username}'`);
  return user;
}

export const projectsRouter = createTRPCRouter({
  list: callerProcedure
    .input(z.object({}).optional())
    .output(z.array(projectSchema).describe("The projects, by name"))
    .query(async ({ ctx }) => {
      const readable = await ctx.auth.access.readableSites(ctx.principal);
      const projects = await ctx.store.projects.list();
      const seen = await Promise.all(projects.map(async (p) => ({ ...p, role: await ctx.auth.access.projectRoleOn(ctx.principal, p.slug) })));
      const visible = await Promise.all(seen.map(async (p) => p.role !== null || (await ctx.auth.access.readsProject(ctx.principal, p.slug, readable))));
      return seen.filter((_, i) => visible[i]);
    }),

  /** `list` a page at a time, for REST (the dashboard keeps the array). Few projects: paged here by slug. */
  page: callerProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/projects",
        summary: "List the projects you can see",
        description:
          "A page of the projects the caller holds a role on, or reads a site of (server admins: every project), by id, with its number of sites and the caller's role on it. Any signed-in user or API token.",
        tags: ["projects"],
        paginated: true,
      },
    })
    .input(z.object({ ...pageInput }))
    .output(
      z
        .object({
          items: z.array(projectSchema).describe("The page's projects, by id"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of projects"),
    )
    .query(async ({ ctx, input }) => {
      const readable = await ctx.auth.access.readableSites(ctx.principal);
      const seen = await Promise.all((await ctx.store.projects.list()).map(async (p) => ({ ...p, role: await ctx.auth.access.projectRoleOn(ctx.principal, p.slug) })));
      const visible = await Promise.all(seen.map(async (p) => p.role !== null || (await ctx.auth.access.readsProject(ctx.principal, p.slug, readable))));
      return pageByKey(seen.filter((_, i) => visible[i]), (p) => p.slug, input);
    }),

  get: callerProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/projects/{project}",
        summary: "Get a project",
        description: "One project with its number of sites and the caller's role on it. Needs a role on the project or on one of its sites.",
        tags: ["projects"],
      },
    })
    .input(z.object(projectParam))
    .output(projectSchema)
    .query(({ ctx, input }) => readableProject(ctx, input.project)),

  create: adminProcedure
    .meta({
      rest: { method: "POST", path: "/projects", summary: "Create a project", description: "A new, empty project. Server admins only; a taken id is a conflict (409).", tags: ["projects"], status: 201 },
    })
    .input(
      z.object({
        slug: slugField("The new project's id: lowercase letters, digits and '-', up to 63"),
        name: z.string().trim().min(1).max(200).describe("The project's display name"),
        description: z.string().trim().max(1000).default("").describe("What the project is, in a sentence"),
      }),
    )
    .output(projectSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.store.projects.create(input);
      await ctx.audit({ action: "project.created", target: input.slug, detail: { name: input.name } });
      return { ...(await ctx.store.projects.get(input.slug)), role: "admin" as const };
    }),

  update: adminProcedure
    .meta({
      rest: { method: "PATCH", path: "/projects/{project}", summary: "Rename or re-describe a project", description: "Changes the given fields only. Server admins only.", tags: ["projects"] },
    })
    .input(
      z.object({
        ...projectParam,
        name: z.string().trim().min(1).max(200).optional().describe("The new display name"),
        description: z.string().trim().max(1000).optional().describe("The new description"),
      }),
    )
    .output(projectSchema)
    .mutation(async ({ ctx, input }) => {
      const before = await ctx.store.projects.get(input.project);
      await ctx.store.projects.update(input.project, { name: input.name, description: input.description });
      const after = await ctx.store.projects.get(input.project);
      await ctx.audit({
        action: "project.updated",
        target: input.project,
        detail: { from: { name: before.name, description: before.description }, to: { name: after.name, description: after.description } },
      });
      return { ...after, role: "admin" as const };
    }),

  delete: adminProcedure
    .meta({
      rest: {
        method: "DELETE",
        path: "/projects/{project}",
        summary: "Delete an empty project",
        description: "Deletes a project that owns no site (409 while it does: move or delete them first). The project `default` is never deleted. Server admins only.",
        tags: ["projects"],
        status: 204,
      },
    })
    .input(z.object(projectParam))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await ctx.store.projects.delete(input.project);
      await ctx.audit({ action: "project.deleted", target: input.project });
    }),

  sites: callerProcedure
    .input(z.object(projectParam))
    .output(z.array(projectSiteSchema).describe("The project's sites the caller reads, by name"))
    .query(async ({ ctx, input }) => {
      await readableProject(ctx, input.project);
      const readable = new Set(await ctx.auth.access.readableSites(ctx.principal));
      const sites = (await ctx.sites.list()).filter((s) => s.project === input.project && readable.has(s.slug));
      return Promise.all(sites.map(async (s) => ({ ...s, role: await ctx.auth.access.roleOn(ctx.principal, s.slug) })));
    }),

  /** `sites` a page at a time, for REST (the dashboard keeps the array); paged here by slug. */
  sitesPage: callerProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/projects/{project}/sites",
        summary: "List a project's sites",
        description: "A page of the project's sites that the caller can read, by id, with the caller's role on each. Needs a role on the project or on one of its sites.",
        tags: ["projects"],
        paginated: true,
      },
    })
    .input(z.object({ ...projectParam, ...pageInput }))
    .output(
      z
        .object({
          items: z.array(projectSiteSchema).describe("The page's sites, by id"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of the project's sites"),
    )
    .query(async ({ ctx, input }) => {
      await readableProject(ctx, input.project);
      const readable = new Set(await ctx.auth.access.readableSites(ctx.principal));
      const { items, nextCursor } = pageByKey((await ctx.sites.list()).filter((s) => s.project === input.project && readable.has(s.slug)), (s) => s.slug, input);
      return { items: await Promise.all(items.map(async (s) => ({ ...s, role: await ctx.auth.access.roleOn(ctx.principal, s.slug) }))), nextCursor };
    }),

  moveSite: adminProcedure
    .meta({
      rest: {
        method: "PUT",
        path: "/projects/{project}/sites/{slug}",
        summary: "Move a site into a project",
        description:
          "The site leaves its project for this one: the old project's member roles stop applying to it, this one's start. Its own site members and tokens stay. Server admins only.",
        tags: ["projects"],
      },
    })
    .input(z.object({ ...projectParam, slug: slugField("The site's id, as in /sites/{slug}") }))
    .output(
      z.object({
        site: z.string().describe("The site's id"),
        from: z.string().describe("The project it left (the same as `to` when it was there already)"),
        to: z.string().describe("The project that owns it now"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const from = await ctx.store.projects.moveSite(input.slug, input.project);
      if (from !== input.project) await ctx.audit({ action: "project.site.moved", site: input.slug, target: input.project, detail: { from, to: input.project } });
      return { site: input.slug, from, to: input.project };
    }),

  members: callerProcedure
    .input(z.object(projectParam))
    .output(
      z.object({
        members: z.array(memberSchema).describe("The project's members, by user name"),
        users: z
          .array(
            z.object({
              id: z.string().describe("The user's id"),
              username: z.string().nullable().describe("The user's sign-in name"),
              name: z.string().describe("The user's display name"),
              isAdmin: z.boolean().describe("Whether the user is a server admin"),
            }),
          )
          .describe("Every enabled user (who could be given a role)"),
      }),
    )
    .query(async ({ ctx, input }) => {
      await requireProjectAdmin(ctx, input.project);
      return {
        members: await ctx.auth.access.projectMembers(input.project),
        users: (await ctx.auth.users.list()).filter((u) => !u.disabled).map((u) => ({ id: u.id, username: u.username, name: u.name, isAdmin: u.isAdmin })),
      };
    }),

  /** The members a page at a time, for REST (the dashboard's `members` also lists who could be added); paged here by user id. */
  membersPage: callerProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/projects/{project}/members",
        summary: "List a project's members",
        description: "A page of the project's members, by user id, each with their role on the project. Server admins and the project's admins.",
        tags: ["projects"],
        paginated: true,
      },
    })
    .input(z.object({ ...projectParam, ...pageInput }))
    .output(
      z
        .object({
          items: z.array(memberSchema).describe("The page's members, by user id"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of the project's members"),
    )
    .query(async ({ ctx, input }) => {
      await requireProjectAdmin(ctx, input.project);
      return pageByKey(await ctx.auth.access.projectMembers(input.project), (m) => m.userId, input);
    }),

  setMember: callerProcedure
    .meta({
      rest: {
        method: "PUT",
        path: "/projects/{project}/members/{user}",
        summary: "Give a user a role on a project",
        description: "Sets the user's role on the project (and so on each of its sites; a site can grant more, never less). Server admins and the project's admins.",
        tags: ["projects"],
      },
    })
    .input(z.object({ ...projectParam, user: z.string().min(1).max(64).describe("The user's sign-in name"), role: roleSchema.describe("The role to give") }))
    .output(z.object({ user: z.string().describe("The user's sign-in name"), from: roleField("The previous role").nullable().describe("The previous role (null: none)"), to: roleField("The role now") }))
    .mutation(async ({ ctx, input }) => {
      await requireProjectAdmin(ctx, input.project);
      const user = await userByName(ctx, input.user);
      const from = await ctx.auth.access.setProjectRole(input.project, user.id, input.role);
      await ctx.audit({ action: "project.role.changed", target: `${input.project}/${input.user}`, detail: { from, to: input.role } });
      return { user: input.user, from, to: input.role };
    }),

  removeMember: callerProcedure
    .meta({
      rest: {
        method: "DELETE",
        path: "/projects/{project}/members/{user}",
        summary: "Take a user's project role away",
        description: "Removes the user's role on the project (their own site roles stay). Server admins and the project's admins; a user who has no role is not found (404).",
        tags: ["projects"],
        status: 204,
      },
    })
    .input(z.object({ ...projectParam, user: z.string().min(1).max(64).describe("The user's sign-in name") }))
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      await requireProjectAdmin(ctx, input.project);
      const user = await userByName(ctx, input.user);
      const from = await ctx.auth.access.setProjectRole(input.project, user.id, null);
      if (from === null) throw new NotFoundError(`'${input.user}' has no role on project '${input.project}'`);
      await ctx.audit({ action: "project.role.changed", target: `${input.project}/${input.user}`, detail: { from, to: null } });
    }),
});
