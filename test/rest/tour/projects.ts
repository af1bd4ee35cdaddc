/** REST tour: projects (part C). Each case makes its own project (named after its fresh site), so none depends on another. */
import assert from "node:assert/strict";
import { Client } from "../../api/client";
import { tourCase, type TourCase, type TourContext } from "./types";

interface Project {
  slug: string;
  name: string;
  sites: number;
  role: string | null;
  createdAt: string;
}

/** A project `<site>-p` that owns the case's site, with the operator client as a project operator. */
async function projectWithSite(ctx: TourContext): Promise<string> {
  const project = `${ctx.site}-p`;
  await ctx.services.store.projects.create({ slug: project, name: `Project of ${ctx.site}` });
  await ctx.services.store.projects.moveSite(ctx.site, project);
  const operator = (await ctx.services.auth.users.byUsername("operator"))!;
  await ctx.services.auth.access.setProjectRole(project, operator.id, "operator");
  return project;
}

export const cases: TourCase[] = [
  tourCase({
    operation: "projects.page",
    name: "a site viewer sees the project of their site, with no role on the project itself",
    as: "viewer",
    setup: projectWithSite,
    request: () => ({ method: "GET", path: "/api/v1/projects", query: { limit: 500 } }),
    status: 200,
    check: (res, ctx, project) => {
      const found = (res.body as { items: Project[] }).items.find((p) => p.slug === project);
      assert.ok(found, "listed");
      assert.deepEqual([found.sites, found.role], [1, null]);
      assert.ok(!Number.isNaN(Date.parse(found.createdAt)), "timestamps are ISO 8601");
    },
  }),
  tourCase({
    operation: "projects.page",
    name: "anonymous callers are asked to sign in",
    as: "anonymous",
    request: () => ({ method: "GET", path: "/api/v1/projects" }),
    status: 401,
  }),
  tourCase({
    operation: "projects.get",
    name: "a project member reads the project and their role on it",
    as: "operator",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "GET", path: `/api/v1/projects/${project}` }),
    status: 200,
    check: (res, ctx, project) => assert.deepEqual([(res.body as Project).slug, (res.body as Project).role], [project, "operator"]),
  }),
  tourCase({
    operation: "projects.get",
    name: "an unknown project is not found",
    as: "admin",
    request: () => ({ method: "GET", path: "/api/v1/projects/no-such-project" }),
    status: 404,
  }),
  tourCase({
    operation: "projects.create",
    name: "a server admin creates a project",
    as: "admin",
    request: (ctx) => ({ method: "POST", path: "/api/v1/projects", body: { slug: `${ctx.site}-new`, name: "New", description: "made over REST" } }),
    status: 201,
    check: (res, ctx) => assert.deepEqual([(res.body as Project).slug, (res.body as Project).sites], [`${ctx.site}-new`, 0]),
  }),
  tourCase({
    operation: "projects.create",
    name: "a site admin cannot create projects",
    as: "siteadmin",
    request: (ctx) => ({ method: "POST", path: "/api/v1/projects", body: { slug: `${ctx.site}-no`, name: "No" } }),
    status: 403,
  }),
  tourCase({
    operation: "projects.update",
    name: "a server admin renames a project",
    as: "admin",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "PATCH", path: `/api/v1/projects/${project}`, body: { name: "Renamed" } }),
    status: 200,
    check: (res) => assert.equal((res.body as Project).name, "Renamed"),
  }),
  tourCase({
    operation: "projects.delete",
    name: "a project that owns a site is not deleted",
    as: "admin",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "DELETE", path: `/api/v1/projects/${project}` }),
    status: 409,
  }),
  tourCase({
    operation: "projects.delete",
    name: "a server admin deletes an empty project",
    as: "admin",
    setup: async (ctx) => {
      await ctx.services.store.projects.create({ slug: `${ctx.site}-empty`, name: "Empty" });
      return `${ctx.site}-empty`;
    },
    request: (ctx, project) => ({ method: "DELETE", path: `/api/v1/projects/${project}` }),
    status: 204,
    check: async (res, ctx, project) => assert.equal((await ctx.clients.admin.rest("GET", `/api/v1/projects/${project}`)).status, 404),
  }),
  tourCase({
    operation: "projects.sitesPage",
    name: "a project member lists the project's sites with their role on each",
    as: "operator",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "GET", path: `/api/v1/projects/${project}/sites` }),
    status: 200,
    check: (res, ctx) => {
      const page = res.body as { items: { slug: string; role: string }[]; nextCursor: string | null };
      assert.deepEqual([page.items.map((s) => [s.slug, s.role]), page.nextCursor], [[[ctx.site, "operator"]], null]);
    },
  }),
  tourCase({
    operation: "projects.moveSite",
    name: "a server admin moves a site into another project",
    as: "admin",
    setup: projectWithSite,
    request: (ctx) => ({ method: "PUT", path: `/api/v1/projects/default/sites/${ctx.site}` }),
    status: 200,
    check: (res, ctx, project) => assert.deepEqual(res.body, { site: ctx.site, from: project, to: "default" }),
  }),
  tourCase({
    operation: "projects.moveSite",
    name: "a site admin cannot move sites",
    as: "siteadmin",
    request: (ctx) => ({ method: "PUT", path: `/api/v1/projects/default/sites/${ctx.site}` }),
    status: 403,
  }),
  tourCase({
    operation: "projects.membersPage",
    name: "a server admin lists a project's members",
    as: "admin",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "GET", path: `/api/v1/projects/${project}/members` }),
    status: 200,
    check: (res) => assert.deepEqual((res.body as { items: { username: string; role: string }[] }).items.map((m) => [m.username, m.role]), [["operator", "operator"]]),
  }),
  tourCase({
    operation: "projects.membersPage",
    name: "a project operator cannot list its members",
    as: "operator",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "GET", path: `/api/v1/projects/${project}/members` }),
    status: 403,
  }),
  tourCase({
    operation: "projects.setMember",
    name: "a server admin gives a user a project role, which reaches the project's sites",
    as: "admin",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "PUT", path: `/api/v1/projects/${project}/members/viewer`, body: { role: "approver" } }),
    status: 200,
    check: async (res, ctx) => {
      assert.deepEqual(res.body, { user: "viewer", from: null, to: "approver" });
      const site = (await ctx.clients.viewer.rest("GET", `/api/v1/sites/${ctx.site}`)).body as { role: string };
      assert.equal(site.role, "approver", "the project role lifts the site viewer");
    },
  }),
  tourCase({
    operation: "projects.removeMember",
    name: "a server admin takes a project role away",
    as: "admin",
    setup: projectWithSite,
    request: (ctx, project) => ({ method: "DELETE", path: `/api/v1/projects/${project}/members/operator` }),
    status: 204,
    check: async (res, ctx, project) => assert.equal((await ctx.clients.admin.rest("DELETE", `/api/v1/projects/${project}/members/operator`)).status, 404),
  }),
  tourCase({
    operation: "projects.sitesPage",
    name: "a project-scoped token reads the project's sites",
    as: "operator",
    setup: async (ctx) => {
      const project = await projectWithSite(ctx);
      const created = await ctx.clients.operator.rest("POST", "/api/v1/tokens", { name: "ci", project, role: "viewer" });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { project, token: (created.body as { token: string }).token };
    },
    request: (ctx, s) => ({ method: "GET", path: `/api/v1/projects/${s.project}/sites`, headers: { authorization: `Bearer ${s.token}` } }),
    status: 200,
    check: async (res, ctx, s) => {
      assert.deepEqual((res.body as { items: { slug: string; role: string }[] }).items.map((x) => [x.slug, x.role]), [[ctx.site, "viewer"]]);
      // Capped at its role: it cannot write on the project's site.
      const write = await new Client(ctx.url, "project-token", s.token).rest("POST", `/api/v1/sites/${ctx.site}/runs`, { deployment: "dep" });
      assert.equal(write.status, 403);
    },
  }),
];
