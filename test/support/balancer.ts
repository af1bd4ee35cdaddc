/**
 * A TCP load balancer in front of web replicas, as a browser meets them: it forwards every new connection to
 * the replica it currently points at, and a connection whose replica dies is closed (the browser reconnects,
 * through it, to whichever replica it points at then). Plain TCP, so HTTP, tRPC and socket.io's WebSocket all
 * pass through unchanged.
 */
import { connect, createServer, type Socket } from "node:net";

export interface Balancer {
  url: string;
  /** New connections go to this replica (its base URL). */
  pointAt(url: string): void;
  /** Connections forwarded so far, per replica URL. */
  readonly forwarded: Map<string, number>;
  close(): Promise<void>;
}

export async function startBalancer(first: string): Promise<Balancer> {
  let target = new URL(first);
  const forwarded = new Map<string, number>();
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const to = target;
    const upstream = connect(Number(to.port), to.hostname);
    forwarded.set(to.origin, (forwarded.get(to.origin) ?? 0) + 1);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      // Either side gone: the other goes too (a dead replica's browser connection is reset).
      s.on("error", () => undefined);
    }
    client.pipe(upstream).on("close", () => client.destroy());
    upstream.pipe(client).on("close", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    pointAt(url) {
      target = new URL(url);
    },
    forwarded,
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
