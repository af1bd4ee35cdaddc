import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { zipSync } from "fflate";
import { readArchive, writeTgz } from "../../server/store/archive";
import { InvalidInputError } from "../../server/store/errors";

const FILES = [
  { path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec: {}\n# café ✓\n" },
  { path: "profiles/base.yaml", content: "kind: profile\n" },
  { path: `${"deep/".repeat(25)}long-name-beyond-one-hundred-bytes.yml`, content: "a: 1\n" },
];

describe("site archives", () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), "fd-archive-"));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test("export then import gives the same files, byte for byte", async () => {
    const tgz = writeTgz(FILES, new Date("2026-01-02T03:04:05Z"));
    const back = await readArchive("site.tgz", tgz);
    assert.deepEqual(back.files, [...FILES].sort((a, b) => (a.path < b.path ? -1 : 1)));
    assert.deepEqual(back.skipped, []);
  });

  test("export is deterministic", () => {
    const when = new Date("2026-01-02T03:04:05Z");
    assert.deepEqual(writeTgz(FILES, when), writeTgz(FILES, when));
  });

  test("GNU tar extracts an export into the site directory layout", () => {
    const dir = temp();
    const file = join(dir, "site.tgz");
    writeFileSync(file, writeTgz(FILES, new Date()));
    const out = join(dir, "out");
    mkdirSync(out);
    execFileSync("tar", ["-xzf", file, "-C", out]);
    for (const f of FILES) assert.equal(readFileSync(join(out, f.path), "utf8"), f.content, f.path);
  });

  test("a tarball made by GNU tar imports its YAML and lists what it skipped", async () => {
    const dir = temp();
    const site = join(dir, "site");
    mkdirSync(join(site, "keys"), { recursive: true });
    writeFileSync(join(site, "inventory.yml"), FILES[0]!.content);
    writeFileSync(join(site, "keys", "deploy"), "not a real key");
    writeFileSync(join(site, "README.md"), "# site\n");
    symlinkSync("inventory.yml", join(site, "link.yml"));
    execFileSync("tar", ["-czf", join(dir, "site.tgz"), "-C", site, "."]);
    const got = await readArchive("site.tgz", readFileSync(join(dir, "site.tgz")));
    assert.deepEqual(got.files, [FILES[0]]);
    assert.deepEqual([...got.skipped].sort(), ["README.md", "keys/deploy", "link.yml"]);
  });

  test("zip archives import too", async () => {
    const enc = new TextEncoder();
    const zip = zipSync({ "inventory.yml": enc.encode(FILES[0]!.content), "notes.txt": enc.encode("x") });
    const got = await readArchive("site.zip", zip);
    assert.deepEqual(got.files, [FILES[0]]);
    assert.deepEqual(got.skipped, ["notes.txt"]);
  });

  test("entries that would escape the site directory are never imported", async () => {
    const tgz = writeTgz([{ path: "../evil.yml", content: "x: 1\n" }, FILES[0]!], new Date());
    const got = await readArchive("site.tgz", tgz);
    assert.deepEqual(got.files.map((f) => f.path), ["inventory.yml"]);
    assert.deepEqual(got.skipped, ["../evil.yml"]);
  });

  test("garbage and empty archives are clear errors", async () => {
    await assert.rejects(readArchive("x.tgz", new Uint8Array([0x1f, 0x8b, 1, 2, 3])), InvalidInputError);
    await assert.rejects(readArchive("x.zip", new Uint8Array([0x50, 0x4b, 9, 9])), InvalidInputError);
    await assert.rejects(readArchive("x.tar", new TextEncoder().encode("hello world")), InvalidInputError);
    await assert.rejects(readArchive("x.tgz", writeTgz([{ path: "notes.txt", content: "x" }], new Date())), /no site files found \(\.yml or \.yaml documents, or Ansible content\) \(found notes\.txt\)/);
  });
});
