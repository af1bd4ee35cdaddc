import { z } from "zod";
import { deleteVar, getVar, setVar } from "../../inventory/edit";
import { nameSchema } from "../../inventory/schemas";
import { loadRevision } from "../../site-cache";
import { NotFoundError } from "../../store/errors";
import { createTRPCRouter, siteProcedure } from "../trpc";
import { baseRevisionField, editOutput, revisionField, saveEdit, slugField } from "./site-edit";

const at = {
  slug: slugField,
  level: z.enum(["host", "group", "profile"]).describe("The level that sets the variable: a host, a group or a profile"),
  name: nameSchema.describe("The host, group or profile"),
  key: z
    .string()
    .min(1)
    .max(500)
    .describe("The variable's key path under the level's `data`: names separated by dots (`ntp.servers`)"),
};

export const varsRouter = createTRPCRouter({
  get: siteProcedure("viewer")
    .meta({
      rest: {
        method: "GET",
        path: "/sites/{slug}/vars/{level}/{name}/{key}",
        summary: "Get a variable at a level",
        description: "The value a host, group or profile sets itself for a key path (not the resolved value: see GET /sites/{slug}/hosts/{name}), and where. 404 when that level does not set it. Viewers and above.",
        tags: ["variables"],
        etag: "revision",
      },
    })
    .input(z.object({ ...at, revision: revisionField }))
    .output(
      z
        .object({
          revision: z.number().int().describe("The revision read (also the ETag)"),
          value: z.unknown().describe("The value the level sets"),
          declared: z.string().describe("Where, as file:line:col"),
        })
        .describe("A variable at a level"),
    )
    .query(async ({ ctx, input }) => {
      const { revision, site } = await loadRevision(ctx.sites, input.slug, input.revision);
      const found = getVar(site, input.level, input.name, input.key);
      if (!found.found) throw new NotFoundError(`${input.level} '${input.name}' sets no variable '${input.key}' at revision ${revision}`);
      return { revision, value: found.value, declared: found.where! };
    }),

  set: siteProcedure("operator")
    .meta({
      rest: {
        method: "PUT",
        path: "/sites/{slug}/vars/{level}/{name}/{key}",
        summary: "Set a variable at a level",
        description: "Writes the value into the level's `data` (maps along the key path are created), in place, keeping every other line; saved as a revision by the caller. Operators and above.",
        tags: ["variables"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ ...at, baseRevision: baseRevisionField, value: z.unknown().describe("The new value (any JSON value; null sets null)") }))
    .output(editOutput)
    .mutation(({ ctx, input }) =>
      saveEdit(ctx, input.slug, input.baseRevision, { action: "variable.set", target: `${input.level} ${input.name} ${input.key}` }, (site) => setVar(site, input.level, input.name, input.key, input.value ?? null)),
    ),

  delete: siteProcedure("operator")
    .meta({
      rest: {
        method: "DELETE",
        path: "/sites/{slug}/vars/{level}/{name}/{key}",
        summary: "Remove a variable at a level",
        description: "Removes the key from the level's `data` (lower levels' values then apply); 404 when the level does not set it. Saved as a revision by the caller. Operators and above.",
        tags: ["variables"],
        ifMatch: "baseRevision",
        etag: "revision",
      },
    })
    .input(z.object({ ...at, baseRevision: baseRevisionField }))
    .output(editOutput)
    .mutation(({ ctx, input }) =>
      saveEdit(ctx, input.slug, input.baseRevision, { action: "variable.removed", target: `${input.level} ${input.name} ${input.key}` }, (site) => deleteVar(site, input.level, input.name, input.key)),
    ),
});
