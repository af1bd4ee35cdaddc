/**
 * The local transport: the same exec script as ssh, run on this machine. No fleet is needed: the commands run here.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { localTransport } from "../../server/transports/local";
import type { Connection } from "../../server/transports/types";
import { eventually, gate, markerDir, never, run, shellOut, sudoWorks } from "./helpers";

const T = { timeout: 30_000 };

/** Processes whose command line carries the marker (pgrep run directly: a shell around it would match too). */
function pgrepCount(marker: string): number {
  const r = spawnSync("pgrep", ["-f", marker]);
  return r.stdout.toString().split("\n").filter(Boolean).length;
}

describe("local transport", () => {
  let conn: Connection;
  let scratch: string;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "fd-local-test-"));
    chmodSync(scratch, 0o755);
    conn = await localTransport.connect({ host: "localhost", transport: "local", address: "localhost", host_key_checking: "strict" }, { signal: never });
  });
  after(async () => {
    await conn?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("description", () => {
    assert.equal(conn.description, `local ${userInfo().username}@${hostname()}`);
  });

  test("exit codes", T, async () => {
    assert.equal((await run(conn, "true")).exitCode, 0);
    assert.equal((await run(conn, "exit 7")).exitCode, 7);
    assert.equal((await run(conn, "no-such-command-xyz")).exitCode, 127);
  });

  test("stdout and stderr stream while the command runs, UTF-8 split across chunks", T, async () => {
    const g = join(scratch, `gate-${randomBytes(4).toString("hex")}`);
    const r = await run(conn, `echo first; printf '\\342\\202'; ${gate(g)}; printf '\\254\\n'; echo warn >&2`, {
      onStdout: (c) => {
        if (c.includes("first")) writeFileSync(g, "");
      },
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, "first\n€\n");
    assert.equal(r.stderr, "warn\n");
    assert.ok(r.stdoutChunks.length >= 2);
  });

  test("the command reads /dev/null, not the script", T, async () => {
    const r = await run(conn, "cat; echo after");
    assert.equal(r.stdout, "after\n");
  });

  test("env reaches the command and never shows in ps", T, async () => {
    const secret = `s3cret-${randomBytes(8).toString("hex")}`;
    const { sleep, marker, cleanup } = markerDir();
    const g = join(scratch, `gate-${randomBytes(4).toString("hex")}`);
    try {
      const running = run(conn, `echo "$FD_SECRET"; ${sleep} 30 & ${gate(g)}; kill $!`, { env: { FD_SECRET: secret } });
      await eventually(async () => Promise.resolve(pgrepCount(marker) === 1 ? true : undefined), "the command to start");
      const ps = shellOut("ps -eo args");
      writeFileSync(g, "");
      const r = await running;
      assert.equal(r.stdout, `${secret}\n`);
      assert.ok(ps.includes(marker));
      assert.ok(!ps.includes(secret));
    } finally {
      cleanup();
    }
  });

  test("cwd", T, async () => {
    assert.equal((await run(conn, "pwd", { cwd: scratch })).stdout, `${scratch}\n`);
    assert.equal((await run(conn, "pwd", { cwd: join(scratch, "missing") })).exitCode, 1);
  });

  test("become through sudo -n", T, async (t) => {
    const why = sudoWorks();
    if (why) return t.skip(why);
    const r = await run(conn, 'id -un; echo "$FD_X"', { become: "nobody", env: { FD_X: "x" } });
    assert.equal(r.stdout, "nobody\nx\n", r.stderr);
  });

  test("abort kills the whole process tree", T, async () => {
    const { sleep, marker, cleanup } = markerDir();
    try {
      const ac = new AbortController();
      const running = run(conn, `${sleep} 600 & ( ${sleep} 601 & wait ) & ${sleep} 602`, { signal: ac.signal });
      await eventually(async () => Promise.resolve(pgrepCount(marker) === 3 ? true : undefined), "3 marked processes");
      ac.abort();
      const r = await running;
      assert.equal(r.exitCode, null);
      assert.equal(r.signal, "SIGTERM");
      assert.equal(pgrepCount(marker), 0);
    } finally {
      cleanup();
    }
  });

  test("abort through sudo, and of a command that ignores SIGTERM", T, async (t) => {
    const { sleep, marker, cleanup } = markerDir();
    try {
      const ac = new AbortController();
      const running = run(conn, `trap '' TERM; ${sleep} 600 & ${sleep} 601`, { signal: ac.signal });
      await eventually(async () => Promise.resolve(pgrepCount(marker) === 2 ? true : undefined), "2 marked processes");
      ac.abort();
      assert.equal((await running).signal, "SIGKILL");
      assert.equal(pgrepCount(marker), 0);
      const why = sudoWorks();
      if (why) return t.skip(why);
      const ac2 = new AbortController();
      const viaSudo = run(conn, `${sleep} 600 & ${sleep} 601`, { signal: ac2.signal, become: "nobody" });
      await eventually(async () => Promise.resolve(pgrepCount(marker) === 2 ? true : undefined), "2 processes of nobody");
      ac2.abort();
      assert.equal((await viaSudo).signal, "SIGTERM");
      assert.equal(pgrepCount(marker), 0);
    } finally {
      cleanup();
    }
  });

  test("put and get files", T, async () => {
    const dir = join(scratch, "files");
    mkdirSync(dir);
    const path = join(dir, "f.bin");
    const bytes = randomBytes(50_000);
    await conn.putFile(path, bytes, { signal: never, mode: 0o600 });
    assert.equal(statSync(path).mode & 0o7777, 0o600);
    assert.ok((await conn.getFile(path, { signal: never }))?.equals(bytes));
    await conn.putFile(path, "v2", { signal: never });
    assert.equal(statSync(path).mode & 0o7777, 0o600, "mode kept");
    assert.equal(readFileSync(path, "utf8"), "v2");
    await conn.putFile(join(dir, "new"), "n", { signal: never });
    assert.equal(statSync(join(dir, "new")).mode & 0o7777, 0o644);
    assert.equal(await conn.getFile(join(dir, "missing"), { signal: never }), null);
    assert.deepEqual(readdirSync(dir).sort(), ["f.bin", "new"]);
    if (process.getuid?.() === 0) {
      await conn.putFile(join(dir, "owned"), "o", { signal: never, owner: "nobody", group: "nogroup", mode: 0o640 });
      const st = statSync(join(dir, "owned"));
      assert.equal(shellOut(`stat -c %U:%G ${join(dir, "owned")}`).trim(), "nobody:nogroup");
      assert.equal(st.mode & 0o7777, 0o640);
    }
  });

  test("put and get with become", T, async (t) => {
    const why = sudoWorks();
    if (why) return t.skip(why);
    const dir = join(scratch, "nobody");
    mkdirSync(dir);
    shellOut(`chown nobody ${dir} && chmod 700 ${dir}`);
    const path = join(dir, "x");
    await conn.putFile(path, "mine", { signal: never, become: "nobody", mode: 0o600 });
    assert.equal(shellOut(`stat -c %U:%a ${path}`).trim(), "nobody:600");
    assert.equal((await conn.getFile(path, { signal: never, become: "nobody" }))?.toString(), "mine");
    assert.equal(await conn.getFile(join(dir, "missing"), { signal: never, become: "nobody" }), null);
  });
});
