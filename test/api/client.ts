/** A small HTTP client for the permission tests: a session cookie or a bearer token, tRPC and REST calls. */
import { request } from "node:http";
import { io, type Socket } from "socket.io-client";
import type { JoinAck } from "../../server/broadcaster";

type JoinResult = Parameters<JoinAck>[0];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http rather than fetch: each client can send from its own loopback address (rate limits key on it). */
function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", headers: init.headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

export class Client {
  cookie = "";

  constructor(
    readonly url: string,
    readonly name: string,
    readonly bearer?: string,
    /** The loopback address to send from, e.g. 127.0.0.9. */
    readonly from?: string,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}), ...extra };
  }

  /** Sign in through better-auth's endpoint and keep the session cookie. Returns the HTTP status. */
  async signIn(username: string, password: string): Promise<number> {
    const res = await send(`${this.url}/api/auth/sign-in/username`, { method: "POST", headers: this.headers({ "content-type": "application/json", origin: this.url }), body: JSON.stringify({ username, password }) }, this.from);
    const setCookie = res.headers["set-cookie"];
    const cookies = (Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []).map((c) => c.split(";")[0]!);
    if (res.status === 200) this.cookie = cookies.join("; ");
    return res.status;
  }

  async signOut(): Promise<number> {
    return (await send(`${this.url}/api/auth/sign-out`, { method: "POST", headers: this.headers({ "content-type": "application/json", origin: this.url }), body: "{}" }, this.from)).status;
  }

  /** A tRPC call: the HTTP status, the tRPC error code (if any) and the data. */
  async trpc<T = unknown>(path: string, input: unknown, kind: "query" | "mutation"): Promise<{ status: number; code?: string; message?: string; data?: T }> {
    const res =
      kind === "mutation"
        ? await send(`${this.url}/api/trpc/${path}`, { method: "POST", headers: this.headers({ "content-type": "application/json" }), body: JSON.stringify(input ?? null) }, this.from)
        : await send(`${this.url}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers: this.headers() }, this.from);
    const body = JSON.parse(res.body.toString()) as { result?: { data: T }; error?: { message: string; data?: { code: string } } };
    return { status: res.status, code: body.error?.data?.code, message: body.error?.message, data: body.result?.data };
  }

  async ok<T = unknown>(path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
    const r = await this.trpc<T>(path, input, kind);
    if (r.status !== 200) throw new Error(`${this.name} ${path}: ${r.status} ${r.code} ${r.message}`);
    return r.data as T;
  }

  async rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await send(`${this.url}${path}`, { method, headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }), body: body === undefined ? undefined : JSON.stringify(body) }, this.from);
    const type = String(res.headers["content-type"] ?? "");
    return { status: res.status, body: type.includes("json") ? (JSON.parse(res.body.toString()) as unknown) : res.body };
  }

  socket(): Socket {
    return io(this.url, { path: "/socket.io", transports: ["websocket"], extraHeaders: this.headers(), auth: this.bearer ? { token: this.bearer } : {}, reconnection: false });
  }
}

/** Emit a join and wait for its acknowledgement. */
export function join(socket: Socket, event: "site.watch" | "run.watch" | "board.watch", arg: string | number): Promise<JoinResult> {
  return socket.timeout(5000).emitWithAck(event, arg) as Promise<JoinResult>;
}
