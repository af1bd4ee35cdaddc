/**
 * Site archives: import from a .tgz/.tar/.zip upload, export as .tgz in the site directory's own layout
 * (files at the archive root), so a site round-trips through git byte for byte.
 */
import { gunzipSync, gzipSync, unzipSync } from "fflate";
import { Parser, type ReadEntry } from "tar";
import type { SiteFile } from "../inventory";
import { isSiteYaml } from "../inventory";
import { InvalidInputError } from "./errors";

export const ARCHIVE_LIMITS = { compressedBytes: 20 << 20, expandedBytes: 64 << 20, files: 5000 };

export interface ArchiveContents {
  files: SiteFile[];
  /** Entries that are not site YAML (keys, READMEs, links): not imported, listed so the user knows. */
  skipped: string[];
}

export async function readArchive(name: string, data: Uint8Array): Promise<ArchiveContents> {
  if (data.byteLength > ARCHIVE_LIMITS.compressedBytes) throw new InvalidInputError(`${name}: larger than ${ARCHIVE_LIMITS.compressedBytes >> 20} MiB`);
  if (data[0] === 0x50 && data[1] === 0x4b) return readZip(name, data);
  let tar = data;
  if (data[0] === 0x1f && data[1] === 0x8b) {
    try {
      tar = gunzipSync(data);
    } catch {
      throw new InvalidInputError(`${name}: not a valid gzip file`);
    }
  }
  return readTar(name, tar);
}

function collect(name: string): { add(path: string, bytes: Uint8Array | null): void; done(): ArchiveContents } {
  const files: SiteFile[] = [];
  const skipped: string[] = [];
  let total = 0;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    add(raw, bytes) {
      const path = raw.replace(/^\.\//, "");
      if (!path || path.endsWith("/")) return;
      if (files.length + skipped.length >= ARCHIVE_LIMITS.files) throw new InvalidInputError(`${name}: more than ${ARCHIVE_LIMITS.files} entries`);
      const unsafe = path.startsWith("/") || path.split("/").includes("..");
      if (bytes === null || unsafe || !isSiteYaml(path) || path.split("/").some((s) => s.startsWith(".") && s !== ".")) {
        skipped.push(path);
        return;
      }
      total += bytes.byteLength;
      if (total > ARCHIVE_LIMITS.expandedBytes) throw new InvalidInputError(`${name}: expands to more than ${ARCHIVE_LIMITS.expandedBytes >> 20} MiB`);
      try {
        files.push({ path, content: decoder.decode(bytes) });
      } catch {
        throw new InvalidInputError(`${name}: ${path} is not UTF-8 text`);
      }
    },
    done() {
      if (!files.length) throw new InvalidInputError(`${name}: no .yml or .yaml files found${skipped.length ? ` (found ${skipped.slice(0, 5).join(", ")})` : ""}`);
      return { files: files.sort((a, b) => (a.path < b.path ? -1 : 1)), skipped };
    },
  };
}

function readZip(name: string, data: Uint8Array): ArchiveContents {
  const out = collect(name);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(data, {
      filter: (f) => {
        if (f.originalSize > ARCHIVE_LIMITS.expandedBytes) throw new InvalidInputError(`${name}: ${f.name} is too large`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw new InvalidInputError(`${name}: not a valid zip file`);
  }
  for (const [path, bytes] of Object.entries(entries)) out.add(path, bytes);
  return out.done();
}

function readTar(name: string, data: Uint8Array): Promise<ArchiveContents> {
  const out = collect(name);
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      reject(e instanceof InvalidInputError ? e : new InvalidInputError(`${name}: not a valid tar archive`));
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== "File" && entry.type !== "OldFile") {
          if (entry.type !== "Directory") out.add(entry.path, null);
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on("data", (c: Buffer) => chunks.push(c));
        entry.on("end", () => {
          try {
            out.add(entry.path, Buffer.concat(chunks));
          } catch (e) {
            fail(e);
          }
        });
      },
    });
    parser.on("error", fail);
    parser.on("warn", (_code: string, message: string | Error) => fail(new InvalidInputError(`${name}: ${String(message instanceof Error ? message.message : message)}`)));
    parser.on("end", () => {
      if (failed) return;
      try {
        resolve(out.done());
      } catch (e) {
        fail(e);
      }
    });
    parser.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
}

/** A gzipped ustar archive of the files, deterministic: fixed mode, owner and the given time. */
export function writeTgz(files: readonly SiteFile[], mtime: Date): Uint8Array {
  const blocks: Uint8Array[] = [];
  const encoder = new TextEncoder();
  const seconds = Math.floor(mtime.getTime() / 1000);
  for (const f of files) {
    const body = encoder.encode(f.content);
    blocks.push(header(f.path, body.byteLength, seconds), body, new Uint8Array((512 - (body.byteLength % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const size = blocks.reduce((n, b) => n + b.byteLength, 0);
  const tar = new Uint8Array(size);
  let at = 0;
  for (const b of blocks) {
    tar.set(b, at);
    at += b.byteLength;
  }
  return gzipSync(tar, { level: 9, mtime });
}

function header(path: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => {
    const bytes = new TextEncoder().encode(text);
    if (bytes.byteLength > length) throw new InvalidInputError(`path too long for an archive: ${path}`);
    h.set(bytes, offset);
  };
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0");
  // ustar splits long paths into prefix (155) + name (100) at a slash.
  let name = path;
  let prefix = "";
  if (new TextEncoder().encode(path).byteLength > 100) {
    const cut = path.lastIndexOf("/", 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(mtime, 12), 136, 12);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  put("0", 156, 1);
  put("ustar\u0000", 257, 6);
  put("00", 263, 2);
  put(prefix, 345, 155);
  const sum = h.reduce((n, b) => n + b, 0);
  put(`${octal(sum, 7)}\u0000`, 148, 8);
  return h;
}
