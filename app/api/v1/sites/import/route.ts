import { z } from "zod";
import { ARCHIVE_LIMITS, MULTIPART_SLACK, RATE_LIMITS, tooMany } from "~/server/limits";
import { sharedBuckets } from "~/server/rate-limit";
import { readBody } from "~/server/rest/body";
import { handle, json, restCaller, type Caller } from "~/server/rest/respond";
import type { Services } from "~/server/services";
import { readArchive } from "~/server/store/archive";
import { ForbiddenError, InvalidInputError } from "~/server/store/errors";
import { lintCounts } from "~/server/site-checks";

export const dynamic = "force-dynamic";

const fields = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "site id: lowercase letters, digits and '-'"),
  name: z.string().trim().min(1).max(200),
});

/**
 * POST /api/v1/sites/import?slug=ID&name=NAME with the archive as the body (.tgz, .tar or .zip of a site
 * directory; `filename=` names it in messages), or multipart/form-data with `file` (and `slug`, `name` when the
 * query has none). An existing site gets the archive as a new revision (operators); otherwise the site is
 * created (server admins). Who may do this is decided before the body is read when the query names the site
 * (the dashboard does), and always before anything is inflated; reading is bounded by ARCHIVE_LIMITS.
 */
export function POST(req: Request) {
  return handle(async () => {
    const { caller, svc, actor: author, audit } = await restCaller(req);
    const wait = sharedBuckets("imports", RATE_LIMITS.imports).take(caller.userId);
    if (wait !== undefined) throw tooMany(`you may import ${RATE_LIMITS.imports.burst} archives in a row, then one every ${Math.round(1 / RATE_LIMITS.imports.perSecond)} s`, wait);
    const query = new URL(req.url).searchParams;
    const type = req.headers.get("content-type") ?? "";
    const multipart = type.startsWith("multipart/form-data");
    let target = query.has("slug") ? parsed({ slug: query.get("slug"), name: query.get("name") ?? query.get("slug") }) : undefined;
    let created = target && allowed(svc, caller, target.slug);
    if (!target && !multipart) throw new InvalidInputError("name the site in the query (?slug=ID&name=NAME), or send multipart/form-data with 'file', 'slug' and 'name'");

    const body = await readBody(req, ARCHIVE_LIMITS.uploadBytes + (multipart ? MULTIPART_SLACK : 0), "the upload");
    let file: { name: string; data: Uint8Array } = { name: query.get("filename") ?? "the archive", data: body };
    if (multipart) {
      const form = await new Response(body, { headers: { "content-type": type } }).formData().catch(() => {
        throw new InvalidInputError("the multipart/form-data body could not be read");
      });
      const part = form.get("file");
      if (!(part instanceof File)) throw new InvalidInputError("missing 'file' (a .tgz, .tar or .zip of the site directory)");
      file = { name: part.name, data: new Uint8Array(await part.arrayBuffer()) };
      if (!target) {
        target = parsed({ slug: form.get("slug"), name: form.get("name") ?? form.get("slug") });
        created = allowed(svc, caller, target.slug);
      }
    }

    const { files, skipped, binary } = await readArchive(file.name, file.data);
    // A new site may not run local steps yet, so its playbooks are not run through Ansible until it may.
    const lint = await lintCounts(svc.env, files, caller.userId, created ? undefined : svc.runner.sitePolicy(target!.slug));
    const { slug, name } = target!;
    const message = `Imported ${file.name}`;
    const revision = created ? svc.sites.create({ slug, name, files, author, message, lint }) : svc.sites.replace(slug, { files, author, message, lint });
    audit({ action: "site.imported", site: slug, target: file.name, detail: { files: files.length, revision: revision.number } });
    if (!created) svc.broadcaster.siteRevision({ site: slug, revision: revision.number, author, message });
    return json({ slug, created, revision, files: files.map((f) => f.path), skipped, binary }, created ? 201 : 200);
  });
}

function parsed(input: { slug: unknown; name: unknown }) {
  const result = fields.safeParse(input);
  if (!result.success) throw new InvalidInputError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return result.data;
}

/** Whether the import creates the site; refused unless the caller may create it (server admins) or replace it (operators). */
function allowed(svc: Services, caller: Caller, slug: string): boolean {
  const created = !svc.sites.exists(slug);
  if (created && !(caller.kind === "user" && caller.isAdmin)) throw new ForbiddenError("only a server admin can create a site");
  if (!created) svc.auth.access.require(caller, slug, "operator");
  return created;
}
