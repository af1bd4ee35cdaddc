/**
 * Inputs made to exhaust a server that reads them without bounds, small to send and large once read: zip and
 * gzip bombs, archives of too many or too deep entries, and anchor-heavy YAML. Built in milliseconds: one deflate
 * stream reused for every zip entry, one gzip member repeated for a gzip bomb.
 */
import { gzipSync } from "node:zlib";

const MiB = 1 << 20;

/** A deflate stream of `bytes` zero bytes and their CRC-32, cut out of gzip's output (its body and trailer). */
function deflatedZeros(bytes: number): { raw: Buffer; crc: number } {
  const gz = gzipSync(Buffer.alloc(bytes), { level: 9 });
  return { raw: gz.subarray(10, gz.length - 8), crc: gz.readUInt32LE(gz.length - 8) };
}

export interface ZipEntry {
  name: string;
  /** Stored as is, or deflated when `zeros` is given instead. */
  content?: Uint8Array;
  /** This many zero bytes, deflated. */
  zeros?: number;
}

/** A zip archive (local headers, data, central directory), deflating zero-filled entries once per size. */
export function zip(entries: ZipEntry[]): Uint8Array {
  const streams = new Map<number, { raw: Buffer; crc: number }>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    let method = 0;
    let data: Buffer;
    let crc: number;
    let size: number;
    if (e.zeros !== undefined) {
      if (!streams.has(e.zeros)) streams.set(e.zeros, deflatedZeros(e.zeros));
      ({ raw: data, crc } = streams.get(e.zeros)!);
      method = 8;
      size = e.zeros;
    } else {
      data = Buffer.from(e.content ?? new Uint8Array());
      crc = crc32(data);
      size = data.length;
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}

/** The zip: 18 entries of 60 MiB of zeros (1.06 GiB) in about a megabyte. */
export function zipBomb(entries = 18, bytesEach = 60 * MiB): Uint8Array {
  return zip([{ name: "inventory.yml", content: Buffer.from("kind: inventory\napi_version: v1beta1\nspec: {}\n") }, ...Array.from({ length: entries }, (_, i) => ({ name: `disk-${i}.img`, zeros: bytesEach }))]);
}

/** A ustar header for a regular file (or a directory when the name ends with '/'). */
export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const dir = name.endsWith("/");
  h.write(name.slice(0, 100), 0);
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.fill(0x20, 148, 156);
  h.write(dir ? "5" : "0", 156);
  h.write("ustar\u000000", 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
}

/**
 * A .tgz holding one file of `bytes` zeros, as concatenated gzip members (valid gzip: gunzip reads them as one
 * stream): the header, then one gzipped MiB of zeros repeated. 1 GiB costs about a megabyte.
 */
export function gzipBomb(bytes = 1024 * MiB, name = "disk.img"): Uint8Array {
  const zerosMember = gzipSync(Buffer.alloc(MiB), { level: 9 });
  const members = [gzipSync(Buffer.concat([tarHeader("inventory.yml", 0), tarHeader(name, bytes)]))];
  for (let n = 0; n < bytes; n += MiB) members.push(zerosMember);
  members.push(gzipSync(Buffer.alloc(1024)));
  return new Uint8Array(Buffer.concat(members));
}

/** A .tgz of `count` empty entries (plus one YAML file): within every byte limit, over the entry limit. */
export function manyEntries(count: number): Uint8Array {
  const blocks = [tarHeader("inventory.yml", 0)];
  for (let i = 0; i < count; i++) blocks.push(tarHeader(`e/${i}`, 0));
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(blocks)));
}

/**
 * YAML that `yaml` (not the fast path) must parse, anchors and aliases throughout: the lint bomb of the issue.
 * Each alias expands once, so alias limits never stop it; the cost is `yaml`'s parsing and the model's work.
 */
export function anchorHeavyYaml(bytes: number): string {
  const parts = ["kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n"];
  let length = parts[0]!.length;
  for (let i = 0; length < bytes; i++) {
    const s = `  - &h${i} {name: h${i}, data: &d${i} {a: 1, b: [1, 2, 3]}}\n  - {name: x${i}, data: *d${i}}\n`;
    parts.push(s);
    length += s.length;
  }
  return parts.join("");
}

let table: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of data) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
