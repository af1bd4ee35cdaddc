/**
 * Files a site's connection names (`key_file`, `known_hosts`), as a server reads them: only inside the
 * directories its FilePolicy lists and never inside the denied ones (the data directory), judged on the real
 * path, so a symlink or `..` cannot lead elsewhere. Lint says the same before a run (inventory/policy.ts).
 */
import { realpath } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { fileRefusal, inside, type FilePolicy } from "../inventory/policy";

async function real(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // A file still to be created (known_hosts under accept-new): judge the directory it will be created in.
    try {
      return join(await realpath(dirname(path)), basename(path));
    } catch {
      return posix.normalize(path);
    }
  }
}

/** The real path of `path`, or an Error saying why this server does not let a site read it. */
export async function allowedSiteFile(path: string, field: string, files: FilePolicy): Promise<string> {
  const refused = fileRefusal(path, field, { files });
  if (refused) throw new Error(refused);
  const target = await real(path);
  const [dirs, deny] = await Promise.all([Promise.all(files.dirs.map(real)), Promise.all(files.deny.map(real))]);
  if (deny.some((d) => inside(target, d)) || !dirs.some((d) => inside(target, d))) {
    throw new Error(`${field} ${path} leads to ${target}, which is outside the directories the server allows (FLIGHTDECK_KEY_DIRS) or inside its data directory`);
  }
  return target;
}
