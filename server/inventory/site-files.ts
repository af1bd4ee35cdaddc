/**
 * Which files a site holds, and what each one is: a Flightdeck document (YAML with `kind`, parsed and
 * validated) or Ansible content (playbooks, roles, collections: kept, edited and exported like any site file,
 * never parsed as documents, checked by Ansible itself). The one place that decides it: the site model, the
 * directory reader, archives, the store and the editor all ask here. Pure (no Node, no DOM): the browser uses it.
 *
 * The convention: top-level `playbooks/`, `roles/`, `collections/` and `ansible/` (any files below them, text
 * only) and `requirements.yml` at the root are Ansible content; every other `*.yml`/`*.yaml` is a document.
 * Hidden files and folders (`.git/`, `.sops.yaml`, `roles/x/.gitkeep`) are never site files.
 */

export type SiteFileKind = "document" | "ansible";

/** Top-level folders whose every file is Ansible content. */
export const ANSIBLE_DIRS = ["playbooks", "roles", "collections", "ansible"] as const;
/** Root files that are Ansible content (Galaxy's requirements). */
export const ANSIBLE_ROOT_FILES = ["requirements.yml", "requirements.yaml"] as const;

/** How a site file path may look, for messages that refuse one. */
export const SITE_FILE_RULE = `a relative path ending in .yml or .yaml, or Ansible content under ${ANSIBLE_DIRS.map((d) => `${d}/`).join(", ")} or requirements.yml`;

const DIRS: ReadonlySet<string> = new Set(ANSIBLE_DIRS);
const ROOT_FILES: ReadonlySet<string> = new Set(ANSIBLE_ROOT_FILES);

/**
 * What the file at `path` (relative, forward slashes, as the store keeps it) is in a site, or null when it is
 * not a site file at all (a README, a key, a hidden file): such files are skipped on import and refused on save.
 */
export function siteFileKind(path: string): SiteFileKind | null {
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s.startsWith("."))) return null;
  if (segments.length === 1 && ROOT_FILES.has(segments[0]!)) return "ansible";
  if (segments.length > 1 && DIRS.has(segments[0]!)) return "ansible";
  return /\.ya?ml$/i.test(path) ? "document" : null;
}

/** Bytes a binary file shows early: git's rule (a NUL in the first 8000 bytes). */
const SNIFF_BYTES = 8000;

/** Whether the start of a file says it is binary (checked while it arrives, before the whole of it is read). */
export function looksBinary(start: Uint8Array): boolean {
  return start.subarray(0, SNIFF_BYTES).includes(0);
}

/**
 * The file's text, or undefined when it is not text: invalid UTF-8 or a NUL byte. A site keeps text files only
 * (revisions store text, the editor shows it); binary Ansible files are skipped with a message, not stored.
 */
export function siteText(bytes: Uint8Array): string | undefined {
  if (looksBinary(bytes)) return undefined;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return text.includes("\u0000") ? undefined : text;
  } catch {
    return undefined;
  }
}
