/**
 * Loaded sites, keyed by what their files are. A revision's manifest (paths and content hashes) is read first,
 * which touches no file contents; only a miss reads the contents and parses. The same hashes mean the same
 * files, so an entry never goes stale (a deleted and re-created site with the same revision numbers gets its
 * own), and the cache only bounds memory. Lint-while-typing loads "head plus unsaved buffers" and is not cached.
 * The cache holds sites as the files make them; a server's policy (what it refuses) is applied on the way out.
 */
import { createHash } from "node:crypto";
import { loadSite, withPolicy, type Site, type SiteFile, type SitePolicy } from "./inventory";
import type { SiteStore } from "./store/types";

const MAX = 16;
const cache = new Map<string, Site>();

export async function loadRevision(store: SiteStore, slug: string, revision?: number, policy?: SitePolicy): Promise<{ revision: number; site: Site }> {
  const manifest = await store.manifest(slug, revision);
  const key = manifestKey(manifest.files);
  let site = cache.get(key);
  if (site) {
    // Most recently used last, so the oldest entry is the one to drop.
    cache.delete(key);
  } else {
    site = loadSite((await store.files(slug, manifest.revision)).files);
    if (cache.size >= MAX) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, site);
  return { revision: manifest.revision, site: withPolicy(site, policy) };
}

/** The site as it would be with `overrides` applied (null content deletes), without saving anything. */
export async function loadWithOverrides(store: SiteStore, slug: string, overrides: { path: string; content: string | null }[], revision?: number, policy?: SitePolicy): Promise<Site> {
  const files = new Map((await store.files(slug, revision)).files.map((f) => [f.path, f.content]));
  for (const o of overrides) {
    if (o.content === null) files.delete(o.path);
    else files.set(o.path, o.content);
  }
  return withPolicy(
    loadSite([...files].map(([path, content]): SiteFile => ({ path, content }))),
    policy,
  );
}

/** One string for a list of (path, content hash), in path order as the store gives it. */
function manifestKey(files: readonly { path: string; hash: string }[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\0${f.hash}\n`);
  return h.digest("hex");
}
