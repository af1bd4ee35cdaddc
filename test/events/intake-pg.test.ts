/**
 * The intake tests (intake.test.ts) again with the server on PostgreSQL: the same requests, signatures, limits
 * and outcomes, stored through the PostgreSQL event store. This file's process only (node --test runs each file
 * in a process of its own).
 */
import { createTestDatabase } from "../support/postgres";

const database = await createTestDatabase();
process.env.FLIGHTDECK_DATABASE_URL = database.url;
await import("./intake.test");
