/**
 * Loaded sites by (slug, revision). A revision never changes, so entries never go stale; the cache only
 * bounds memory. Lint-while-typing loads "head plus unsaved buffers" and is not cached.
 */
import { loadSite, type Site, type SiteFile } from "./inventory";
import type { SiteStore } from "./store/sites";

const MAX = 16;
const cache = new Map<string, Site>();

export function loadRevision(store: SiteStore, slug: string, revision?: number): { revision: number; site: Site } {
  const files = store.files(slug, revision);
  const key = `${slug}@${files.revision}`;
  let site = cache.get(key);
  if (!site) {
    site = loadSite(files.files);
    cache.set(key, site);
    if (cache.size > MAX) cache.delete(cache.keys().next().value!);
  }
  return { revision: files.revision, site };
}

/** The site as it would be with `overrides` applied (null content deletes), without saving anything. */
export function loadWithOverrides(store: SiteStore, slug: string, overrides: { path: string; content: string | null }[], revision?: number): Site {
  const files = new Map(store.files(slug, revision).files.map((f) => [f.path, f.content]));
  for (const o of overrides) {
    if (o.content === null) files.delete(o.path);
    else files.set(o.path, o.content);
  }
  return loadSite([...files].map(([path, content]): SiteFile => ({ path, content })));
}
