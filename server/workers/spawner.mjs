// The step spawner: a small, long-lived Node process that starts a server's sandboxed steps for it and relays
// their pipes over its IPC channel (see server/transports/spawner.ts for why). Plain JavaScript with no imports
// beyond Node's own, so it starts in tens of milliseconds and stays small: a fork costs in proportion to the
// forking process's memory. Started with an empty environment (nothing of the server's reaches it), as the
// leader of a session without a terminal, which its steps share. argv[2]: that session's niceness.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

/** @type {Map<number, import("node:child_process").ChildProcess>} */
const children = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function kill(child, signal) {
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

/**
 * With the kernel's autogroups, the scheduler weighs sessions, not processes: this session (the spawner and all
 * its steps) gets the given niceness, so all steps together weigh less than any process of the server. The kernel
 * takes such a change at most ten times a second from everyone together (EAGAIN): a few tries.
 */
function lowerSession(niceness) {
  try {
    writeFileSync("/proc/self/autogroup", String(niceness));
  } catch (e) {
    // Taken by someone else within the last 100 ms: try again shortly. Any other error: no autogroups here
    // (ENOENT) or not allowed, and process niceness is what counts.
    if ((e.code === "EAGAIN" || e.code === "EIO") && tries++ < 20) setTimeout(() => lowerSession(niceness), 120).unref();
  }
}
let tries = 0;

function start({ id, file, args, env }) {
  let child;
  try {
    // Not detached: steps stay in this session (see lowerSession). Each is the first process of a pid namespace
    // of its own (bwrap --unshare-pid --die-with-parent): ending it ends everything it started.
    child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env });
  } catch (e) {
    send({ t: "error", id, message: e instanceof Error ? e.message : String(e) });
    send({ t: "close", id, code: null, signal: null });
    return;
  }
  children.set(id, child);
  child.stdout.on("data", (data) => send({ t: "out", id, fd: 1, data }));
  child.stderr.on("data", (data) => send({ t: "out", id, fd: 2, data }));
  child.stdin.on("error", () => undefined); // the step may exit before reading all its input
  child.on("error", (e) => send({ t: "error", id, message: e.message }));
  child.on("close", (code, signal) => {
    children.delete(id);
    send({ t: "close", id, code, signal });
  });
}

// First, before any step starts (a retry after EAGAIN still lowers steps already running: they share the session).
const niceness = Number(process.argv[2]);
if (Number.isInteger(niceness) && niceness > 0 && niceness <= 19) lowerSession(niceness);

process.on("message", (m) => {
  if (m.t === "spawn") return start(m);
  const child = children.get(m.id);
  if (!child) return;
  if (m.t === "in") child.stdin.write(m.data);
  else if (m.t === "end") child.stdin.end(m.data);
  else if (m.t === "kill") kill(child, m.signal);
});

// The server is gone (ended, killed, crashed): its steps go with it, as they would have as its own children
// under bwrap's --die-with-parent.
process.on("disconnect", () => {
  for (const child of children.values()) kill(child, "SIGKILL");
  process.exit(0);
});
