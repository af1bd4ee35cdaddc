/**
 * How events reach browsers (see types.ts): `SocketIoBroadcaster` in a web process (with `usePostgresAdapter`
 * on PostgreSQL, so that every replica's sockets hear it), `PostgresEmitterBroadcaster` in a worker.
 */
export * from "./types";
export { SocketIoBroadcaster } from "./socket-io";
export { PostgresEmitterBroadcaster } from "./pg-emitter";
export { usePostgresAdapter, type PostgresAdapterHandle } from "./pg-adapter";
