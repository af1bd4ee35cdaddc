/**
 * The cross-process broadcast on a real PostgreSQL server: two socket.io servers ("replicas") with the
 * PostgreSQL adapter on one database, and the emitter a worker uses. The full-process version (the production
 * server on two ports) is test/cluster/broadcast.test.ts; here the edge cases: payloads over NOTIFY's limit,
 * order, kiosk board rooms, the connection lost and regained without a crash, errors logged once and without
 * the URL's password.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import pg from "pg";
import { after, before, describe, test } from "node:test";
import { Server } from "socket.io";
import { io as connectClient, type Socket } from "socket.io-client";
import { PostgresEmitterBroadcaster, SocketIoBroadcaster, usePostgresAdapter, type PostgresAdapterHandle } from "../../server/broadcast";
import { OutageLog, redact } from "../../server/broadcast/outage";
import type { RunEvent } from "../../server/engine";
import { admin, createTestDatabase, testServerUrl, type TestDatabase } from "../support/postgres";

interface Replica {
  port: number;
  broadcaster: SocketIoBroadcaster;
  logs: string[];
  /** Resolves when a log line matches. */
  logged(pattern: RegExp): Promise<string>;
  close(): Promise<void>;
}

function logSink() {
  const logs: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const log = (line: string) => {
    logs.push(line);
    for (const w of [...waiters]) {
      if (!w.pattern.test(line)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  };
  const logged = (pattern: RegExp) => {
    const found = logs.find((l) => pattern.test(l));
    return found ? Promise.resolve(found) : new Promise<string>((resolve) => waiters.push({ pattern, resolve }));
  };
  return { logs, log, logged };
}

async function startReplica(url: string): Promise<Replica> {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  const sink = logSink();
  const handle: PostgresAdapterHandle = await usePostgresAdapter(io, url, { log: sink.log });
  // The real server checks each join (server/socket.ts); here every join is allowed: the rooms are the point.
  io.on("connection", (socket) => socket.on("join", (room: string, ack: () => void) => void Promise.resolve(socket.join(room)).then(ack)));
  const broadcaster = new SocketIoBroadcaster();
  broadcaster.attach(io);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    broadcaster,
    logs: sink.logs,
    logged: sink.logged,
    async close() {
      await io.close();
      await handle.close();
    },
  };
}

/** A browser's socket on a replica, in the given rooms, recording what arrives. */
async function client(replica: Replica, rooms: string[]) {
  const socket: Socket = connectClient(`http://127.0.0.1:${replica.port}`, { transports: ["websocket"], forceNew: true, reconnection: false });
  const heard: { event: string; payload: unknown }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  socket.onAny((event: string, payload: unknown) => {
    heard.push({ event, payload });
    for (const w of [...waiters]) {
      if (heard.length < w.count) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  for (const room of rooms) await socket.emitWithAck("join", room);
  return {
    heard,
    /** Resolves once `count` events have arrived in all. */
    received: (count: number) => (heard.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () => socket.disconnect(),
  };
}

/** A run.events batch of `n` events whose JSON is well over NOTIFY's 8000 bytes when n is large. */
function batch(first: number, n: number): RunEvent[] {
  return Array.from({ length: n }, (_, i) => ({ type: "step.status", host: `node-${String(first + i).padStart(5, "0")}`, step: "s01", status: "changed", exitCode: 0, durationMs: 3, attempt: 1, seq: first + i, t: 1_700_000_000_000 + i }) as unknown as RunEvent);
}

describe("broadcast across processes over PostgreSQL", () => {
  let database: TestDatabase;
  let a: Replica;
  let b: Replica;

  before(async () => {
    database = await createTestDatabase();
    [a, b] = await Promise.all([startReplica(database.url), startReplica(database.url)]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  test("an emit on replica A reaches the room's sockets on replica B, small and over NOTIFY's limit, and nobody else", async () => {
    const watcher = await client(b, ["run:7", "site:alpha"]);
    const bystander = await client(b, ["run:8"]);
    const local = await client(a, ["run:7"]);
    const big = batch(1, 400);
    assert.ok(JSON.stringify(big).length > 20_000);
    a.broadcaster.runEvents(7, batch(0, 1));
    a.broadcaster.runEvents(7, big);
    a.broadcaster.runEvents(7, batch(401, 1));
    await watcher.received(3);
    a.broadcaster.siteRevision({ site: "alpha", revision: 3, author: "ada", message: "edit" });
    await watcher.received(4);
    await local.received(3);
    assert.deepEqual(watcher.heard, [
      { event: "run.events", payload: { run: 7, events: batch(0, 1) } },
      { event: "run.events", payload: { run: 7, events: big } },
      { event: "run.events", payload: { run: 7, events: batch(401, 1) } },
      { event: "site.revision", payload: { site: "alpha", revision: 3, author: "ada", message: "edit" } },
    ]);
    assert.equal(local.heard.length, 3);
    // Everything for run:7 has arrived (and in order): nothing was on its way to run:8.
    for (const c of [watcher, bystander, local]) c.close();
    assert.deepEqual(bystander.heard, []);
  });

  test("site.runs reaches the kiosk boards that show the site, looked up asynchronously, once per socket", async () => {
    a.broadcaster.boardsOf = (site) => Promise.resolve(site === "alpha" ? ["lobby", "ops"] : []);
    const kiosk = await client(b, ["board:lobby"]);
    const both = await client(b, ["board:ops", "site:alpha"]);
    const other = await client(b, ["board:elsewhere"]);
    a.broadcaster.siteRuns("alpha", 12);
    await kiosk.received(1);
    await both.received(1);
    // A later emit to the same sockets proves nothing else was on its way before it.
    a.broadcaster.siteRuns("beta", 13);
    b.broadcaster.siteRevision({ site: "alpha", revision: 1, author: "x", message: "" });
    await both.received(2);
    assert.deepEqual(kiosk.heard, [{ event: "site.runs", payload: { site: "alpha", run: 12 } }]);
    assert.deepEqual(both.heard.map((h) => h.event), ["site.runs", "site.revision"]);
    assert.deepEqual(other.heard, []);
    for (const c of [kiosk, both, other]) c.close();
  });

  test("a worker's emitter reaches sockets on every replica, every batch once and in order", async () => {
    const emitter = await PostgresEmitterBroadcaster.open(database.url);
    try {
      const onA = await client(a, ["run:21"]);
      const onB = await client(b, ["run:21", "site:gamma"]);
      const batches = Array.from({ length: 60 }, (_, i) => batch(i * 100 + 1, 100));
      for (const events of batches) emitter.runEvents(21, events);
      emitter.runOutput(21, [{ host: "node-00001", step: "s01", stream: "stdout", data: "hello\n", t: 5 }]);
      emitter.siteRuns("gamma", 21);
      await onA.received(61);
      await onB.received(62);
      const runEvents = (heard: { event: string; payload: unknown }[]) => heard.filter((h) => h.event === "run.events").map((h) => (h.payload as { events: RunEvent[] }).events);
      assert.deepEqual(runEvents(onA.heard), batches);
      assert.deepEqual(runEvents(onB.heard), batches);
      assert.deepEqual(onB.heard.find((h) => h.event === "run.output")?.payload, { run: 21, chunks: [{ host: "node-00001", step: "s01", stream: "stdout", data: "hello\n", t: 5 }] });
      assert.deepEqual(onB.heard.find((h) => h.event === "site.runs")?.payload, { site: "gamma", run: 21 });
      onA.close();
      onB.close();
    } finally {
      await emitter.close();
    }
  });

  test("a payload of exactly 8000 bytes goes through (adapter 0.5.0's own threshold check would send it as a failing NOTIFY)", async () => {
    const watcher = await client(b, ["site:x"]);
    const envelope = (message: string) => JSON.stringify({ uid: "0123456789abcdef", type: 3, data: { opts: { rooms: ["site:x"], except: [], flags: {} }, packet: { type: 2, data: ["site.revision", { site: "x", revision: 1, author: "a", message }], nsp: "/" } }, nsp: "/" });
    const message = "m".repeat(8000 - envelope("").length);
    assert.equal(Buffer.byteLength(envelope(message)), 8000);
    a.broadcaster.siteRevision({ site: "x", revision: 1, author: "a", message });
    await watcher.received(1);
    assert.equal((watcher.heard[0]!.payload as { message: string }).message, message);
    watcher.close();
    assert.deepEqual(a.logs, []);
  });

  test("the connections are lost: nothing crashes, one line says so, one says it works again, and broadcasts flow again", async () => {
    const emitterLog = logSink();
    const emitter = await PostgresEmitterBroadcaster.open(database.url, { log: emitterLog.log });
    const watched = await PostgresEmitterBroadcaster.open(database.url, { log: emitterLog.log });
    try {
      const serverUrl = await testServerUrl();
      await admin(serverUrl, `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database.name}' and application_name in ('flightdeck-broadcast', 'flightdeck-emitter')`);
      await b.logged(/PostgreSQL adapter\): .*terminat/i);
      // The adapter takes a new LISTEN connection within ~2 s; its first success says so.
      await b.logged(/working again/);
      const watcher = await client(b, ["run:30"]);
      // The emitter's pool lost its connections too: its next publishes must get new ones.
      watched.runEvents(30, batch(1, 200));
      emitter.runEvents(30, batch(201, 1));
      await watcher.received(2);
      assert.deepEqual(
        watcher.heard.map((h) => (h.payload as { events: RunEvent[] }).events[0]!.seq).sort((x, y) => x - y),
        [1, 201],
      );
      watcher.close();
      assert.equal(b.logs.length, 2, b.logs.join("\n"));
      assert.match(b.logs[0]!, /terminat/i);
      assert.match(b.logs[1]!, /working again/);
    } finally {
      await emitter.close();
      await watched.close();
    }
  });

  test("a worker's emitter deletes old attachments itself (workers may run while no replica is up to do it)", async () => {
    const alone = await createTestDatabase();
    const emitter = await PostgresEmitterBroadcaster.open(alone.url);
    const client = new pg.Client({ connectionString: alone.url });
    await client.connect();
    try {
      await client.query("insert into socket_io_attachments (payload, created_at) values ('\\x00', now() - interval '1 minute'), ('\\x01', now() + interval '1 minute')");
      // The emitter's cleanup runs every 10 s: wait for its effect (checked twice a second, 25 s at most).
      const deadline = Date.now() + 25_000;
      let left = 2;
      while (left === 2 && Date.now() < deadline) {
        left = Number((await client.query<{ n: string }>("select count(*) as n from socket_io_attachments")).rows[0]!.n);
        if (left === 2) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.equal(left, 1, "the old row is deleted, the recent one kept");
    } finally {
      await client.end();
      await emitter.close();
      await alone.drop();
    }
  });

  test("a wrong password is a clear error at start that does not repeat the password", async () => {
    const serverUrl = await testServerUrl();
    await admin(serverUrl, `do $$ begin if not exists (select from pg_roles where rolname = 'fd_broadcast_pw') then create role fd_broadcast_pw login password 'right-horse-42'; end if; end $$`);
    const url = new URL(database.url);
    url.username = "fd_broadcast_pw";
    url.password = "Wr0ng-Batt3ry-Staple";
    const io = new Server(createServer());
    await assert.rejects(usePostgresAdapter(io, url.toString(), { log: () => undefined }), (err: Error) => {
      assert.match(err.message, /password authentication failed/);
      assert.doesNotMatch(err.message, /Wr0ng-Batt3ry-Staple/);
      return true;
    });
    await assert.rejects(PostgresEmitterBroadcaster.open(url.toString()), (err: Error) => !err.message.includes("Wr0ng-Batt3ry-Staple"));
    await io.close();
  });
});

describe("outage log", () => {
  test("one line when an outage starts, one when it works again, passwords blanked", () => {
    const lines: string[] = [];
    const log = new OutageLog("broadcast", "postgres://fd:s3cret-pass@db:5432/fd", (l) => lines.push(l));
    log.fail(new Error("could not reach postgres://fd:s3cret-pass@db:5432/fd"));
    for (let i = 0; i < 100; i++) log.fail(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    log.ok();
    log.ok();
    log.fail(new Error("connect ECONNREFUSED 127.0.0.1:5432"));
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.equal(lines[0], "flightdeck: broadcast: could not reach postgres://fd:***@db:5432/fd (browsers catch up from the store meanwhile)");
    assert.match(lines[1]!, /working again \(100 more failures not logged\)/);
    assert.match(lines[2]!, /ECONNREFUSED/);
    assert.ok(!lines.join("\n").includes("s3cret-pass"));
    assert.equal(redact("password s3cret-pass was wrong", "postgres://fd:s3cret-pass@db/fd"), "password *** was wrong");
  });
});
