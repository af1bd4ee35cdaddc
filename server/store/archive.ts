/**
 * Site archives: import from a .tgz/.tar/.zip upload, export as .tgz in the site directory's own layout
 * (files at the archive root), so a site round-trips through git byte for byte.
 *
 * Reading is bounded by ARCHIVE_LIMITS and SITE_LIMITS (server/limits.ts): an archive is inflated as a stream,
 * a slice at a time, with one running count of expanded bytes over every entry (skipped ones too), and reading
 * stops at the first limit passed. Only site files are kept: documents and Ansible content (text only; binary
 * Ansible files are skipped and listed). gzip is inflated by Node's zlib (off the event loop); zip entries by
 * fflate, yielding to other requests between slices.
 */
import { once } from "node:events";
import { setImmediate as nextTurn } from "node:timers/promises";
import { createGunzip } from "node:zlib";
import { gzipSync, Unzip, UnzipInflate, type UnzipFile } from "fflate";
import { Parser, type ReadEntry } from "tar";
import type { SiteFile, SiteFileKind } from "../inventory";
import { looksBinary, siteFileKind, siteText } from "../inventory";
import { ARCHIVE_LIMITS, SITE_LIMITS, size, tooLarge } from "../limits";
import { InvalidInputError } from "./errors";

export interface ArchiveContents {
  files: SiteFile[];
  /** Entries that are not site files (keys, READMEs, links, binary Ansible files): not imported, listed so the user knows. */
  skipped: string[];
  /** Those of `skipped` that are Ansible content but not text (a site keeps text files only). */
  binary: string[];
}

/** An entry being kept: `dropped` once it shows itself binary Ansible content (its rest is only counted). */
interface Kept {
  path: string;
  kind: SiteFileKind;
  dropped?: boolean;
}

/**
 * Compressed input is handed to the inflater this much at a time. Deflate expands at most ~1000 times, so one
 * zip slice (fflate inflates a pushed slice at once) is at most 4 MiB of output; zlib streams in 16 KiB pieces.
 */
const SLICE = 16 << 10;
const ZIP_SLICE = 4 << 10;
/** Inflated bytes between two yields to the event loop (zip entries inflate on it). */
const YIELD_EVERY = 1 << 20;

export interface ReadArchiveOptions {
  /**
   * Which entries to keep, and as what: site files by default. An Ansible inventory keeps every text file (as
   * "ansible": text only, binary ones skipped and listed), since its files need no extension.
   */
  keep?: (path: string) => SiteFileKind | null;
}

export async function readArchive(name: string, data: Uint8Array, options: ReadArchiveOptions = {}): Promise<ArchiveContents> {
  if (data.byteLength > ARCHIVE_LIMITS.uploadBytes) throw tooLarge(`${name} is ${size(data.byteLength)}; an archive may be at most ${size(ARCHIVE_LIMITS.uploadBytes)}`);
  const out = new Collector(name, options.keep ?? siteFileKind);
  if (data[0] === 0x50 && data[1] === 0x4b) await readZip(out, data);
  else if (data[0] === 0x1f && data[1] === 0x8b) await readTar(out, data, true);
  else await readTar(out, data, false);
  return out.done();
}

/** What an archive held so far, and the counts its limits are checked against. */
class Collector {
  private readonly files: SiteFile[] = [];
  private readonly skipped: string[] = [];
  private readonly binary: string[] = [];
  private expanded = 0;
  private entries = 0;
  private siteBytes = 0;
  private sinceYield = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(
    readonly name: string,
    private readonly keep: (path: string) => SiteFileKind | null,
  ) {}

  /** Count bytes as they are inflated, of any entry; past the limit the archive is refused. */
  inflated(bytes: number) {
    this.expanded += bytes;
    this.sinceYield += bytes;
    if (this.expanded > ARCHIVE_LIMITS.expandedBytes) throw tooLarge(`${this.name} expands to more than ${size(ARCHIVE_LIMITS.expandedBytes)}, the most an archive may expand to`);
  }

  /** Whether enough was inflated since the last call that other requests should get a turn. */
  dueForYield(): boolean {
    if (this.sinceYield < YIELD_EVERY) return false;
    this.sinceYield = 0;
    return true;
  }

  /** A new entry: what to keep of it when it is a site file, else undefined (listed as skipped). */
  entry(raw: string, isFile: boolean): Kept | undefined {
    if (++this.entries > ARCHIVE_LIMITS.entries) throw tooLarge(`${this.name} has more than ${ARCHIVE_LIMITS.entries} entries`);
    if (raw.length > ARCHIVE_LIMITS.pathLength) throw tooLarge(`${this.name} has an entry whose path is longer than ${ARCHIVE_LIMITS.pathLength} characters (${raw.slice(0, 60)}…)`);
    const path = raw.replace(/^\.\//, "");
    if (!path || path.endsWith("/")) return undefined;
    const unsafe = path.startsWith("/") || path.split("/").includes("..");
    const kind = isFile && !unsafe ? this.keep(path) : null;
    if (!kind) {
      this.skipped.push(path);
      return undefined;
    }
    if (this.files.length >= SITE_LIMITS.files) throw tooLarge(`${this.name} has more than ${SITE_LIMITS.files} site files`);
    return { path, kind };
  }

  /**
   * A slice of a kept file as it arrives, `bytes` of it so far: whether to keep collecting it. Binary Ansible
   * content shows itself in its first slice and is dropped there, so its size is never held against the site.
   */
  chunk(kept: Kept, slice: Uint8Array, bytes: number): boolean {
    if (kept.dropped) return false;
    if (kept.kind === "ansible" && bytes === slice.byteLength && looksBinary(slice)) {
      this.drop(kept);
      return false;
    }
    this.growing(kept.path, bytes);
    return true;
  }

  private drop(kept: Kept) {
    kept.dropped = true;
    this.skipped.push(kept.path);
    this.binary.push(kept.path);
  }

  /** Check a kept file while it arrives: `bytes` of it so far. */
  private growing(path: string, bytes: number) {
    if (bytes > SITE_LIMITS.fileBytes) throw tooLarge(`${this.name}: ${path} is larger than ${size(SITE_LIMITS.fileBytes)}, the most a site file may be`);
    if (this.siteBytes + bytes > SITE_LIMITS.siteBytes) throw tooLarge(`${this.name}: its site files total more than ${size(SITE_LIMITS.siteBytes)}, the most a site may be`);
  }

  /** A kept file's whole content (nothing for one dropped on the way). */
  add(kept: Kept, bytes: Uint8Array) {
    if (kept.dropped) return;
    const { path } = kept;
    this.growing(path, bytes.byteLength);
    let content: string | undefined;
    if (kept.kind === "ansible") {
      content = siteText(bytes);
      if (content === undefined) return this.drop(kept);
    } else {
      try {
        content = this.decoder.decode(bytes);
      } catch {
        throw new InvalidInputError(`${this.name}: ${path} is not UTF-8 text`);
      }
    }
    this.siteBytes += bytes.byteLength;
    this.files.push({ path, content });
  }

  done(): ArchiveContents {
    const { files, skipped, binary } = this;
    if (!files.length) throw new InvalidInputError(`${this.name}: no site files found (.yml or .yaml documents, or Ansible content)${skipped.length ? ` (found ${skipped.slice(0, 5).join(", ")})` : ""}`);
    return { files: files.sort((a, b) => (a.path < b.path ? -1 : 1)), skipped, binary };
  }
}

/** The archive a slice at a time; every entry is inflated (and counted), kept ones are also collected. */
async function readZip(out: Collector, data: Uint8Array): Promise<void> {
  let failure: Error | undefined;
  const open = new Set<string>();
  const unzip = new Unzip((file: UnzipFile) => {
    if (failure) return;
    try {
      const kept = out.entry(file.name, !file.name.endsWith("/"));
      // A size the entry declares is checked at once; the bytes it really inflates to are counted below.
      if ((file.originalSize ?? 0) > ARCHIVE_LIMITS.expandedBytes) out.inflated(file.originalSize!);
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      open.add(file.name);
      file.ondata = (err, chunk, final) => {
        if (failure) return;
        try {
          if (err) throw new InvalidInputError(`${out.name}: ${file.name}: ${err.message}`);
          out.inflated(chunk.byteLength);
          if (kept && !kept.dropped) {
            bytes += chunk.byteLength;
            if (out.chunk(kept, chunk, bytes)) chunks.push(chunk);
          }
          if (!final) return;
          open.delete(file.name);
          if (kept) out.add(kept, concat(chunks, bytes));
        } catch (e) {
          failure = asError(e);
        }
      };
      if (file.compression !== 0 && file.compression !== 8) throw new InvalidInputError(`${out.name}: ${file.name} uses compression method ${file.compression}; only stored and deflate entries can be read`);
      file.start();
    } catch (e) {
      failure = asError(e);
    }
  });
  unzip.register(UnzipInflate);
  for (let at = 0; at < data.byteLength && !failure; at += ZIP_SLICE) {
    try {
      unzip.push(data.subarray(at, at + ZIP_SLICE), at + ZIP_SLICE >= data.byteLength);
    } catch (e) {
      // Our own callbacks catch what they throw, so this is fflate refusing the data.
      failure ??= new InvalidInputError(`${out.name}: not a valid zip file${e instanceof Error && e.message ? ` (${e.message})` : ""}`);
    }
    if (out.dueForYield()) await nextTurn();
  }
  if (failure) throw failure;
  if (open.size) throw new InvalidInputError(`${out.name}: not a valid zip file (it ends inside ${[...open][0]})`);
}

/** A tar archive, gzipped or not: gzip is inflated by zlib as a stream, and the tar parser reads what comes out. */
async function readTar(out: Collector, data: Uint8Array, gzipped: boolean): Promise<void> {
  let failure: Error | undefined;
  const fail = (e: unknown) => {
    failure ??= asError(e);
  };
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (failure) return void entry.resume();
      try {
        const isFile = entry.type === "File" || entry.type === "OldFile";
        const kept = entry.type === "Directory" ? out.entry(`${entry.path.replace(/\/?$/, "/")}`, false) : out.entry(entry.path, isFile);
        if (kept === undefined) return void entry.resume();
        const chunks: Buffer[] = [];
        let bytes = 0;
        entry.on("data", (c: Buffer) => {
          if (failure) return;
          try {
            bytes += c.byteLength;
            if (out.chunk(kept, c, bytes)) chunks.push(c);
          } catch (e) {
            fail(e);
          }
        });
        entry.on("end", () => {
          if (failure) return;
          try {
            out.add(kept, Buffer.concat(chunks));
          } catch (e) {
            fail(e);
          }
        });
      } catch (e) {
        fail(e);
        entry.resume();
      }
    },
  });
  const ended = new Promise<void>((resolve) => {
    parser.on("end", resolve);
    parser.on("error", (e: Error) => {
      fail(new InvalidInputError(`${out.name}: not a valid tar archive (${e.message})`));
      resolve();
    });
    parser.on("warn", (_code: string, message: string | Error) => {
      fail(new InvalidInputError(`${out.name}: ${String(message instanceof Error ? message.message : message)}`));
      resolve();
    });
  });
  const write = (chunk: Buffer) => {
    if (failure) return;
    try {
      out.inflated(chunk.byteLength);
      parser.write(chunk);
    } catch (e) {
      fail(e);
    }
  };

  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (gzipped) {
    const gunzip = createGunzip();
    const inflated = new Promise<void>((resolve) => {
      gunzip.on("data", (chunk: Buffer) => {
        write(chunk);
        if (failure) gunzip.destroy();
      });
      gunzip.on("end", resolve);
      gunzip.on("close", resolve);
      gunzip.on("error", (e) => {
        fail(new InvalidInputError(`${out.name}: not a valid gzip file (${e.message})`));
        resolve();
      });
    });
    for (let at = 0; at < input.byteLength && !failure; at += SLICE) {
      if (!gunzip.write(input.subarray(at, at + SLICE))) await Promise.race([once(gunzip, "drain").catch(() => undefined), inflated]);
    }
    if (failure) gunzip.destroy();
    else gunzip.end();
    await inflated;
  } else {
    for (let at = 0; at < input.byteLength && !failure; at += SLICE) {
      write(input.subarray(at, at + SLICE));
      if (out.dueForYield()) await nextTurn();
    }
  }
  // A closure: the callbacks above set `failure` while this function awaits, which narrowing cannot see.
  const check = () => {
    if (failure) throw failure;
  };
  check();
  parser.end();
  await ended;
  check();
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
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
