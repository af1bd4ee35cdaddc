/**
 * openStore's refusals, on real databases: a PostgreSQL server that cannot be reached or refuses the login, a
 * database migrated by a newer Flightdeck, and one that lacks migrations when the process may not migrate. Each
 * is one line, with the UNAVAILABLE code, and never the password.
 */
import Database from "better-sqlite3";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createServer } from "node:net";
import { sql as drizzleSql } from "drizzle-orm";
import pg from "pg";
import { errorCode } from "../../server/errors";
import { openStore } from "../../server/store/open";
import type { PostgresStore } from "../../server/store/pg";
import { admin, createTestDatabase, testServerUrl, type TestDatabase } from "../support/postgres";

const PASSWORD = "s3cret-Pa55word";

async function refused(promise: Promise<unknown>, message: RegExp) {
  await assert.rejects(promise, (e: Error) => {
    assert.equal(errorCode(e), "UNAVAILABLE", `${e.name}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(!e.message.includes("\n"), "one line");
    assert.ok(!e.message.includes(PASSWORD), "never the password");
    return true;
  });
}

/** A port nothing listens on: taken from the kernel, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function migrationRows(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ n: number }>("select count(*)::int as n from drizzle.__drizzle_migrations")).rows[0]!.n;
  } finally {
    await client.end();
  }
}

async function sql(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describe("openStore on PostgreSQL", () => {
  const databases: TestDatabase[] = [];
  const fresh = async () => {
    const d = await createTestDatabase();
    databases.push(d);
    return d;
  };
  after(async () => {
    for (const d of databases) await d.drop();
  });

  test("a server that is not there: 'cannot reach PostgreSQL at host:port'", async () => {
    const port = await closedPort();
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: `postgres://fd:${PASSWORD}@127.0.0.1:${port}/flightdeck` }), new RegExp(`^cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/flightdeck: .*ECONNREFUSED`));
  });

  test("a refused login and an unknown database are named, without the password", async () => {
    const server = new URL(await testServerUrl());
    await admin(server.toString(), `do $$ begin if not exists (select from pg_roles where rolname = 'fd_login') then create role fd_login login password 'right-password'; end if; end $$`);
    const wrong = `postgres://fd_login:${PASSWORD}@127.0.0.1:${server.port}/postgres`;
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: wrong }), /^cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/postgres: password authentication failed for user "fd_login"$/);
    const missing = `postgres://flightdeck:${PASSWORD}@127.0.0.1:${server.port}/no_such_db`;
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: missing }), /: database "no_such_db" does not exist$/);
  });

  test("a URL that is not postgres:// or not a URL at all", async () => {
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: `mysql://root:${PASSWORD}@db/x` }), /^FLIGHTDECK_DATABASE_URL must be a postgres:\/\/ URL/);
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: `postgres://root:${PASSWORD}@[db/x` }), /^FLIGHTDECK_DATABASE_URL is not a valid URL/);
    const d = await fresh();
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: d.url, FLIGHTDECK_DATABASE_POOL: "0" }), /^FLIGHTDECK_DATABASE_POOL must be a whole number from 1 to 1000 \(it is '0'\)$/);
    const store = (await openStore({ FLIGHTDECK_DATABASE_URL: d.url, FLIGHTDECK_DATABASE_POOL: "3" })) as PostgresStore;
    assert.equal(store.pool.options.max, 3);
    await store.close();
  });

  test("a database migrated by a newer Flightdeck is refused: upgrade Flightdeck", async () => {
    const d = await fresh();
    await (await openStore({ FLIGHTDECK_DATABASE_URL: d.url })).close();
    const known = await migrationRows(d.url);
    await sql(d.url, `insert into drizzle.__drizzle_migrations (hash, created_at) values ('from-the-future', ${Date.now() + 10 * 365 * 86_400_000})`);
    const message = new RegExp(`^the database is at schema ${known + 1}, this Flightdeck knows ${known}: upgrade Flightdeck$`);
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: d.url }), message);
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: d.url }, { migrate: false }), message);
  });

  test("a process that does not migrate refuses an older database; serve migrates it", async () => {
    const d = await fresh();
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: d.url }, { migrate: false }), /^the database is at schema 0, this Flightdeck needs \d+: run `flightdeck serve` \(or `flightdeck migrate`\) first$/);
    const store = await openStore({ FLIGHTDECK_DATABASE_URL: d.url });
    await store.close();
    const worker = await openStore({ FLIGHTDECK_DATABASE_URL: d.url }, { migrate: false });
    assert.equal(worker.dialect, "postgres");
    await worker.close();
    // One migration short (as after an upgrade of the workers before the dashboard).
    const known = await migrationRows(d.url);
    await sql(d.url, "delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)");
    await refused(openStore({ FLIGHTDECK_DATABASE_URL: d.url }, { migrate: false }), new RegExp(`^the database is at schema ${known - 1}, this Flightdeck needs ${known}: run`));
  });

  test("a connection lost mid-transaction fails that call only: the process and the store go on", async () => {
    const d = await fresh();
    const store = (await openStore({ FLIGHTDECK_DATABASE_URL: d.url })) as PostgresStore;
    try {
      let pid!: (n: number) => void;
      const started = new Promise<number>((resolve) => (pid = resolve));
      const inside = store.db.transaction(async (tx) => {
        const [row] = (await tx.execute<{ pid: number }>(drizzleSql`select pg_backend_pid() as pid`)).rows;
        pid(row!.pid);
        await tx.execute(drizzleSql`select pg_sleep(30)`);
      });
      // Heard from the start: it may reject while the terminate below is still on its way back.
      const outcome = inside.then(
        () => undefined,
        (e: unknown) => e,
      );
      await admin(await testServerUrl(), `select pg_terminate_backend(${await started})`);
      // The caller of that transaction sees its own rejection...
      assert.ok((await outcome) instanceof Error, "the transaction rejected");
      // ...and the next call works on a fresh connection (an unheard 'error' event would have ended this process).
      await store.sites.create({ slug: "after", name: "After", files: [], author: "a", message: "" });
      assert.equal(await store.sites.exists("after"), true);
    } finally {
      await store.close();
    }
  });

  test("replicas starting at once migrate once (advisory lock)", async () => {
    const d = await fresh();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ FLIGHTDECK_DATABASE_URL: d.url, FLIGHTDECK_DATABASE_POOL: "2" })));
    for (const s of stores) await s.close();
    const rows = await migrationRows(d.url);
    const store = await openStore({ FLIGHTDECK_DATABASE_URL: d.url }, { migrate: false });
    await store.close();
    assert.ok(rows >= 2);
    const client = new pg.Client({ connectionString: d.url });
    await client.connect();
    const distinct = (await client.query<{ n: number }>("select count(distinct hash)::int as n from drizzle.__drizzle_migrations")).rows[0]!.n;
    await client.end();
    assert.equal(distinct, rows, "each migration recorded once");
  });
});

describe("openStore on SQLite", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "fd-open-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a process that does not migrate refuses a missing or older file", async () => {
    const data = join(dir, "older");
    await refused(openStore({ FLIGHTDECK_DATA: data }, { migrate: false }), /^there is no database at .*flightdeck\.db: run `flightdeck serve` \(or `flightdeck migrate`\) first$/);
    await (await openStore({ FLIGHTDECK_DATA: data })).close();
    const worker = await openStore({ FLIGHTDECK_DATA: data }, { migrate: false });
    assert.equal(worker.dialect, "sqlite");
    await worker.close();
    const file = new Database(join(data, "flightdeck.db"));
    const known = (file.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n;
    file.prepare("delete from __drizzle_migrations where created_at = (select max(created_at) from __drizzle_migrations)").run();
    file.close();
    await refused(openStore({ FLIGHTDECK_DATA: data }, { migrate: false }), new RegExp(`^the database is at schema ${known - 1}, this Flightdeck needs ${known}: run`));
  });

  test("a file migrated by a newer Flightdeck is refused: upgrade Flightdeck", async () => {
    const data = join(dir, "newer");
    await (await openStore({ FLIGHTDECK_DATA: data })).close();
    const file = new Database(join(data, "flightdeck.db"));
    const known = (file.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n;
    file.prepare("insert into __drizzle_migrations (hash, created_at) values ('from-the-future', ?)").run(Date.now() + 10 * 365 * 86_400_000);
    file.close();
    await refused(openStore({ FLIGHTDECK_DATA: data }), new RegExp(`^the database is at schema ${known + 1}, this Flightdeck knows ${known}: upgrade Flightdeck$`));
  });
});
