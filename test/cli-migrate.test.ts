/** `flightdeck migrate` on a real PostgreSQL database: a worker (which never migrates) can start after it. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { openStore } from "../server/store/open";
import { createTestDatabase, stopOwnServer } from "./support/postgres";

const run = promisify(execFile);
const BIN = new URL("../bin/flightdeck.mjs", import.meta.url).pathname;

after(stopOwnServer);

async function migrate(env: Record<string, string>) {
  return run(process.execPath, [BIN, "migrate"], { env: { ...process.env, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

test("flightdeck migrate brings an empty database to this build's schema, once; a worker's open then succeeds", async () => {
  const db = await createTestDatabase();
  try {
    await assert.rejects(openStore({ FLIGHTDECK_DATABASE_URL: db.url }, { migrate: false }), /run `flightdeck serve` \(or `flightdeck migrate`\) first/);
    const first = await migrate({ FLIGHTDECK_DATABASE_URL: db.url });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^flightdeck migrate: .* is at this build's schema\n$/);
    assert.equal((await migrate({ FLIGHTDECK_DATABASE_URL: db.url })).code, 0, "a second migrate has nothing to do");
    const store = await openStore({ FLIGHTDECK_DATABASE_URL: db.url }, { migrate: false });
    await store.close();
  } finally {
    await db.drop();
  }
});

test("flightdeck migrate on a server it cannot reach: one line, exit 2, no password", async () => {
  const out = await migrate({ FLIGHTDECK_DATABASE_URL: "postgres://fd:hunter2-secret@127.0.0.1:1/fd" });
  assert.equal(out.code, 2);
  assert.equal(out.stdout, "");
  assert.match(out.stderr, /^flightdeck migrate: cannot reach PostgreSQL at 127\.0\.0\.1:1\/fd: .*\n$/);
  assert.doesNotMatch(out.stderr, /hunter2/);
});
