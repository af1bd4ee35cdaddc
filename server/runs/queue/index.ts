export { EmbeddedDispatcher, EmbeddedQueue } from "./embedded";
export { NUDGE_QUEUE, PgBossDispatcher, PgBossQueue } from "./pgboss";
export type { Dispatcher, RunQueue, Taker } from "./types";
