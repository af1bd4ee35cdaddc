/**
 * GET /api/v1/sites/:slug/inventory.tgz | .zip | .json: a revision of the site as an Ansible inventory (the
 * bundle of `flightdeck export ansible`, or the JSON of `flightdeck inventory --list`). The viewer role suffices;
 * `secret:` and `env:` values stay references: nothing is ever revealed here.
 *
 * Query: `group` (a group's hosts), `selector` (labels: `role=web`, `role=web,zone!=b`), `glob` (host names:
 * `web-*`), each repeatable; several filters keep the hosts that pass all of them. `revision` picks a revision.
 */
import { formatDiagnostic, hasErrors, type Site } from "../inventory";
import { ALL } from "../inventory/model";
import { globToRegExp } from "../inventory/targets";
import { bundleTgz, bundleZip } from "../ansible/export/archive";
import { bundleFiles } from "../ansible/export/bundle";
import { ansibleInventory } from "../ansible/export/inventory";
import { inventoryList } from "../ansible/export/script";
import { InvalidInputError } from "../errors";
import { loadRevision } from "../site-cache";
import { handle, restCaller } from "./respond";

export type InventoryFormat = "tgz" | "zip" | "json";

const PARAMS = new Set(["group", "selector", "glob", "revision"]);
const CONTENT_TYPE: Record<InventoryFormat, string> = { tgz: "application/gzip", zip: "application/zip", json: "application/json" };

export function inventoryResponse(req: Request, params: Promise<{ slug: string }>, format: InventoryFormat): Promise<Response> {
  return handle(async () => {
    const { slug } = await params;
    const { caller, svc } = await restCaller(req);
    await svc.auth.access.require(caller, slug, "viewer");
    const query = new URL(req.url).searchParams;
    for (const key of query.keys()) if (!PARAMS.has(key)) throw new InvalidInputError(`unknown query parameter '${key}' (filters: group, selector, glob; and revision)`);
    const revision = revisionOf(query.get("revision"));
    const { revision: number, site } = await loadRevision(svc.sites, slug, revision);
    if (hasErrors(site.diagnostics)) {
      const first = site.diagnostics.filter((d) => d.severity === "error").slice(0, 3).map(formatDiagnostic);
      throw new InvalidInputError(`revision ${number} of site '${slug}' has lint errors; fix them to export it: ${first.join("; ")}`);
    }
    const inv = ansibleInventory(site, { hosts: filtered(site, query) });
    const headers: Record<string, string> = { "content-type": CONTENT_TYPE[format], "cache-control": "no-store" };
    if (format === "json") return new Response(inventoryList(inv), { headers });
    const files = bundleFiles(inv);
    headers["content-disposition"] = `attachment; filename="${slug}-r${number}-ansible.${format}"`;
    return new Response(Buffer.from(format === "tgz" ? bundleTgz(files) : bundleZip(files)), { headers });
  });
}

function revisionOf(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new InvalidInputError(`revision must be a positive number, not '${raw}'`);
  return n;
}

/** The hosts the filters keep (all when there are none), in the site's order. A filter that names nothing the site has is a 400. */
function filtered(site: Site, query: URLSearchParams): string[] | undefined {
  const { model, resolver } = site;
  const tests: ((host: string) => boolean)[] = [];
  for (const group of query.getAll("group")) {
    if (group !== ALL && !model.groups.has(group)) throw new InvalidInputError(`group: the site has no group '${group}'`);
    tests.push((h) => resolver.groupsOf(h).includes(group));
  }
  for (const selector of query.getAll("selector")) {
    const terms = selector.split(",").map((term) => {
      const m = /^\s*([A-Za-z0-9_./-]+)\s*(!=|=)\s*([^=!,]*?)\s*$/.exec(term);
      if (!m) throw new InvalidInputError(`selector: '${term}' is not a label test such as role=web or zone!=b`);
      return { key: m[1]!, negate: m[2] === "!=", value: m[3]! };
    });
    tests.push((h) => {
      const labels = model.hosts.get(h)!.labels;
      return terms.every((t) => (labels[t.key] === t.value) !== t.negate);
    });
  }
  for (const glob of query.getAll("glob")) {
    if (!glob) throw new InvalidInputError("glob: empty pattern");
    const re = globToRegExp(glob);
    tests.push((h) => re.test(h));
  }
  if (!tests.length) return undefined;
  return [...model.hosts.keys()].filter((h) => tests.every((t) => t(h)));
}
