/**
 * Local steps on a server run in the bubblewrap sandbox: unprivileged, a clean environment, a private home
 * and /tmp kept between one connection's steps (and removed after), the system read-only, hidden paths
 * hidden, no become; cancel still ends the whole command tree. And what a server says when it cannot isolate.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { localTransport, SANDBOX_BECOME_REFUSED } from "../../server/transports/local";
import { hiddenPaths } from "../../server/runs/policy";
import { findSandbox, prepareWorkspaces, SANDBOX_HOME, type Sandbox } from "../../server/transports/sandbox";
import type { Connection, ExecOptions } from "../../server/transports/types";

const found = findSandbox({ hide: ["/etc/ssl", "/etc/hostname"], runUser: "nobody" });
const never = new AbortController().signal;
const SETTINGS = { host: "box", transport: "local", address: "box", host_key_checking: "strict" } as const;

async function run(conn: Connection, command: string, options: Partial<ExecOptions> = {}) {
  let stdout = "";
  let stderr = "";
  const r = await conn.exec(command, {
    signal: never,
    ...options,
    onStdout: (s) => {
      stdout += s;
      options.onStdout?.(s);
    },
    onStderr: (s) => (stderr += s),
  });
  return { ...r, stdout, stderr };
}

describe("the sandbox of local steps", { skip: found.ok ? false : `no sandbox here: ${found.ok ? "" : found.message}` }, () => {
  let sandbox: Sandbox;
  let conn: Connection;
  before(async () => {
    sandbox = (found as { sandbox: Sandbox }).sandbox;
    conn = await localTransport.connect(SETTINGS, { signal: never, local: { sandbox } });
  });
  after(() => conn?.close());

  test("steps run at the lowest CPU priority: the process and, where the kernel groups sessions, its session", async () => {
    assert.ok(getPriority() < 19, "the server itself runs above the lowest priority");
    assert.equal(Number((await run(conn, "nice")).stdout.trim()), 19);
    // All steps share the spawner's session (server/transports/spawner.ts); with autogroups, its niceness is
    // what the scheduler weighs against the server's.
    if (existsSync("/proc/self/autogroup")) assert.match((await run(conn, "cat /proc/self/autogroup")).stdout, / nice 19$/m);
  });

  test("a clean environment, an unprivileged user, its own home as the working directory", async () => {
    const r = await run(conn, "env | sort; id -u; pwd", { env: { FD_STEP: "set by the step" } });
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    const names = lines.filter((l) => l.includes("=")).map((l) => l.split("=")[0]);
    assert.deepEqual(names, ["FD_STEP", "HOME", "LANG", "PATH", "PWD"]);
    assert.ok(lines.includes(`HOME=${SANDBOX_HOME}`));
    assert.notEqual(lines.at(-2), "0", "not root");
    assert.equal(lines.at(-1), SANDBOX_HOME);
  });

  test("only the system, read-only; nothing else of the server's files; hidden paths are empty", async () => {
    const r = await run(conn, "ls /; ls -A /etc/ssl | wc -l; wc -c < /etc/hostname; touch /usr/x 2>&1; ls /proc | grep -c '^[0-9]'");
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.slice(0, lines.indexOf("usr") + 1).filter((l) => !["bin", "lib", "lib32", "lib64", "libx32", "sbin"].includes(l)), ["dev", "etc", "home", "proc", "tmp", "usr"]);
    assert.ok(readdirSync("/etc/ssl").length > 0 && lines.includes("0"), "/etc/ssl is hidden (empty inside)");
    assert.ok(existsSync("/etc/hostname"));
    assert.match(r.stdout, /Read-only file system/);
    assert.ok(Number(lines.at(-1)) < 10, `a fresh /proc shows only the sandbox's processes: ${lines.at(-1)}`);
  });

  test("home and /tmp last for the connection's steps (file moves too) and go with it", async () => {
    await run(conn, "mkdir -p /tmp/demo && echo kept > ~/state");
    await conn.putFile("/tmp/demo/app.conf", "a=1\n", { mode: 0o600, signal: never });
    assert.equal((await conn.getFile("/tmp/demo/app.conf", { signal: never }))?.toString(), "a=1\n");
    assert.equal(await conn.getFile("/tmp/demo/missing", { signal: never }), null);
    const r = await run(conn, "cat ~/state; stat -c %a /tmp/demo/app.conf");
    assert.equal(r.stdout, "kept\n600\n");
    const other = await localTransport.connect(SETTINGS, { signal: never, local: { sandbox } });
    assert.equal((await run(other, "ls -A /tmp; ls -A ~")).stdout, "", "another connection starts with an empty home and /tmp");
    await other.close();
    await assert.rejects(conn.putFile("/etc/flightdeck-test", "x", { signal: never }), /cannot write \/etc\/flightdeck-test/);
  });

  test("become is refused, never run through sudo", async () => {
    await assert.rejects(conn.exec("id", { signal: never, become: true }), (e: Error) => e.message === SANDBOX_BECOME_REFUSED);
    await assert.rejects(conn.putFile("/tmp/x", "x", { signal: never, become: "root" }), (e: Error) => e.message === SANDBOX_BECOME_REFUSED);
  });

  test("cancel ends the command and everything it started", async () => {
    const controller = new AbortController();
    // Cancelled as soon as the command says it has started its background child.
    const r = await run(conn, "sleep 60 & echo started; sleep 60; echo not reached", { signal: controller.signal, onStdout: (s) => s.includes("started") && controller.abort() });
    assert.equal(r.exitCode, null);
    assert.ok(r.durationMs < 8000, `ended in ${r.durationMs} ms`);
    assert.ok(!r.stdout.includes("not reached"));
  });

  test("cancel sends TERM first (a handler runs), then KILL to what ignores it", async () => {
    const abortOnStart = () => {
      const controller = new AbortController();
      return { signal: controller.signal, onStdout: (s: string) => s.includes("started") && controller.abort() };
    };
    const handled = await run(conn, "trap 'echo got-term; exit 3' TERM; echo started; sleep 60 & wait", abortOnStart());
    assert.match(handled.stdout, /got-term/);
    const stubborn = await run(conn, "trap '' TERM; echo started; sleep 60; echo not reached", abortOnStart());
    assert.equal(stubborn.exitCode, null);
    assert.ok(!stubborn.stdout.includes("not reached"));
  });

  test("a connection's workspace is removed when it closes", async () => {
    const c = await localTransport.connect(SETTINGS, { signal: never, local: { sandbox } });
    const cmdline = (await run(c, "cat /proc/1/cmdline | tr '\\0' '\\n' | grep -m1 flightdeck-local-")).stdout.trim();
    const dir = cmdline.replace(/\/(home|tmp)$/, "");
    assert.ok(existsSync(dir), dir);
    await c.close();
    assert.ok(!existsSync(dir), `${dir} is gone`);
  });
});

test("a server's workspaces live in its own directory, emptied at start (a killed server's leftovers go)", { skip: !found.ok }, async () => {
  const parent = mkdtempSync(join(tmpdir(), "fd-workspaces-"));
  try {
    // A directory the run user cannot reach is found by the probe, with bwrap's reason.
    const closed = findSandbox({ hide: [], runUser: "nobody", workspaces: parent });
    if (process.getuid?.() === 0) assert.ok(!closed.ok && /bwrap cannot make its sandbox as nobody/.test(closed.message), JSON.stringify(closed));
    chmodSync(parent, 0o711);
    const dir = join(parent, "runs");
    mkdirSync(join(dir, "flightdeck-local-left"), { recursive: true });
    writeFileSync(join(dir, "flightdeck-local-left", "state"), "from a killed server");
    assert.equal(prepareWorkspaces(dir), dir);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(statSync(dir).mode & 0o777, 0o711);
    const status = findSandbox({ hide: [], runUser: "nobody", workspaces: dir });
    assert.ok(status.ok);
    const conn = await localTransport.connect(SETTINGS, { signal: never, local: { sandbox: status.sandbox } });
    assert.equal((await run(conn, "echo hi > /tmp/x; cat /tmp/x")).stdout, "hi\n");
    assert.equal(readdirSync(dir).length, 1);
    await conn.close();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test("a step sees neither the data directory nor any site's key directory", () => {
  const hidden = hiddenPaths({ FLIGHTDECK_DATA: "/var/lib/flightdeck", FLIGHTDECK_KEY_DIRS: ["/etc/flightdeck/keys/{site}", "/srv/fd/keys-{site}", "/etc/ssh/shared"] });
  for (const p of ["/var/lib/flightdeck", "/etc/flightdeck/keys", "/srv/fd", "/etc/ssh/shared"]) assert.ok(hidden.includes(p), `${p} in ${hidden.join(", ")}`);
});

describe("when a server cannot isolate local steps", () => {
  test("they are refused with what to install or set", async () => {
    const none = findSandbox({ hide: [], runUser: "nobody", bwrap: "/nonexistent/bwrap" });
    assert.deepEqual(none, { ok: false, message: "local steps run in a sandbox, and this server has none: install bubblewrap (apt-get install bubblewrap)" });
    await assert.rejects(localTransport.connect(SETTINGS, { signal: never, local: { refused: none.ok ? "" : none.message } }), /install bubblewrap/);
    if (process.getuid?.() === 0) {
      const user = findSandbox({ hide: [], runUser: "no-such-user-fd" });
      assert.ok(!user.ok && /FLIGHTDECK_RUN_USER names 'no-such-user-fd', which is not a user on this server: create it/.test(user.message), JSON.stringify(user));
      assert.ok(!findSandbox({ hide: [], runUser: "root" }).ok, "root is no sandbox user");
    }
  });

  test("the CLI's local transport (no server policy) runs directly, as before", async () => {
    const conn = await localTransport.connect(SETTINGS, { signal: never });
    const r = await run(conn, "echo $FD_CLI_MARK", { env: { FD_CLI_MARK: "direct" } });
    assert.equal(r.stdout, "direct\n");
    await conn.close();
  });
});
