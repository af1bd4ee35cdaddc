/** Reading a site from a directory on disk (the CLI, imports): every YAML file below it, nothing else. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { NotFoundError } from "../errors";
import { isSiteYaml, type SiteFile } from "./source";

const SKIP = new Set([".git", "node_modules"]);

export function readSiteDir(dir: string): SiteFile[] {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new SiteNotFoundError(dir);
  const files: SiteFile[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const full = join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && isSiteYaml(entry.name)) {
        files.push({ path: relative(dir, full).split(sep).join("/"), content: readFileSync(full, "utf8") });
      }
    }
  };
  walk(dir);
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export class SiteNotFoundError extends NotFoundError {
  override name = "SiteNotFoundError";
  constructor(readonly dir: string) {
    super(`${dir}: no such site directory`);
  }
}
