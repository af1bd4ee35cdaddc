/**
 * The step spawner (server/transports/spawner.ts): a server's sandboxed steps start from a small process of its
 * own, which relays their pipes. Steps must behave exactly as children of the server would: output, input, exit
 * status, their environment, their whole process group ended on request, and nothing left when the server dies.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findSandbox, SANDBOX_HOME } from "../../server/transports/sandbox";
import { Spawner, type StepProcess } from "../../server/transports/spawner";

const found = findSandbox({ hide: [], runUser: "nobody" });

const ENTRY = join(import.meta.dirname, "..", "..", "server", "workers", "spawner.mjs");

function finish(step: StepProcess): Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  let stdout = "";
  let stderr = "";
  step.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  step.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    step.on("error", reject);
    step.on("close", (code, signal) => resolve({ stdout, stderr, code, signal }));
  });
}

describe("the step spawner", () => {
  let spawner: Spawner;
  let dir: string;
  before(async () => {
    spawner = new Spawner(ENTRY, 19);
    dir = await mkdtemp(join(tmpdir(), "fd-spawner-"));
  });
  after(async () => {
    spawner.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("relays stdout, stderr and the exit status; all output arrives before the end", async () => {
    const r = await finish(spawner.start("/bin/sh", ["-c", "seq 1 20000; echo oops >&2; exit 3"], {}));
    assert.equal(r.code, 3);
    assert.equal(r.stdout.split("\n").length, 20001);
    assert.ok(r.stdout.endsWith("19999\n20000\n"));
    assert.equal(r.stderr, "oops\n");
  });

  test("relays stdin, and its end", async () => {
    const step = spawner.start("/bin/sh", ["-c", "wc -c; cat"], {});
    const done = finish(step);
    step.stdin.write(Buffer.alloc(100_000, 120));
    step.stdin.end();
    const r = await done;
    assert.equal(r.stdout.trim(), "100000");
    assert.equal(r.code, 0);
  });

  test("a step sees exactly the environment it is given, and the spawner itself has none of the server's", async () => {
    const own = await finish(spawner.start("/usr/bin/env", [], { ONLY: "this" }));
    assert.equal(own.stdout, "ONLY=this\n");
    // The step's parent is the spawner: it holds only Node's own IPC settings, whatever the server's environment holds.
    const parent = await finish(spawner.start("/bin/sh", ["-c", 'tr "\\0" "\\n" < /proc/$PPID/environ; tr "\\0" " " < /proc/$PPID/cmdline'], {}));
    const lines = parent.stdout.split("\n");
    assert.match(lines.at(-1)!, /spawner\.mjs/);
    assert.deepEqual(lines.slice(0, -1).map((l) => l.split("=")[0]).sort(), ["NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE"]);
    assert.ok(process.env.PATH, "this test process has an environment to leak");
  });

  test("steps share the spawner's session, which has the niceness it was given where the kernel groups sessions", async () => {
    const self = 'read -r p c s pp pg sid rest < /proc/self/stat; echo "$sid"; cat /proc/self/autogroup 2>/dev/null || echo none';
    const [a, b] = await Promise.all([finish(spawner.start("/bin/sh", ["-c", self], {})), finish(spawner.start("/bin/sh", ["-c", self], {}))]);
    assert.equal(a.stdout, b.stdout, "one session, one autogroup");
    const [sid, group] = a.stdout.trim().split("\n");
    assert.notEqual(Number(sid), process.pid);
    if (group !== "none") assert.match(group!, / nice 19$/);
  });

  test("ending a sandboxed step ends everything it started (its pid namespace)", { skip: found.ok ? false : found.message }, async () => {
    assert.ok(found.ok);
    const ws = await found.sandbox.workspace({ newSession: false });
    const fifo = join(ws.home, "tree");
    spawnSync("mkfifo", ["-m", "666", fifo]);
    // A grandchild holds the FIFO open for writing: its reader sees the end only when it is gone.
    const [file, ...args] = ws.argv(["/bin/sh", "-c", `sh -c 'exec sleep 1000' > ${SANDBOX_HOME}/tree & wait`]);
    const step = spawner.start(file!, args, ws.env);
    const done = finish(step);
    const reader = createReadStream(fifo);
    await new Promise((resolve) => reader.once("open", resolve));
    step.killTree("SIGKILL");
    await new Promise<void>((resolve) => reader.on("end", () => resolve()).resume());
    assert.equal((await done).signal, "SIGKILL");
    await ws.dispose();
  });

  test("many steps at once each get their own output and status", async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => finish(spawner.start("/bin/sh", ["-c", `echo step-${i}; exit ${i % 7}`], {}))));
    results.forEach((r, i) => {
      assert.equal(r.stdout, `step-${i}\n`);
      assert.equal(r.code, i % 7);
    });
  });

  test("a program that cannot start is an error naming why", async () => {
    await assert.rejects(finish(spawner.start("/nonexistent/program", [], {})), /ENOENT/);
  });
});

test("when the server dies, its steps go with it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fd-spawner-"));
  try {
    const fifo = join(dir, "orphan");
    spawnSync("mkfifo", [fifo]);
    const code = `import { Spawner } from ${JSON.stringify(join(import.meta.dirname, "..", "..", "server", "transports", "spawner.ts"))};
      new Spawner(${JSON.stringify(ENTRY)}).start("/bin/sh", ["-c", "exec sleep 1000 > ${fifo}"], {});
      setInterval(() => undefined, 1000);`;
    const server = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: "ignore" });
    const reader = createReadStream(fifo);
    await new Promise((resolve) => reader.once("open", resolve));
    server.kill("SIGKILL");
    // The step's end closes the FIFO: the spawner saw its server go and killed the step's group.
    await new Promise<void>((resolve) => reader.on("end", () => resolve()).resume());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
