// The step spawner: a small, long-lived Node process that starts a server's local step processes for it and
// relays their pipes over its IPC channel (see server/transports/spawner.ts for why). Plain JavaScript with no
// imports beyond Node's own, so it starts in tens of milliseconds and stays small: a fork costs in proportion to
// the forking process's memory. Started with an empty environment: nothing of the server's reaches it.
import { spawn } from "node:child_process";

/** @type {Map<number, import("node:child_process").ChildProcess>} */
const children = new Map();

function send(message) {
  if (process.connected) process.send(message);
}

function killGroup(child, signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function start({ id, file, args, env }) {
  let child;
  try {
    // detached: each step leads its own process group, so killing the group ends everything it started.
    child = spawn(file, args, { detached: true, stdio: ["pipe", "pipe", "pipe"], env });
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

process.on("message", (m) => {
  if (m.t === "spawn") return start(m);
  const child = children.get(m.id);
  if (!child) return;
  if (m.t === "in") child.stdin.write(m.data);
  else if (m.t === "end") child.stdin.end(m.data);
  else if (m.t === "kill") killGroup(child, m.signal);
});

// The server is gone (ended, killed, crashed): its steps go with it, as they would have as its own children
// under bwrap's --die-with-parent.
process.on("disconnect", () => {
  for (const child of children.values()) killGroup(child, "SIGKILL");
  process.exit(0);
});
