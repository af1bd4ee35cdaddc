/**
 * Uploads whose body the test controls, over node:http: sent whole (a slice at a time, stopping when the server
 * answers early), or a first slice and then nothing, the request left open. An answer to the second kind proves
 * the server decided without reading the body.
 */
import { request } from "node:http";

export interface UploadReply {
  status: number;
  /** JSON, or `{ detail }` holding a body that is not (errors are problem documents with `detail`). */
  body: { detail?: string } & Record<string, unknown>;
  /** Bytes of the body written before the answer came. */
  sent: number;
  /** Whether the whole body had been written when the answer came. */
  finished: boolean;
  /** Milliseconds from the first byte sent to the answer. */
  ms: number;
  /** The Retry-After header, if any. */
  retryAfter?: string;
}

export function upload(
  url: string,
  init: { headers: Record<string, string>; body: Uint8Array; hold?: boolean; method?: string },
): Promise<UploadReply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let sent = 0;
    let finished = false;
    let answered = false;
    const req = request(url, { method: init.method ?? "POST", headers: init.headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      const atAnswer = { sent, finished, ms: performance.now() - started };
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        const text = Buffer.concat(chunks).toString();
        let body: UploadReply["body"];
        try {
          body = JSON.parse(text) as UploadReply["body"];
        } catch {
          body = { detail: text };
        }
        const retryAfter = res.headers["retry-after"];
        resolve({ status: res.statusCode ?? 0, body, retryAfter: typeof retryAfter === "string" ? retryAfter : undefined, ...atAnswer });
      });
    });
    // A server that answers early may close the connection under a body still being written.
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    const SLICE = 64 << 10;
    if (init.hold) {
      const first = init.body.subarray(0, SLICE);
      req.write(first);
      sent = first.byteLength;
      return;
    }
    const write = (at: number) => {
      while (at < init.body.byteLength && !answered) {
        const slice = init.body.subarray(at, at + SLICE);
        at += slice.byteLength;
        sent = at;
        if (!req.write(slice)) return void req.once("drain", () => write(at));
      }
      if (!answered) {
        finished = true;
        req.end();
      }
    };
    write(0);
  });
}

/** A multipart/form-data body of the given fields, in order; `file` parts are [filename, bytes]. */
export function multipart(parts: [string, string | [string, Uint8Array]][]): { type: string; body: Uint8Array } {
  const boundary = `----flightdeck${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of parts) {
    if (typeof value === "string") {
      chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${value[0]}"\r\ncontent-type: application/octet-stream\r\n\r\n`), Buffer.from(value[1]), Buffer.from("\r\n"));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { type: `multipart/form-data; boundary=${boundary}`, body: new Uint8Array(Buffer.concat(chunks)) };
}
