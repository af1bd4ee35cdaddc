/**
 * What the notification tests run against: two stores on one fresh database (two processes), a real HTTP
 * receiver on loopback that records each request, and a real SMTP server (smtp-server) on loopback that records
 * each mail it accepts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { openStore } from "../../server/store/open";
import type { Dialect, Store } from "../../server/store/types";
import { createTestDatabase } from "../support/postgres";

export const INVENTORY = "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n";

export async function twoStores(dialect: Dialect): Promise<{ a: Store; b: Store; dir?: string; dispose(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "fd-notify-"));
    const a = await openStore({ FLIGHTDECK_DATA: dir });
    const b = await openStore({ FLIGHTDECK_DATA: dir });
    return { a, b, dir, dispose: async () => (await Promise.all([a.close(), b.close()]), rmSync(dir, { recursive: true, force: true })) };
  }
  const database = await createTestDatabase();
  const a = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  const b = await openStore({ FLIGHTDECK_DATABASE_URL: database.url });
  return { a, b, dispose: async () => (await Promise.all([a.close(), b.close()]), await database.drop()) };
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver on 127.0.0.1: answers each request with `status(n)` (n counts from 1), records them all. */
export async function webhookReceiver(status: (n: number) => number = () => 204) {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = status(received.length);
      res.end();
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Resolves once `count` requests arrived. */
    until: (count: number) => (received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 (no TLS, no auth); `refuse` makes it answer the RCPT with a 550. */
export async function smtpServer(options: { refuse?: (to: string) => boolean } = {}) {
  const mails: Mail[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address)) {
        const error = Object.assign(new Error(`no mailbox ${address.address}`), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
        for (const w of waiters.filter((w) => mails.length >= w.count)) w.resolve();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    until: (count: number) => (mails.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A mail's body as text (quoted-printable undone: soft line breaks and =XX). */
export function mailText(raw: string): string {
  const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
  const bytes = Buffer.from(body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1");
  return bytes.toString("utf8").replace(/\r\n/g, "\n");
}

/** A header of a raw mail (unfolded). */
export function mailHeader(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1];
}
