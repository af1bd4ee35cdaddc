/**
 * Masking: a wrapper EventSink that replaces every known secret value with `********` in output chunks and in
 * every string of every event (messages, errors), so nothing downstream (the CLI's display, the store, the
 * browser) ever holds a decrypted value. A secret split across two output chunks is caught by holding back a
 * chunk's tail while it could be the start of a secret, until more output or the step's end. Only such a tail is
 * held, so a stream is not delayed (and stdout does not fall behind stderr) when nothing looks like a secret.
 * Each value's base64 (standard and url-safe, at the three alignments it can have inside longer base64) and
 * hex (lower and upper case) forms are masked too: a step that encodes a value does not walk it past the mask.
 * That is defence in depth; what keeps a step from the server's own secrets is the sandbox.
 */
import type { EngineEvent, EventSink, OutputChunk } from "./events";

export const MASK = "********";

/**
 * Values shorter than this are not masked: replacing every "1", "no" or "" in all output would garble it
 * and tell a reader the value anyway (by where the stars appear). A notice says so instead.
 */
export const MIN_MASKED_LENGTH = 3;

/** Encoded forms shorter than this are not masked: a few base64 characters occur by chance in long output. */
export const MIN_ENCODED_LENGTH = 6;

/**
 * The base64 and hex texts that any encoding of a text containing `value` must contain. Inside longer base64,
 * the value starts at byte offset 0, 1 or 2 of a 3-byte group; for each, the characters that depend only on
 * the value's bytes (not on its neighbours') are the ones kept.
 */
export function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const forms = new Set<string>();
  for (const offset of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const total = offset + bytes.length;
    const rest = total % 3;
    const start = [0, 2, 3][offset]!;
    const end = Math.floor(total / 3) * 4 + (rest === 0 ? 0 : rest === 1 ? 1 : 2);
    const core = text.slice(start, end);
    forms.add(core);
    forms.add(core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  const hex = bytes.toString("hex");
  forms.add(hex);
  forms.add(hex.toUpperCase());
  return [...forms].filter((f) => f.length >= MIN_ENCODED_LENGTH);
}

export class MaskingSink implements EventSink {
  /** Longest first, so a secret containing another is masked whole. */
  private secrets: string[] = [];
  private readonly tooShort = new Set<string>();
  private readonly pending = new Map<string, OutputChunk>();

  constructor(private readonly inner: EventSink) {}

  /** A value from now on masked (`label` names it in a notice when it is too short to mask, never the value). */
  add(value: string, label: string) {
    if (value.length < MIN_MASKED_LENGTH) {
      if (!this.tooShort.has(label)) {
        this.tooShort.add(label);
        this.event({ type: "notice", message: `${label} is too short to mask (${value.length} characters): output that contains it is shown as it is` });
      }
      return;
    }
    const fresh = [value, ...encodedForms(value)].filter((v) => !this.secrets.includes(v));
    if (fresh.length) this.secrets = [...this.secrets, ...fresh].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  }

  event(event: EngineEvent) {
    // A step's state change comes after its output: what was held back goes first.
    if (event.type === "step.status") this.flushStep(event.host, event.step);
    if (event.type === "run.finished") this.flush();
    this.inner.event(this.maskDeep(event));
  }

  output(chunk: OutputChunk) {
    const key = `${chunk.host}\0${chunk.step}\0${chunk.stream}`;
    const held = this.pending.get(key)?.data ?? "";
    const masked = this.mask(held + chunk.data);
    // Any secret that starts before the cut ends inside `masked`, so it is already masked.
    const cut = masked.length - this.secretPrefixAtEnd(masked);
    if (cut > 0) this.inner.output({ ...chunk, data: masked.slice(0, cut) });
    if (cut < masked.length) this.pending.set(key, { ...chunk, data: masked.slice(cut) });
    else this.pending.delete(key);
  }

  /** The length of the longest end of `text` that a secret starts with (and is not the whole secret). */
  private secretPrefixAtEnd(text: string): number {
    const longest = Math.min(text.length, (this.secrets[0]?.length ?? 1) - 1);
    for (let k = longest; k > 0; k--) {
      const end = text.slice(-k);
      if (this.secrets.some((s) => s.length > k && s.startsWith(end))) return k;
    }
    return 0;
  }

  /** Emit what is held back for one step (at its end). */
  flushStep(host: string, step: string) {
    for (const [key, chunk] of this.pending) {
      if (chunk.host !== host || chunk.step !== step) continue;
      this.pending.delete(key);
      this.inner.output({ ...chunk, data: this.mask(chunk.data) });
    }
  }

  /** Emit everything held back. */
  flush() {
    for (const chunk of this.pending.values()) this.inner.output({ ...chunk, data: this.mask(chunk.data) });
    this.pending.clear();
  }

  private maskDeep<T>(value: T): T {
    if (!this.secrets.length) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.mask(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
      return v;
    };
    return walk(value) as T;
  }
}
