import { z } from "zod";
import { ARCHIVE_LIMITS, MULTIPART_SLACK, RATE_LIMITS, tooMany } from "~/server/limits";
import { sharedBuckets } from "~/server/rate-limit";
import { readBody } from "~/server/rest/body";
import { problem } from "~/server/rest/problem";
import { handle, json, restCaller, type Caller } from "~/server/rest/respond";
import type { Services } from "~/server/services";
import { formatProblem } from "~/server/ansible/inventory/errors";
import { errorCode } from "~/server/errors";
import { readArchive } from "~/server/store/archive";
import { ConflictError, ForbiddenError, InvalidInputError } from "~/server/store/errors";
import { lintCounts } from "~/server/site-checks";
import { importAnsibleOffThread, type AnsibleImported } from "~/server/workers/ansible-import";

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
 *
 * `format=ansible`: the archive is an Ansible inventory (INI or YAML files, group_vars/, host_vars/), imported
 * as a new site whose hosts resolve to exactly what ansible-inventory gives them (server/ansible/import.ts, in a
 * thread of its own). `inventory=PATH` says where in the archive the inventory is (default: the archive's folder,
 * or its one file). The vault password, if any, is the form's `vault_password` field or the `X-Vault-Password`
 * header (never the query, which logs keep); it is used for this import only. Problems answer 400 with
 * `problems`, each `file:line:col: message`.
 */
export function POST(req: Request) {
  return handle(async () => {
    const { caller, svc, actor: author, audit } = await restCaller(req);
    const wait = sharedBuckets("imports", RATE_LIMITS.imports).take(caller.userId);
    if (wait !== undefined) throw tooMany(`you may import ${RATE_LIMITS.imports.burst} archives in a row, then one every ${Math.round(1 / RATE_LIMITS.imports.perSecond)} s`, wait);
    const query = new URL(req.url).searchParams;
    const format = query.get("format") ?? "site";
    if (format !== "site" && format !== "ansible") throw new InvalidInputError(`format: 'site' (a Flightdeck site, the default) or 'ansible' (an Ansible inventory), not '${format}'`);
    const ansible = format === "ansible";
    const type = req.headers.get("content-type") ?? "";
    const multipart = type.startsWith("multipart/form-data");
    let target = query.has("slug") ? parsed({ slug: query.get("slug"), name: query.get("name") ?? query.get("slug") }) : undefined;
    let created = target && (await allowed(svc, caller, target.slug, ansible));
    if (!target && !multipart) throw new InvalidInputError("name the site in the query (?slug=ID&name=NAME), or send multipart/form-data with 'file', 'slug' and 'name'");

    const body = await readBody(req, ARCHIVE_LIMITS.uploadBytes + (multipart ? MULTIPART_SLACK : 0), "the upload");
    let file: { name: string; data: Uint8Array } = { name: query.get("filename") ?? "the archive", data: body };
    let vaultPassword = req.headers.get("x-vault-password") ?? undefined;
    let inventory = query.get("inventory") ?? undefined;
    if (multipart) {
      const form = await new Response(body, { headers: { "content-type": type } }).formData().catch(() => {
        throw new InvalidInputError("the multipart/form-data body could not be read");
      });
      const part = form.get("file");
      if (!(part instanceof File)) throw new InvalidInputError("missing 'file' (a .tgz, .tar or .zip of the site directory)");
      file = { name: part.name, data: new Uint8Array(await part.arrayBuffer()) };
      const field = (name: string) => {
        const v = form.get(name);
        return typeof v === "string" && v !== "" ? v : undefined;
      };
      vaultPassword = field("vault_password") ?? vaultPassword;
      inventory = field("inventory") ?? inventory;
      if (!target) {
        target = parsed({ slug: form.get("slug"), name: form.get("name") ?? form.get("slug") });
        created = await allowed(svc, caller, target.slug, ansible);
      }
    }

    let files, skipped, binary;
    let imported: AnsibleImported | undefined;
    if (ansible) {
      // An inventory's files need no extension (hosts, group_vars/all): every text file but hidden ones is read.
      ({ files, skipped, binary } = await readArchive(file.name, file.data, { keep: (path) => (path.split("/").some((p) => p.startsWith(".")) ? null : "ansible") }));
      const server = await svc.serverIdentity.catch(() => null);
      try {
        imported = await importAnsibleOffThread({ source: { files, inventory }, label: file.name, vaultPassword, recipients: server?.recipients ?? [] });
      } catch (e) {
        const problems = (e as { problems?: Parameters<typeof formatProblem>[0][] }).problems;
        if (errorCode(e) !== "INVALID_INPUT" || !Array.isArray(problems)) throw e;
        return problem("invalid-input", `${file.name} cannot be imported as an Ansible inventory: ${problems.length} ${problems.length === 1 ? "problem" : "problems"}`, new URL(req.url).pathname, { members: { problems: problems.map(formatProblem) } });
      }
      files = imported.files;
    } else ({ files, skipped, binary } = await readArchive(file.name, file.data));
    // A new site may not run local steps yet, so its playbooks are not run through Ansible until it may.
    const lint = await lintCounts(svc.env, files, caller.userId, created ? undefined : await svc.runner.sitePolicy(target!.slug));
    const { slug, name } = target!;
    const message = ansible ? `Imported the Ansible inventory ${file.name}` : `Imported ${file.name}`;
    const revision = created ? await svc.sites.create({ slug, name, files, author, message, lint }) : await svc.sites.replace(slug, { files, author, message, lint });
    await audit({ action: "site.imported", site: slug, target: file.name, detail: { files: files.length, revision: revision.number, ...(imported && { format: "ansible", hosts: imported.hosts, secrets: imported.secrets }) } });
    if (!created) svc.broadcaster.siteRevision({ site: slug, revision: revision.number, author, message });
    const summary = imported && { hosts: imported.hosts, groups: imported.groups, secrets: imported.secrets, corrections: imported.corrections, warnings: imported.warnings.map(formatProblem) };
    return json({ slug, created, revision, files: files.map((f) => f.path), skipped, binary, ...(summary && { ansible: summary }) }, created ? 201 : 200);
  });
}

function parsed(input: { slug: unknown; name: unknown }) {
  const result = fields.safeParse(input);
  if (!result.success) throw new InvalidInputError(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return result.data;
}

/**
 * Whether the import creates the site; refused unless the caller may create it (server admins) or replace it
 * (operators). An Ansible inventory always makes a new site: it holds only inventory (and secrets), so replacing
 * a site's files with it would drop the site's blueprints, deployments and playbooks.
 */
async function allowed(svc: Services, caller: Caller, slug: string, ansible = false): Promise<boolean> {
  const created = !(await svc.sites.exists(slug));
  if (created && !(caller.kind === "user" && caller.isAdmin)) throw new ForbiddenError("only a server admin can create a site");
  if (!created) await svc.auth.access.require(caller, slug, "operator");
  if (!created && ansible) throw new ConflictError(`site '${slug}' exists: an Ansible inventory is imported as a new site (its whole content would replace this site's files); choose another name`);
  return created;
}
