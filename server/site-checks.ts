/**
 * Checking a site for a caller: the size limits first (SITE_LIMITS), then a checking thread with its time and
 * memory budget (server/workers/check-pool.ts), charged to the caller's user. Lint of unsaved buffers, saves
 * and imports all come through here; nothing a caller sends is parsed on the event loop.
 */
import type { Env } from "./env";
import type { Diagnostic, SiteFile, SitePolicy } from "./inventory";
import { checkSiteSize } from "./limits";
import { checkPath, type FileChange, type LintCounts, type SiteStore } from "./store/sites";
import { checkPool, type CheckEnv } from "./workers/check-pool";

/** `files` with `changes` applied (null content deletes); a change of a file the site lacks adds it. */
export function withChanges(files: readonly SiteFile[], changes: readonly FileChange[]): SiteFile[] {
  const map = new Map(files.map((f) => [f.path, f.content]));
  for (const c of changes) {
    if (c.content === null) map.delete(c.path);
    else map.set(c.path, c.content);
  }
  return [...map].map(([path, content]) => ({ path, content }));
}

/** The files a save of `changes` on `baseRevision` would store (paths normalised as the store does). */
export function savedFiles(store: SiteStore, slug: string, baseRevision: number, changes: readonly FileChange[]): SiteFile[] {
  return withChanges(store.files(slug, baseRevision).files, changes.map((c) => ({ path: checkPath(c.path), content: c.content })));
}

/** Lint as the editor shows it: the diagnostics, and a note when there are more than one answer carries. */
export async function lintSite(env: CheckEnv, files: SiteFile[], user: string, policy?: SitePolicy): Promise<Diagnostic[]> {
  checkSiteSize(files);
  const { diagnostics, omitted } = await checkPool(env).check(files, { user, policy });
  if (!omitted) return diagnostics;
  const first = diagnostics[0]!;
  const note = `${omitted} more problems are not shown (the first ${diagnostics.length} are); fix these first`;
  return [...diagnostics, { file: first.file, line: 1, col: 1, endLine: 1, endCol: 1, severity: first.severity, message: note }];
}

/** The counts a revision of `files` stores, for a save or an import to write without parsing on the event loop. */
export async function lintCounts(env: Pick<Env, keyof CheckEnv>, files: SiteFile[], user: string): Promise<LintCounts> {
  checkSiteSize(files);
  return (await checkPool(env).check(files, { user })).summary;
}
