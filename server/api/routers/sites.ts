import { z } from "zod";
import { readSiteDir, SiteNotFoundError } from "../../inventory";
import { InvalidInputError } from "../../store/errors";
import { createTRPCRouter, publicProcedure } from "../trpc";

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

export const sitesRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => ctx.sites.list()),

  get: publicProcedure.input(z.object({ slug })).query(({ ctx, input }) => ctx.sites.get(input.slug)),

  create: publicProcedure
    .input(z.object({ slug, name: z.string().trim().min(1).max(200), author: z.string().max(100) }))
    .mutation(({ ctx, input }) =>
      ctx.sites.create({ ...input, files: [{ path: "inventory.yml", content: STARTER }], message: "Created the site" }),
    ),

  importPath: publicProcedure
    .input(z.object({ slug, name: z.string().trim().min(1).max(200), path: z.string().min(1), author: z.string().max(100) }))
    .mutation(({ ctx, input }) => {
      let files;
      try {
        files = readSiteDir(input.path);
      } catch (e) {
        if (e instanceof SiteNotFoundError) throw new InvalidInputError(`${input.path} is not a directory on the server`);
        throw e;
      }
      if (!files.length) throw new InvalidInputError(`${input.path} holds no .yml or .yaml files`);
      const message = `Imported from ${input.path}`;
      return ctx.sites.exists(input.slug)
        ? ctx.sites.replace(input.slug, { files, author: input.author, message })
        : ctx.sites.create({ slug: input.slug, name: input.name, files, author: input.author, message });
    }),

  delete: publicProcedure.input(z.object({ slug })).mutation(({ ctx, input }) => ctx.sites.delete(input.slug)),
});
