/**
 * `flightdeck serve` (bin/flightdeck.mjs -> scripts/start.sh -> the server) stops as a whole: a signal to the
 * wrapper's PID, as a supervisor or `kill` sends it, reaches the server, which closes its port, and no process
 * of the tree outlives the wrapper. Needs the dashboard built (`npm test` builds before the unit tests).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "bin", "flightdeck.mjs");

/** Why the test cannot run: start.sh would build first (minutes, and .next is shared with the browser tests). */
function notBuilt(): string | false {
  if (!existsSync(join(ROOT, ".next", "BUILD_ID"))) return "the dashboard is not built (.next/BUILD_ID is missing): run `npm run build` first";
  // The same test as start.sh's `stale`.
  const newer = execFileSync("bash", ["-c", "find app components server db next.config.mjs package.json -newer .next/BUILD_ID -print -quit 2>/dev/null || true"], { cwd: ROOT, encoding: "utf8" }).trim();
  return newer ? `the build is older than the sources (${newer}), so serve would rebuild: run \`npm run build\` first` : false;
}

const temp = mkdtempSync(join(tmpdir(), "flightdeck-serve-"));
after(() => rmSync(temp, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The process's parent and start time (clock ticks since boot), from /proc; undefined once it is gone. */
function stat(pid: number): { ppid: number; pgid: number; start: string } | undefined {
  try {
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    if (fields[0] === "Z") return undefined; // exited, not yet reaped
    return { ppid: Number(fields[1]), pgid: Number(fields[2]), start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Every process below `root`, with its start time (so a reused PID is not taken for it). */
function descendants(root: number): Map<number, string> {
  const parent = new Map<number, number>();
  const start = new Map<number, string>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) {
      parent.set(Number(name), s.ppid);
      start.set(Number(name), s.start);
    }
  }
  const found = new Map<number, string>();
  let added = true;
  while (added) {
    added = false;
    for (const [pid, ppid] of parent) {
      if (!found.has(pid) && (ppid === root || found.has(ppid))) {
        found.set(pid, start.get(pid)!);
        added = true;
      }
    }
  }
  return found;
}

describe("flightdeck serve", { skip: notBuilt() }, () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`${signal} to the wrapper stops the server: the port closes and no process of the tree remains`, { timeout: 120_000 }, async () => {
      const port = await freePort();
      const wrapper = spawn(process.execPath, [BIN, "serve"], {
        cwd: temp,
        env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", FLIGHTDECK_DATA: join(temp, `data-${signal}`), FLIGHTDECK_DEMO: "", FLIGHTDECK_ADMIN_PASSWORD: "serve-test-password", NEXT_TELEMETRY_DISABLED: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      wrapper.stdout.on("data", (d: Buffer) => (output += d.toString()));
      wrapper.stderr.on("data", (d: Buffer) => (output += d.toString()));
      let tree = new Map<number, string>();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => wrapper.once("exit", (code, sig) => resolve({ code, signal: sig })));
      try {
        await new Promise<void>((resolve, reject) => {
          const ready = () => output.includes(`dashboard on http://127.0.0.1:${port}`) && resolve();
          wrapper.stdout.on("data", ready);
          void exited.then((e) => reject(new Error(`serve exited (${e.code ?? e.signal}) before listening:\n${output}`)));
          setTimeout(() => reject(new Error(`serve did not listen within 60 s:\n${output}`)), 60_000).unref();
        });
        assert.ok(await accepts(port), "the server listens");
        tree = descendants(wrapper.pid!);
        assert.ok(tree.size >= 1, "the server runs below the wrapper");

        process.kill(wrapper.pid!, signal);
        const end = await exited;
        // The server stops cleanly on SIGTERM and SIGINT; it has no SIGHUP handler, so it and the wrapper die of it.
        if (signal === "SIGHUP") assert.deepEqual(end, { code: null, signal: "SIGHUP" }, output);
        else assert.deepEqual(end, { code: 0, signal: null }, output);
        assert.match(output, signal === "SIGHUP" ? /dashboard on/ : /flightdeck: stopping/);

        assert.equal(await accepts(port), false, `port ${port} still accepts connections after the wrapper exited`);
        // The server was the wrapper's child and has been reaped; anything it started got the signal too.
        const deadline = Date.now() + 5_000;
        let left = [...tree].filter(([pid, start]) => stat(pid)?.start === start);
        while (left.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          left = left.filter(([pid, start]) => stat(pid)?.start === start);
        }
        assert.deepEqual(
          left.map(([pid]) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")}`),
          [],
          "processes of the serve tree still running",
        );
      } finally {
        // If an assertion failed with the tree still up, end it (only what this test started).
        if (wrapper.exitCode === null && wrapper.signalCode === null) {
          for (const [pid, start] of descendants(wrapper.pid!)) tree.set(pid, start);
          wrapper.kill("SIGKILL");
        }
        for (const [pid, start] of tree) if (stat(pid)?.start === start) process.kill(pid, "SIGKILL");
      }
    });
  }
});
