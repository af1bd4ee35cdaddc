/** Request bodies read with a bound: refused as soon as they pass it, before the rest is read. */
import { size, tooLarge } from "../limits";

/** The whole body, at most `max` bytes (a declared Content-Length over it is refused before reading anything). */
export async function readBody(req: Request, max: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  const refuse = () => tooLarge(`${what} is larger than ${size(max)}, the most accepted`);
  if (declared > max) throw refuse();
  if (!req.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw refuse();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
