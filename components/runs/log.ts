/**
 * The lines of a host's output as a terminal would show them, for the log tail: chunks split into lines per
 * step and stream (stderr kept apart from stdout), ANSI styles parsed once, "\r" rewriting the current line,
 * and at most MAX_LINES kept. Lines live in blocks of BLOCK lines; a block that is full never changes again,
 * so the view re-renders only the last block when output arrives.
 */
import { AnsiParser, type Span } from "./ansi";

export const BLOCK = 200;
export const MAX_LINES = 5000;

export type Stream = "stdout" | "stderr";

export interface LogLine {
  no: number;
  step: string;
  stream: Stream;
  /** A "step" line heads the output of the next step (when all steps are shown). */
  kind: "text" | "step";
  spans: Span[];
}

export interface LogChunk {
  step: string;
  stream: Stream;
  data: string;
}

export class LogModel {
  /** blocks[k] holds the lines numbered (firstBlock + k) * BLOCK onwards. */
  blocks: LogLine[][] = [];
  firstBlock = 0;
  /** Lines dropped from the head to stay under MAX_LINES. */
  dropped = 0;
  version = 0;
  bytes = 0;
  private next = 0;
  private readonly open = new Map<string, number>();
  private readonly parsers = new Map<string, AnsiParser>();
  private readonly pendingCr = new Set<string>();
  private lastStep: string | undefined;
  /** Blocks handed to the view: copied before they change (copy on write), so memoised blocks stay right. */
  private readonly published = new WeakSet<LogLine[]>();

  constructor(private readonly stepHeaders: boolean) {}

  /** The blocks to render; later changes to them go to copies. */
  publish(): LogLine[][] {
    for (const b of this.blocks) this.published.add(b);
    return [...this.blocks];
  }

  get lineCount(): number {
    return this.next - this.firstBlock * BLOCK;
  }

  /**
   * Stored output at once: chunks whose lines would be dropped anyway are only counted, not parsed, so opening
   * a host with megabytes of output costs what the last MAX_LINES lines cost.
   */
  appendAll(chunks: readonly LogChunk[]) {
    let lines = 0;
    let start = chunks.length;
    while (start > 0 && lines < MAX_LINES) {
      start--;
      lines += countLines(chunks[start]!.data);
    }
    let skipped = 0;
    for (let i = 0; i < start; i++) skipped += countLines(chunks[i]!.data);
    this.dropped += skipped;
    for (let i = start; i < chunks.length; i++) this.append(chunks[i]!);
  }

  append(chunk: LogChunk) {
    const key = `${chunk.step}\0${chunk.stream}`;
    let parser = this.parsers.get(key);
    if (!parser) this.parsers.set(key, (parser = new AnsiParser()));
    this.bytes += chunk.data.length;
    let data = chunk.data;
    if (this.pendingCr.delete(key) && !data.startsWith("\n")) this.carriageReturn(key);
    if (data.endsWith("\r")) {
      this.pendingCr.add(key);
      data = data.slice(0, -1);
    }
    const pieces = data.split(/(\r?\n|\r)/);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i % 2 === 1) {
        if (piece === "\r") this.carriageReturn(key);
        else this.endLine(key, chunk);
        continue;
      }
      const spans = parser.push(piece);
      if (spans.length) this.addSpans(key, chunk, spans);
    }
    this.version++;
  }

  private endLine(key: string, chunk: LogChunk) {
    if (!this.open.has(key)) this.newLine(chunk); // an empty line
    this.open.delete(key);
  }

  private carriageReturn(key: string) {
    const no = this.open.get(key);
    if (no === undefined) return;
    const line = this.line(no);
    if (line) this.replace({ ...line, spans: [] });
  }

  private addSpans(key: string, chunk: LogChunk, spans: Span[]) {
    let no = this.open.get(key);
    let line = no === undefined ? undefined : this.line(no);
    if (!line) {
      line = this.newLine(chunk);
      no = line.no;
      this.open.set(key, no);
    }
    const merged = [...line.spans];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last && last.cls === s.cls) merged[merged.length - 1] = { text: last.text + s.text, cls: s.cls };
      else merged.push(s);
    }
    this.replace({ ...line, spans: merged });
  }

  private newLine(chunk: LogChunk): LogLine {
    if (this.stepHeaders && chunk.step !== this.lastStep) this.push({ no: this.next++, step: chunk.step, stream: "stdout", kind: "step", spans: [{ text: chunk.step, cls: "" }] });
    this.lastStep = chunk.step;
    const line: LogLine = { no: this.next++, step: chunk.step, stream: chunk.stream, kind: "text", spans: [] };
    this.push(line);
    return line;
  }

  private push(line: LogLine) {
    const b = Math.floor(line.no / BLOCK) - this.firstBlock;
    if (b === this.blocks.length) this.blocks.push([line]);
    else this.writable(b).push(line);
    while (this.lineCount > MAX_LINES + BLOCK) {
      const gone = this.blocks.shift()!;
      this.firstBlock++;
      this.dropped += gone.length;
      for (const [k, no] of this.open) if (no < this.firstBlock * BLOCK) this.open.delete(k);
    }
  }

  private line(no: number): LogLine | undefined {
    const b = this.blocks[Math.floor(no / BLOCK) - this.firstBlock];
    return b?.[no % BLOCK];
  }

  private replace(line: LogLine) {
    const k = Math.floor(line.no / BLOCK) - this.firstBlock;
    if (!this.blocks[k]) return;
    this.writable(k)[line.no % BLOCK] = line;
  }

  private writable(k: number): LogLine[] {
    const block = this.blocks[k]!;
    if (!this.published.has(block)) return block;
    const copy = [...block];
    this.blocks[k] = copy;
    return copy;
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}
