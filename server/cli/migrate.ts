/**
 * `flightdeck migrate`: applies this build's migrations to the database and stops, so an upgrade can migrate
 * once, before workers (which never migrate) and replicas of the new build start. `serve` migrates at start too;
 * this is for installations that want it as its own step. Refusals (unreachable server, a newer schema) are the
 * store's one-line messages, exit 2.
 */
import { errorCode } from "../errors";
import { openStore } from "../store/open";
import { describeServer } from "../store/pg";

const USAGE = `usage: flightdeck migrate

Applies this Flightdeck's migrations to FLIGHTDECK_DATABASE_URL's PostgreSQL database (under an advisory lock:
replicas starting at the same time wait), or to the SQLite file in FLIGHTDECK_DATA when it is unset.`;

export interface MigrateIo {
  out(line: string): void;
  err(line: string): void;
}

export async function runMigrate(args: string[], io: MigrateIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(USAGE);
    return 0;
  }
  if (args.length) {
    io.err(`flightdeck migrate: unexpected argument '${args[0]}'\n${USAGE}`);
    return 2;
  }
  const url = process.env.FLIGHTDECK_DATABASE_URL?.trim();
  try {
    const store = await openStore(process.env, { migrate: true });
    await store.close();
  } catch (e) {
    if (!errorCode(e)) throw e;
    io.err(`flightdeck migrate: ${(e as Error).message}`);
    return 2;
  }
  io.out(`flightdeck migrate: ${url ? describeServer(url) : `the SQLite file in ${process.env.FLIGHTDECK_DATA || "./data"}`} is at this build's schema`);
  return 0;
}

// Run directly (`node --import tsx server/cli/migrate.ts`, or through bin/flightdeck.mjs `migrate`).
if (import.meta.url === `file://${process.argv[1]}`) {
  runMigrate(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`flightdeck migrate: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(3);
    },
  );
}
