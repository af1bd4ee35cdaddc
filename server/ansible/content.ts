/**
 * A site's Ansible content (site-files.ts: playbooks/, roles/, collections/, ansible/, requirements.yml) as
 * Ansible needs it: written out as a directory, and hashed, so that what was checked or run can be named.
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { siteFileKind, type SiteFile } from "../inventory";

/** The site's Ansible files, in path order. */
export function ansibleContent(files: readonly SiteFile[]): SiteFile[] {
  return files.filter((f) => siteFileKind(f.path) === "ansible").sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A hash of the content (paths and bytes): the same hash, the same files. */
export function contentHash(files: readonly SiteFile[]): string {
  const hash = createHash("sha256");
  for (const f of ansibleContent(files)) hash.update(`${f.path}\u0000${Buffer.byteLength(f.content)}\u0000`).update(f.content);
  return hash.digest("hex");
}

/**
 * Write the site's Ansible content below `root` in the site's own layout (roles/ next to playbooks/, as Ansible
 * expects). Readable by all (0644 files, 0755 folders): an unprivileged sandbox user reads them.
 */
export async function writeAnsibleContent(root: string, files: readonly SiteFile[]): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  for (const f of ansibleContent(files)) {
    const target = join(root, f.path);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.content, { mode: 0o644 });
  }
}
