/**
 * Writing a bundle (relative path -> content) as a .tgz, a .zip or a directory. Archives are deterministic: the
 * same files give the same bytes (entries sorted, every parent directory listed before its files, a fixed time,
 * owner 0, modes 0755 for directories and 0644 for files). A directory is written beside its target and renamed
 * into place, so a failure never leaves half a bundle.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { gzipSync, zipSync, type Zippable } from "fflate";
import { InvalidInputError } from "../../errors";

/** The time every entry carries: fixed, so archives do not change with the clock (and after 1980, which zip cannot go below). */
export const BUNDLE_MTIME = new Date("2000-01-01T00:00:00Z");
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;

export type BundleFormat = "tgz" | "zip";

/** Directories first where they are needed: each path's parents, then the path, in sorted order. */
function entries(files: ReadonlyMap<string, string>): { path: string; dir: boolean; body?: Uint8Array }[] {
  const encoder = new TextEncoder();
  const out: { path: string; dir: boolean; body?: Uint8Array }[] = [];
  const dirs = new Set<string>();
  for (const path of [...files.keys()].sort()) {
    if (path.startsWith("/") || path.split("/").some((s) => s === "" || s === "." || s === "..")) throw new InvalidInputError(`not a relative path: ${path}`);
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        out.push({ path: `${d}/`, dir: true });
      }
    }
    out.push({ path, dir: false, body: encoder.encode(files.get(path)) });
  }
  return out;
}

export function bundleTgz(files: ReadonlyMap<string, string>): Uint8Array {
  const seconds = Math.floor(BUNDLE_MTIME.getTime() / 1000);
  const blocks: Uint8Array[] = [];
  for (const e of entries(files)) {
    const body = e.body ?? new Uint8Array(0);
    blocks.push(tarHeader(e.path, body.byteLength, seconds, e.dir), body, new Uint8Array((512 - (body.byteLength % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return gzipSync(Buffer.concat(blocks), { level: 9, mtime: BUNDLE_MTIME });
}

/** A ustar header (POSIX.1-1988): type '5' for a directory, '0' for a file, owner 0:0. */
function tarHeader(path: string, size: number, mtime: number, dir: boolean): Uint8Array {
  const h = new Uint8Array(512);
  const encoder = new TextEncoder();
  const put = (text: string, offset: number, length: number) => {
    const bytes = encoder.encode(text);
    if (bytes.byteLength > length) throw new InvalidInputError(`path too long for a tar archive: ${path}`);
    h.set(bytes, offset);
  };
  const octal = (n: number, length: number) => `${n.toString(8).padStart(length - 1, "0")}\u0000`;
  // ustar splits a long path into prefix (155 bytes) and name (100) at a slash.
  let name = path;
  let prefix = "";
  if (encoder.encode(path).byteLength > 100) {
    const cut = path.lastIndexOf("/", path.endsWith("/") ? path.length - 2 : path.length - 1);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  put(name, 0, 100);
  put(octal(dir ? DIR_MODE : FILE_MODE, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // the checksum is summed with its own field as spaces
  put(dir ? "5" : "0", 156, 1);
  put("ustar\u0000", 257, 6);
  put("00", 263, 2);
  put(prefix, 345, 155);
  const sum = h.reduce((n, b) => n + b, 0);
  put(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8);
  return h;
}

export function bundleZip(files: ReadonlyMap<string, string>): Uint8Array {
  const zippable: Zippable = {};
  for (const e of entries(files)) {
    // Unix modes in the external attributes (os 3), as zip and unzip read them.
    const attrs = ((e.dir ? 0o040000 | DIR_MODE : 0o100000 | FILE_MODE) << 16) >>> 0;
    zippable[e.path] = [e.body ?? new Uint8Array(0), { mtime: BUNDLE_MTIME, os: 3, attrs, level: e.dir ? 0 : 9 }];
  }
  return zipSync(zippable, { mtime: BUNDLE_MTIME });
}

/**
 * Write the bundle as the directory `target`, which must not exist or be empty: written to a temporary
 * directory beside it, then renamed into place.
 */
export function writeBundleDir(files: ReadonlyMap<string, string>, target: string): void {
  const st = statSync(target, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InvalidInputError(`${target} exists and is not a directory`);
  if (st && readdirSync(target).length) throw new InvalidInputError(`${target} is not empty; give a new or empty directory`);
  const parent = dirname(target);
  if (!statSync(parent, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidInputError(`${parent}: no such directory`);
  const temp = mkdtempSync(join(parent, `.${basename(target)}.partial-`));
  try {
    chmodSync(temp, DIR_MODE);
    for (const e of entries(files)) {
      const at = join(temp, e.path);
      if (e.dir) {
        mkdirSync(at);
        chmodSync(at, DIR_MODE);
      } else {
        writeFileSync(at, e.body!);
        chmodSync(at, FILE_MODE);
      }
    }
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

/** Which writer a file name asks for: `.tgz`/`.tar.gz` or `.zip`; anything else is a directory. */
export function formatOf(path: string): BundleFormat | "dir" {
  if (/\.(tgz|tar\.gz)$/i.test(path)) return "tgz";
  if (/\.zip$/i.test(path)) return "zip";
  return "dir";
}
