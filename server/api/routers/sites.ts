import { statSync } from "node:fs";
import { z } from "zod";
import { isNamed } from "../../errors";
import { readSiteDirectory } from "../../inventory";
import { lintCounts } from "../../site-checks";
import { formatProblem } from "../../ansible/inventory/errors";
import { ConflictError, InvalidInputError } from "../../store/errors";
import { importAnsibleOffThread } from "../../workers/ansible-import";
import { actorName } from "../../auth";
import { adminProcedure, authedProcedure, createTRPCRouter, siteProcedure } from "../trpc";
import { pageByKey, pageInput, roleField, savedRevisionSchema, timestamp } from "./shapes";

const slug = z.string().min(1).max(63);

const STARTER = `# A new site. Add hosts and groups; see the demo site for a fuller example.
kind: inventory
api_version: v1beta1
spec:
  hosts:
  - name: web-1
    labels: {role: web}
    data: {http_port: 8080}
  groups:
  - name: all
    connection: {user: root}
  - name: web
    members: [web-1]
`;

/** A site with its newest revision's summary, as lists and the site page show it. */
const siteSummary = z.object({
  slug: z.string().describe("The site's id, as in its URL /sites/{slug}"),
  name: z.string().describe("The site's display name"),
  description: z.string().describe("What the site is, in a sentence (may be empty)"),
  project: z.string().describe("The slug of the project that owns the site"),
  createdAt: timestamp("When the site was created"),
  approvalsRequired: z.number().int().describe("Approvals a run needs before it executes (0: none)"),
  localExecution: z.boolean().describe("Whether the site may run `transport: local` steps on the server (sandboxed)"),
  parallelRuns: z.number().int().describe("Runs of this site at once, across all workers (1: one at a time)"),
  revision: z.number().int().describe("The newest revision's number"),
  updatedAt: timestamp("When the newest revision was saved"),
  updatedBy: z.string().describe("Who saved the newest revision"),
  errors: z.number().int().describe("Lint errors in the newest revision"),
  warnings: z.number().int().describe("Lint warnings in the newest revision"),
  hosts: z.number().int().describe("Hosts in the newest revision's inventory"),
  files: z.number().int().describe("Files in the newest revision"),
});
const siteWithRole = siteSummary.extend({ role: roleField("The caller's role on the site").nullable().describe("The caller's role on the site (null: none, e.g. a kiosk)") });

export const sitesRouter = createTRPCRouter({
  /** The sites the caller can read, each with the caller's role there. */
  list: authedProcedure
    .input(z.object({}).optional())
    // The dashboard's array (not paginated; REST lists use `page`).
    .output(z.array(siteWithRole).describe("The sites the caller can read, by name"))
    .query(async ({ ctx }) => {
      const readable = new Set(await ctx.auth.access.readableSites(ctx.principal));
      const sites = (await ctx.sites.list()).filter((s) => readable.has(s.slug));
      return Promise.all(sites.map(async (s) => ({ ...s, role: await ctx.auth.access.roleOn(ctx.principal, s.slug) })));
    }),

  /** `list` a page at a time, for REST. The store has no cursor query: the list is small, paged here by slug. */
  page: authedProcedure
    .meta({
      rest: {
        method: "GET",
        path: "/sites",
        summary: "List the sites you can read",
        description: "A page of the sites the caller has a role on (server admins: every site), by slug, each with its newest revision's summary and the caller's role there. Any signed-in user or API token; not a kiosk token.",
        tags: ["sites"],
        paginated: true,
      },
    })
    .input(z.object({ ...pageInput }))
    .output(
      z
        .object({
          items: z.array(siteWithRole).describe("The page's sites, by slug"),
          nextCursor: z.string().nullable().describe("The cursor of the next page (null on the last page)"),
        })
        .describe("A page of sites"),
    )
    .query(async ({ ctx, input }) => {
      const readable = new Set(await ctx.auth.access.readableSites(ctx.principal));
      const { items, nextCursor } = pageByKey((await ctx.sites.list()).filter((s) => readable.has(s.slug)), (s) => s.slug, input);
      return { items: await Promise.all(items.map(async (s) => ({ ...s, role: await ctx.auth.access.roleOn(ctx.principal, s.slug) }))), nextCursor };
    }),

  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}",
        summary: "Get a site",
        description: "One site with its settings, its newest revision's summary (the ETag) and the caller's role there. Viewers and above on the site.",
        tags: ["sites"],
        etag: "revision",
      },
    })
    .output(siteSummary.extend({ role: roleField("The caller's role on the site") }).describe("The site"))
    .query(async ({ ctx, input }) => ({ ...(await ctx.sites.get(input.slug)), role: ctx.role })),

  create: adminProcedure
    .meta({
      rest: {
        method: "POST",
        path: "/sites",
        summary: "Create a site",
        description: "A new site whose revision 1 holds a starter inventory.yml. Server admins only; a slug that is taken is a conflict (409).",
        tags: ["sites"],
        status: 201,
        etag: "number",
      },
    })
    .input(z.object({ slug: slug.describe("The new site's id, as in its URL /sites/{slug}"), name: z.string().trim().min(1).max(200).describe("The site's display name"), project: slug.default("default").describe("The project that owns the new site (default: `default`)") }))
    .output(savedRevisionSchema.describe("The site's first revision"))
    .mutation(async ({ ctx, input }) => {
      const created = await ctx.sites.create({ ...input, author: actorName(ctx.principal), files: [{ path: "inventory.yml", content: STARTER }], message: "Created the site" });
      await ctx.audit({ action: "site.created", site: input.slug, target: input.name });
      return created;
    }),

  /**
   * A site from a directory on the server, or (`format: "ansible"`) a new site from an Ansible inventory there (a
   * file or directory, as `ansible-inventory -i` takes it), imported off the event loop. The vault password is
   * used for this import only.
   */
  importPath: adminProcedure
    .input(
      z.object({
        slug,
        name: z.string().trim().min(1).max(200),
        path: z.string().min(1),
        format: z.enum(["site", "ansible"]).default("site"),
        vaultPassword: z.string().max(4096).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      let files, binary: string[];
      let ansible: { hosts: number; groups: number; secrets: number; corrections: number; warnings: string[] } | undefined;
      if (input.format === "ansible") {
        if (await ctx.sites.exists(input.slug)) throw new ConflictError(`site '${input.slug}' exists: an Ansible inventory is imported as a new site (its whole content would replace this site's files); choose another name`);
        if (!statSync(input.path, { throwIfNoEntry: false })) throw new InvalidInputError(`${input.path} is not a file or directory on the server`);
        const server = await ctx.serverIdentity.catch(() => null);
        const imported = await importAnsibleOffThread({ source: { path: input.path }, label: input.path, vaultPassword: input.vaultPassword, recipients: server?.recipients ?? [] });
        files = imported.files;
        binary = [];
        ansible = { hosts: imported.hosts, groups: imported.groups, secrets: imported.secrets, corrections: imported.corrections, warnings: imported.warnings.map(formatProblem) };
      } else {
        try {
          ({ files, binary } = readSiteDirectory(input.path));
        } catch (e) {
          if (isNamed(e, "SiteNotFoundError")) throw new InvalidInputError(`${input.path} is not a directory on the server`);
          throw e;
        }
      }
      if (!files.length) throw new InvalidInputError(`${input.path} holds no site files (.yml or .yaml documents, or Ansible content)`);
      // A new site may not run local steps yet, so its playbooks are not run through Ansible until it may.
      const exists = await ctx.sites.exists(input.slug);
      const lint = await lintCounts(ctx.env, files, ctx.principal.userId, exists ? await ctx.runner.sitePolicy(input.slug) : undefined);
      const message = ansible ? `Imported the Ansible inventory ${input.path}` : `Imported from ${input.path}`;
      const author = actorName(ctx.principal);
      const result = (await ctx.sites.exists(input.slug))
        ? await ctx.sites.replace(input.slug, { files, author, message, lint })
        : await ctx.sites.create({ slug: input.slug, name: input.name, files, author, message, lint });
      await ctx.audit({ action: "site.imported", site: input.slug, target: input.path, detail: { files: files.length, ...(ansible && { format: "ansible", hosts: ansible.hosts, secrets: ansible.secrets }) } });
      // Binary Ansible files (a site keeps text only) were left out: the dialog says which.
      return { ...result, binary, ansible };
    }),

  /**
   * Site settings: how many approvals a run needs, and how many of its runs execute at once across all workers
   * (more wait in the queue). Each changed value is its own audit entry.
   */
  settings: siteProcedure("admin")
    .meta({
      rest: {
        method: "PATCH",
        path: "/sites/{slug}/settings",
        summary: "Change a site's settings",
        description: "How many approvals a run needs and how many of the site's runs execute at once; only the values given change, each change audited. Site admins and server admins.",
        tags: ["sites"],
      },
    })
    .input(
      z
        .object({
          approvalsRequired: z.number().int().min(0).max(10).optional().describe("Approvals a run needs before it executes (0 to 10; 0: none)"),
          parallelRuns: z.number().int().min(1).max(64).optional().describe("Runs of this site at once across all workers (1 to 64)"),
        })
        .refine((s) => s.approvalsRequired !== undefined || s.parallelRuns !== undefined, "give approvalsRequired or parallelRuns"),
    )
    .output(
      z
        .object({ approvalsRequired: z.number().int().describe("Approvals a run needs now"), parallelRuns: z.number().int().describe("Runs of this site at once now") })
        .describe("The site's settings after the change"),
    )
    .mutation(async ({ ctx, input }) => {
      const before = await ctx.sites.get(input.slug);
      await ctx.sites.setSettings(input.slug, { approvalsRequired: input.approvalsRequired, parallelRuns: input.parallelRuns });
      if (input.approvalsRequired !== undefined && input.approvalsRequired !== before.approvalsRequired) {
        await ctx.audit({ action: "site.settings", site: input.slug, target: "approvals required", detail: { from: before.approvalsRequired, to: input.approvalsRequired } });
      }
      if (input.parallelRuns !== undefined && input.parallelRuns !== before.parallelRuns) {
        await ctx.audit({ action: "site.settings", site: input.slug, target: "runs at once", detail: { from: before.parallelRuns, to: input.parallelRuns } });
        // A raised limit may let queued runs start now, not when the next one ends.
        if (input.parallelRuns > before.parallelRuns) await ctx.runner.queue.nudgeSite(input.slug);
      }
      return { approvalsRequired: input.approvalsRequired ?? before.approvalsRequired, parallelRuns: input.parallelRuns ?? before.parallelRuns };
    }),

  /** Whether the site may run `transport: local` steps on this server (sandboxed): a server admin's decision. */
  localExecution: adminProcedure.input(z.object({ slug, enabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    const before = (await ctx.sites.get(input.slug)).localExecution;
    await ctx.sites.setLocalExecution(input.slug, input.enabled);
    await ctx.audit({ action: "site.settings", site: input.slug, target: "local execution", detail: { from: before, to: input.enabled } });
  }),

  delete: adminProcedure.input(z.object({ slug })).mutation(async ({ ctx, input }) => {
    await ctx.sites.delete(input.slug);
    await ctx.audit({ action: "site.deleted", site: input.slug });
  }),
});
