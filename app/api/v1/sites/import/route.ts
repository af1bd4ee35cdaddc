import { z } from "zod";
import { readArchive } from "~/server/store/archive";
import { ForbiddenError, InvalidInputError } from "~/server/store/errors";
import { handle, json, restCaller } from "~/server/rest/respond";

export const dynamic = "force-dynamic";

const fields = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "site id: lowercase letters, digits and '-'"),
  name: z.string().trim().min(1).max(200),
});

/**
 * POST /api/v1/sites/import (multipart: file, slug, name): a .tgz, .tar or .zip of a site directory.
 * An existing site gets the archive as a new revision (operators); otherwise the site is created (server admins).
 */
export function POST(req: Request) {
  return handle(async () => {
    const { caller, svc, actor: author, audit } = await restCaller(req);
    const form = await req.formData().catch(() => {
      throw new InvalidInputError("send the archive as multipart/form-data with a 'file' field");
    });
    const file = form.get("file");
    if (!(file instanceof File)) throw new InvalidInputError("missing 'file' (a .tgz, .tar or .zip of the site directory)");
    const parsed = fields.safeParse({ slug: form.get("slug"), name: form.get("name") ?? form.get("slug"), });
    if (!parsed.success) throw new InvalidInputError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const { files, skipped } = await readArchive(file.name, new Uint8Array(await file.arrayBuffer()));
    const { sites, broadcaster } = svc;
    const { slug, name } = parsed.data;
    const message = `Imported ${file.name}`;
    const created = !sites.exists(slug);
    if (created && !(caller.kind === "user" && caller.isAdmin)) throw new ForbiddenError("only a server admin can create a site");
    if (!created) svc.auth.access.require(caller, slug, "operator");
    const revision = created ? sites.create({ slug, name, files, author, message }) : sites.replace(slug, { files, author, message });
    audit({ action: "site.imported", site: slug, target: file.name, detail: { files: files.length, revision: revision.number } });
    if (!created) broadcaster.siteRevision({ site: slug, revision: revision.number, author, message });
    return json({ slug, created, revision, files: files.map((f) => f.path), skipped }, created ? 201 : 200);
  });
}
