/**
 * A small ANSI → styled spans converter for step output: SGR colours (30–37, 90–97, and their backgrounds),
 * bold, dim, italic, underline and reset become CSS classes (`a-f1`, `a-b4`, `a-bold`, …); every other escape
 * sequence (cursor moves, OSC titles, charset switches) and stray control characters are dropped. It is
 * streaming: the style and an escape cut between two chunks carry over to the next `push`.
 */

export interface Span {
  text: string;
  /** Space-separated classes, or "" for the default style. */
  cls: string;
  /** Shown on hover (a MAAS event's full timestamp). */
  title?: string;
}

interface Style {
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const PLAIN: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ST), charset selection, and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b(?:\[([0-?]*)[ -/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()*+][0-9A-Za-z]|[@-Z\\-_])/y;
// What the start of an escape cut at a chunk's end can look like.
// eslint-disable-next-line no-control-regex
const PARTIAL = /^\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[()*+])?$/;
// C0 controls other than tab, newline and carriage return, and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;

function classOf(s: Style): string {
  const c: string[] = [];
  if (s.fg !== null) c.push(`a-f${s.fg}`);
  if (s.bg !== null) c.push(`a-b${s.bg}`);
  if (s.bold) c.push("a-bold");
  if (s.dim) c.push("a-dim");
  if (s.italic) c.push("a-it");
  if (s.underline) c.push("a-ul");
  return c.join(" ");
}

function applySgr(style: Style, params: string): Style {
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  let s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const n = codes[i]!;
    if (n === 0) s = { ...PLAIN };
    else if (n === 1) s.bold = true;
    else if (n === 2) s.dim = true;
    else if (n === 3) s.italic = true;
    else if (n === 4) s.underline = true;
    else if (n === 22) s.bold = s.dim = false;
    else if (n === 23) s.italic = false;
    else if (n === 24) s.underline = false;
    else if (n >= 30 && n <= 37) s.fg = n - 30;
    else if (n === 39) s.fg = null;
    else if (n >= 40 && n <= 47) s.bg = n - 40;
    else if (n === 49) s.bg = null;
    else if (n >= 90 && n <= 97) s.fg = n - 90 + 8;
    else if (n >= 100 && n <= 107) s.bg = n - 100 + 8;
    else if (n === 38 || n === 48) {
      // 256 colours (5;n) keep the 16 basic ones; true colour (2;r;g;b) is skipped.
      const mode = codes[i + 1];
      if (mode === 5) {
        const v = codes[i + 2];
        if (v !== undefined && v < 16) {
          if (n === 38) s.fg = v;
          else s.bg = v;
        }
        i += 2;
      } else if (mode === 2) i += 4;
    }
  }
  return s;
}

export class AnsiParser {
  private style: Style = { ...PLAIN };
  private rest = "";

  /** Converts a chunk to spans (their text may hold "\n", "\r" and tabs; nothing else below space). */
  push(chunk: string): Span[] {
    const data = this.rest + chunk;
    this.rest = "";
    const out: Span[] = [];
    const emit = (text: string) => {
      const clean = text.replace(CONTROL, "");
      if (!clean) return;
      const cls = classOf(this.style);
      const last = out[out.length - 1];
      if (last && last.cls === cls) last.text += clean;
      else out.push({ text: clean, cls });
    };
    let i = 0;
    while (i < data.length) {
      const esc = data.indexOf("\x1b", i);
      if (esc < 0) {
        emit(data.slice(i));
        break;
      }
      emit(data.slice(i, esc));
      ESCAPE.lastIndex = esc;
      const m = ESCAPE.exec(data);
      if (m) {
        if (m[2] === "m") this.style = applySgr(this.style, m[1] ?? "");
        i = ESCAPE.lastIndex;
        continue;
      }
      const tail = data.slice(esc);
      if (tail.length < 64 && PARTIAL.test(tail)) {
        this.rest = tail;
        break;
      }
      i = esc + 1; // a lone ESC: drop it
    }
    return out;
  }
}

/** One-shot conversion of a whole string. */
export function ansiToSpans(text: string): Span[] {
  return new AnsiParser().push(text);
}
