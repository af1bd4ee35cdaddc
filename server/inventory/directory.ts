/**
 * Reading a site from a directory on disk (the CLI, imports): its documents and its Ansible content
 * (site-files.ts), nothing else. Binary Ansible files are not site files (a site keeps text): they are left out
 * and listed, so the caller can say so.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { NotFoundError } from "../errors";
import { looksBinary, siteFileKind, siteText } from "./site-files";
import type { SiteFile } from "./source";

const SKIP = new Set([".git", "node_modules"]);

export interface SiteDirectory {
  files: SiteFile[];
  /** Ansible content that is not text (images, archives, compiled files): not read into the site. */
  binary: string[];
}

export function readSiteDir(dir: string): SiteFile[] {
  return readSiteDirectory(dir).files;
}

export function readSiteDirectory(dir: string): SiteDirectory {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new SiteNotFoundError(dir);
  const files: SiteFile[] = [];
  const binary: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
      const full = join(at, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      const path = relative(dir, full).split(sep).join("/");
      const kind = siteFileKind(path);
      if (kind === "document") files.push({ path, content: readFileSync(full, "utf8") });
      else if (kind === "ansible") {
        // The start first: a large binary (an ISO under roles/x/files) is never read whole.
        const content = startsBinary(full) ? undefined : siteText(readFileSync(full));
        if (content === undefined) binary.push(path);
        else files.push({ path, content });
      }
    }
  };
  walk(dir);
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { files: files.sort((a, b) => order(a.path, b.path)), binary: binary.sort(order) };
}

function startsBinary(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const start = new Uint8Array(8000);
    return looksBinary(start.subarray(0, readSync(fd, start, 0, start.byteLength, 0)));
  } finally {
    closeSync(fd);
  }
}

export class SiteNotFoundError extends NotFoundError {
  override name = "SiteNotFoundError";
  constructor(readonly dir: string) {
    super(`${dir}: no such site directory`);
  }
}
