/**
 * Archives are read within ARCHIVE_LIMITS and SITE_LIMITS: bombs are refused while they inflate, with one count
 * over every entry (skipped ones too), and the process's peak memory shows it (getrusage's maxrss, the high-water
 * mark, which only grows: a bomb read in full would add its gigabyte to it).
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { ARCHIVE_LIMITS, SITE_LIMITS } from "../../server/limits";
import { readArchive, writeTgz } from "../../server/store/archive";
import { gzipBomb, manyEntries, tarHeader, zip, zipBomb } from "./bombs";

const MiB = 1 << 20;
const INVENTORY = Buffer.from("kind: inventory\napi_version: v1beta1\nspec: {}\n");
/** Peak resident memory of this process so far, in MiB. */
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

/** Read `data`, expecting a refusal matching `message`; returns how much the process's peak memory rose. */
async function refused(data: Uint8Array, message: RegExp): Promise<number> {
  const before = peakMiB();
  await assert.rejects(readArchive("upload", data), (e: Error) => {
    assert.match(e.message, message);
    assert.equal(e.name, "PayloadTooLargeError");
    return true;
  });
  return peakMiB() - before;
}

describe("archive limits", () => {
  test("the issue's zip bomb (18 entries of 60 MiB in 1 MiB) is refused as it passes 64 MiB expanded", async () => {
    const bomb = zipBomb();
    assert.ok(bomb.byteLength < 1.2 * MiB, `${bomb.byteLength} bytes`);
    const rise = await refused(bomb, /^upload expands to more than 64 MiB/);
    assert.ok(rise < ARCHIVE_LIMITS.expandedBytes / MiB + 48, `peak memory rose ${rise.toFixed(0)} MiB`);
  });

  test("a gzip bomb (a .tgz of one 1 GiB file in 1 MiB) is refused the same way", async () => {
    const rise = await refused(gzipBomb(), /^upload expands to more than 64 MiB/);
    assert.ok(rise < ARCHIVE_LIMITS.expandedBytes / MiB + 48, `peak memory rose ${rise.toFixed(0)} MiB`);
  });

  test("skipped entries count: a small site with 65 MiB of other files beside it is refused", async () => {
    const archive = zip([{ name: "inventory.yml", content: INVENTORY }, { name: "images/a.iso", zeros: 40 * MiB }, { name: "images/b.iso", zeros: 25 * MiB }]);
    await refused(archive, /expands to more than 64 MiB/);
    // Under the limit the same kind of archive imports, listing what it skipped.
    const fine = await readArchive("upload", zip([{ name: "inventory.yml", content: INVENTORY }, { name: "images/a.iso", zeros: 30 * MiB }]));
    assert.deepEqual(fine.files.map((f) => f.path), ["inventory.yml"]);
    assert.deepEqual(fine.skipped, ["images/a.iso"]);
  });

  test("an entry that declares more than the limit is refused before it is inflated", async () => {
    const archive = zip([{ name: "inventory.yml", content: INVENTORY }, { name: "huge.bin", zeros: 65 * MiB }]);
    const started = performance.now();
    await refused(archive, /expands to more than 64 MiB/);
    assert.ok(performance.now() - started < 1000);
  });

  test("a nested archive is an entry like any other: counted as stored, never opened", async () => {
    const inner = zipBomb(4, 10 * MiB);
    const got = await readArchive("upload", zip([{ name: "inventory.yml", content: INVENTORY }, { name: "vendor/inner.zip", content: inner }, { name: "vendor/inner.tgz", content: gzipBomb(64 * MiB) }]));
    assert.deepEqual(got.files.map((f) => f.path), ["inventory.yml"]);
    assert.deepEqual(got.skipped, ["vendor/inner.zip", "vendor/inner.tgz"]);
  });

  test("more than 10,000 entries, even empty ones, are refused", async () => {
    await refused(manyEntries(ARCHIVE_LIMITS.entries + 1), /has more than 10000 entries/);
    const got = await readArchive("upload", manyEntries(ARCHIVE_LIMITS.entries - 1));
    assert.equal(got.skipped.length, ARCHIVE_LIMITS.entries - 1);
  });

  test("an entry path over 1024 characters is refused, whatever the entry", async () => {
    const deep = `${"nested/".repeat(150)}inventory.yml`;
    await refused(zip([{ name: "inventory.yml", content: INVENTORY }, { name: deep, content: INVENTORY }]), /path is longer than 1024 characters/);
    const tar = gzipSync(Buffer.concat([tarHeader("inventory.yml", 0), paxPath(deep), tarHeader("x.yml", 0), Buffer.alloc(1024)]));
    await refused(new Uint8Array(tar), /path is longer than 1024 characters/);
  });

  test("a site file over 4 MiB, or site files over 16 MiB together, are refused while they arrive", async () => {
    await refused(zip([{ name: "inventory.yml", zeros: SITE_LIMITS.fileBytes + 1 }]), /inventory\.yml is larger than 4 MiB/);
    const big = "#".repeat(SITE_LIMITS.fileBytes - 16);
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `hosts-${i}.yml`, content: big }));
    await refused(writeTgz(files, new Date()), /site files total more than 16 MiB/);
  });

  test("an upload over 20 MiB is refused before it is read", async () => {
    await refused(new Uint8Array(ARCHIVE_LIMITS.uploadBytes + 1), /upload is 20 MiB; an archive may be at most 20 MiB/);
  });

  test("a zip cut short, or one with an unknown compression method, is invalid, not a hang", async () => {
    const whole = zip([{ name: "inventory.yml", zeros: 1 * MiB }]);
    await assert.rejects(readArchive("cut.zip", whole.subarray(0, 600)), /cut\.zip: not a valid zip file/);
    const lzma = Buffer.from(zip([{ name: "inventory.yml", content: INVENTORY }]));
    lzma.writeUInt16LE(14, 8);
    await assert.rejects(readArchive("lzma.zip", lzma), /lzma\.zip: inventory\.yml uses compression method 14/);
  });

  test("the event loop keeps turning while a bomb is read", async () => {
    const bomb = zipBomb();
    let worst = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    await assert.rejects(readArchive("upload", bomb), /expands to more than 64 MiB/);
    clearInterval(timer);
    // Between two yields fflate inflates at most 1 MiB plus one 4 KiB slice's output.
    assert.ok(worst < 1000, `the longest gap between timer ticks was ${worst.toFixed(0)} ms`);
  });
});

/** A pax extended header giving the next entry `path`. */
function paxPath(path: string): Buffer {
  let record = ` path=${path}\n`;
  record = `${record.length + String(record.length).length}${record}`;
  const body = Buffer.from(record);
  const header = tarHeader("PaxHeader", body.length);
  header.write("x", 156);
  let sum = 0;
  header.fill(0x20, 148, 156);
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
