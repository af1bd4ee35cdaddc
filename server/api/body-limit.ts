/**
 * tRPC reads a request's whole body before any procedure runs, so its size is bounded here, in the route:
 * a body over `max` fails while it is read (or at once, by its Content-Length) with PAYLOAD_TOO_LARGE, which
 * tRPC answers as it answers any error. Used by app/api/trpc/[trpc]/route.ts and the test server alike.
 * The body must also be valid UTF-8: JSON parsing would turn a bad byte into U+FFFD, silently changing a
 * saved file, where archive import refuses it.
 */
import { TRPCError } from "@trpc/server";
import { size } from "../limits";

export function limitBody(req: Request, max: number): Request {
  if (!req.body) return req;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const reader = req.body.getReader();
  let total = 0;
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: TRPCError) => {
    controller.error(error);
    void reader.cancel().catch(() => undefined);
  };
  const refuse = (controller: ReadableStreamDefaultController<Uint8Array>) =>
    fail(controller, new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `the request is larger than ${size(max)}, the most accepted` }));
  const checkText = (controller: ReadableStreamDefaultController<Uint8Array>, bytes?: Uint8Array): boolean => {
    try {
      utf8.decode(bytes, { stream: bytes !== undefined });
      return true;
    } catch {
      fail(controller, new TRPCError({ code: "BAD_REQUEST", message: "the request body is not valid UTF-8 text" }));
      return false;
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (declared > max) return refuse(controller);
      const { done, value } = await reader.read();
      if (done) return checkText(controller) ? controller.close() : undefined;
      total += value.byteLength;
      if (total > max) return refuse(controller);
      if (checkText(controller, value)) controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: "half" } as RequestInit);
}
