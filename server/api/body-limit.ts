/**
 * tRPC reads a request's whole body before any procedure runs, so its size is bounded here, in the route:
 * a body over `max` fails while it is read (or at once, by its Content-Length) with PAYLOAD_TOO_LARGE, which
 * tRPC answers as it answers any error. Used by app/api/trpc/[trpc]/route.ts and the test server alike.
 */
import { TRPCError } from "@trpc/server";
import { size } from "../limits";

export function limitBody(req: Request, max: number): Request {
  if (!req.body) return req;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const reader = req.body.getReader();
  let total = 0;
  const refuse = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    controller.error(new TRPCError({ code: "PAYLOAD_TOO_LARGE", message: `the request is larger than ${size(max)}, the most accepted` }));
    void reader.cancel().catch(() => undefined);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (declared > max) return refuse(controller);
      const { done, value } = await reader.read();
      if (done) return controller.close();
      total += value.byteLength;
      if (total > max) return refuse(controller);
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: "half" } as RequestInit);
}
