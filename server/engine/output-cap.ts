/**
 * How much of one step's output is kept: the server stores, and `flightdeck exec --json` prints, at most
 * OUTPUT_CAP_BYTES per host and step, and says where it cut, in the output itself.
 */
import type { OutputChunk } from "./events";

export const OUTPUT_CAP_BYTES = 256 * 1024;
const NOTICE = `\n[flightdeck: output truncated: only the first ${OUTPUT_CAP_BYTES / 1024} KiB of this step are kept]\n`;

export class OutputCap {
  private readonly used = new Map<string, number>();

  /** The part of `chunk` to keep (with the notice when this chunk crosses the cap), or undefined past it. */
  take(chunk: OutputChunk): string | undefined {
    const key = `${chunk.host}\0${chunk.step}`;
    const used = this.used.get(key) ?? 0;
    // Past the cap (one byte past it marks "the cut was said"), nothing more of this step is kept.
    if (used > OUTPUT_CAP_BYTES) return undefined;
    const size = Buffer.byteLength(chunk.data);
    this.used.set(key, used + size);
    if (used + size <= OUTPUT_CAP_BYTES) return chunk.data;
    // Also when the cap was reached exactly by earlier chunks: the first byte that does not fit says so.
    return `${Buffer.from(chunk.data).subarray(0, OUTPUT_CAP_BYTES - used).toString("utf8")}${NOTICE}`;
  }
}
