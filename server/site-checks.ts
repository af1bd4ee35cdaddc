/**
 * Checking a site for a caller: the size limits first (SITE_LIMITS), then a checking thread with its time and
 * memory budget (server/workers/check-pool.ts), charged to the caller's user, then Ansible's syntax check of the
 * playbooks its steps name (server/ansible/syntax-check.ts: sandboxed, cached by content). Lint of unsaved
 * buffers, saves and imports all come through here; nothing a caller sends is parsed on the event loop.
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlaybookChecker } from "./ansible/syntax-check";
import type { Env } from "./env";
import type { Diagnostic, PlaybookRef, SiteFile, SitePolicy } from "./inventory";
import { sortDiagnostics } from "./inventory/diagnostics";
import { checkSiteSize } from "./limits";
import { hiddenPaths } from "./runs/policy";
import { checkPath, type FileChange, type LintCounts, type SiteStore } from "./store/sites";
import { prepareWorkspaces, sandboxFinder } from "./transports/sandbox";
import { checkPool, type CheckEnv } from "./workers/check-pool";

/** What checking needs of the server's settings: the checking threads', and the sandbox's for Ansible. */
export type SiteCheckEnv = CheckEnv & Pick<Env, "FLIGHTDECK_DATA" | "FLIGHTDECK_KEY_DIRS" | "FLIGHTDECK_RUN_USER">;

const KEY = Symbol.for("flightdeck.playbookChecker");
type Holder = { [KEY]?: PlaybookChecker };

/**
 * The process's playbook checker (one cache for the custom server and Next's route bundle). Its sandbox hides
 * what a local step's does (the data directory, identities, key directories) and has workspaces of its own.
 */
export function playbookChecker(env: Pick<SiteCheckEnv, "FLIGHTDECK_DATA" | "FLIGHTDECK_KEY_DIRS" | "FLIGHTDECK_RUN_USER">): PlaybookChecker {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    let sandbox: ReturnType<typeof sandboxFinder> | undefined;
    holder[KEY] = new PlaybookChecker({
      budget: true,
      // Made on first need: most sites have no playbooks, and the probe runs a process.
      sandbox: () => {
        sandbox ??= sandboxFinder({
          hide: hiddenPaths(env),
          runUser: env.FLIGHTDECK_RUN_USER,
          lang: process.env.LANG,
          workspaces: prepareWorkspaces(join(tmpdir(), `flightdeck-checks-${createHash("sha256").update(env.FLIGHTDECK_DATA).digest("hex").slice(0, 12)}`)),
        });
        return sandbox();
      },
    });
  }
  return holder[KEY];
}

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
export async function savedFiles(store: SiteStore, slug: string, baseRevision: number, changes: readonly FileChange[]): Promise<SiteFile[]> {
  return withChanges((await store.files(slug, baseRevision)).files, changes.map((c) => ({ path: checkPath(c.path), content: c.content })));
}

/**
 * Ansible's check runs the site's code on the server (sandboxed, without network), so it runs only where the
 * site's local steps may run: a server admin's decision. Elsewhere the policy's own error at each
 * `ansible.playbook` step says why the playbook cannot run, and nothing more is said here.
 */
function ansibleChecks(env: SiteCheckEnv, files: SiteFile[], playbooks: PlaybookRef[], user: string, policy: SitePolicy | undefined): Promise<Diagnostic[]> {
  if (!playbooks.length || !policy || policy.localRefused) return Promise.resolve([]);
  return playbookChecker(env).check(files, playbooks, user);
}

/** Lint as the editor shows it: the diagnostics, and a note when there are more than one answer carries. */
export async function lintSite(env: SiteCheckEnv, files: SiteFile[], user: string, policy?: SitePolicy): Promise<Diagnostic[]> {
  checkSiteSize(files);
  const checked = await checkPool(env).check(files, { user, policy });
  const { omitted } = checked;
  const ansible = await ansibleChecks(env, files, checked.playbooks, user, policy);
  const diagnostics = ansible.length ? sortDiagnostics([...checked.diagnostics, ...ansible]) : checked.diagnostics;
  if (!omitted) return diagnostics;
  const first = diagnostics[0]!;
  const note = `${omitted} more problems are not shown (the first ${diagnostics.length} are); fix these first`;
  return [...diagnostics, { file: first.file, line: 1, col: 1, endLine: 1, endCol: 1, severity: first.severity, message: note }];
}

/**
 * The counts a revision of `files` stores, for a save or an import to write without parsing on the event loop:
 * the site's own lint, and Ansible's check of its playbooks when `policy` (the site's) lets it run.
 */
export async function lintCounts(env: Pick<Env, keyof SiteCheckEnv>, files: SiteFile[], user: string, policy?: SitePolicy): Promise<LintCounts> {
  checkSiteSize(files);
  const { summary, playbooks } = await checkPool(env).check(files, { user });
  const ansible = await ansibleChecks(env, files, playbooks, user, policy);
  const errors = ansible.filter((d) => d.severity === "error").length;
  return { ...summary, errors: summary.errors + errors, warnings: summary.warnings + ansible.length - errors };
}
