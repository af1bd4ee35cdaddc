/**
 * Scanning: template text is cut into text, `{{ output }}`, `{% statement %}` and `{# comment #}` items; the inside
 * of each tag is tokenized here too, so that a `}}` inside a string literal does not end the tag. `{% raw %}` is
 * handled while scanning: its content becomes plain text. Whitespace control is applied last (see `applyWhitespace`).
 */
import { type Locator } from "./errors";

export type Token =
  | { type: "name"; value: string; start: number; end: number }
  | { type: "op"; value: string; start: number; end: number }
  | { type: "string"; value: string; start: number; end: number }
  | { type: "number"; value: number; start: number; end: number }
  /** The closing delimiter (`}}` or `%}`): the parser's end of input. */
  | { type: "end"; value: string; start: number; end: number };

interface TagBase {
  /** Offset of the opening delimiter. */
  start: number;
  /** Offset just after the closing delimiter. */
  end: number;
  /** `{{-`, `{%-`, `{#-`: strip whitespace (newlines included) before the tag. */
  trimLeft: boolean;
  /** `-}}`, `-%}`, `-#}`: strip whitespace after the tag. */
  trimRight: boolean;
}

export type Item =
  | { kind: "text"; value: string; start: number }
  | (TagBase & { kind: "output"; tokens: Token[] })
  | (TagBase & { kind: "statement"; tokens: Token[] })
  | (TagBase & { kind: "comment" })
  /** `{% raw %}` and `{% endraw %}`: tags for whitespace control, nothing for the parser. */
  | (TagBase & { kind: "marker" });

const OPERATORS = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|"];
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const OPENER = /\{[{%#]/g;
const ENDRAW = /\{%(-?)\s*endraw\s*(-?)%\}/g;
export const LITERAL_HINT = "to write it literally, use {{ '{{' }} or {% raw %}...{% endraw %}";

/** Whether `s` contains anything the template language would interpret: `{{`, `{%` or `{#`. */
export function hasTemplateSyntax(s: string): boolean {
  return s.includes("{{") || s.includes("{%") || s.includes("{#");
}

export function scan(source: string, loc: Locator): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    OPENER.lastIndex = pos;
    const m = OPENER.exec(source);
    if (!m) {
      if (pos < source.length) items.push({ kind: "text", value: source.slice(pos), start: pos });
      break;
    }
    const start = m.index;
    if (start > pos) items.push({ kind: "text", value: source.slice(pos, start), start: pos });
    const opener = m[0];
    let p = start + 2;
    const trimLeft = source[p] === "-";
    if (trimLeft) p++;

    if (opener === "{#") {
      const close = source.indexOf("#}", p);
      if (close === -1) {
        throw loc.syntaxError(
          `unclosed comment '{#' opened at ${loc.where(start)} (a shell '\${#var}' needs {% raw %}...{% endraw %} around it)`,
          source.length,
        );
      }
      items.push({ kind: "comment", start, end: close + 2, trimLeft, trimRight: close > p && source[close - 1] === "-" });
      pos = close + 2;
      continue;
    }

    const close = opener === "{{" ? "}}" : "%}";
    const { tokens, end, trimRight } = lexTag(source, p, close, opener, start, loc);
    if (opener === "{{") {
      items.push({ kind: "output", tokens, start, end, trimLeft, trimRight });
      pos = end;
      continue;
    }
    const first = tokens[0];
    if (first?.type === "name" && first.value === "raw" && tokens[1]?.type === "end") {
      items.push({ kind: "marker", start, end, trimLeft, trimRight });
      ENDRAW.lastIndex = end;
      const e = ENDRAW.exec(source);
      if (!e) throw loc.syntaxError(`unclosed '{% raw %}' opened at ${loc.where(start)} (expected '{% endraw %}')`, source.length);
      if (e.index > end) items.push({ kind: "text", value: source.slice(end, e.index), start: end });
      items.push({ kind: "marker", start: e.index, end: e.index + e[0].length, trimLeft: e[1] === "-", trimRight: e[2] === "-" });
      pos = e.index + e[0].length;
      continue;
    }
    items.push({ kind: "statement", tokens, start, end, trimLeft, trimRight });
    pos = end;
  }
  return items;
}

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

/** Tokens from `from` up to and including the closing delimiter. */
function lexTag(
  source: string,
  from: number,
  close: "}}" | "%}",
  opener: string,
  openedAt: number,
  loc: Locator,
): { tokens: Token[]; end: number; trimRight: boolean } {
  const tokens: Token[] = [];
  let braces = 0;
  let p = from;
  const unclosed = () => loc.syntaxError(`unclosed '${opener}' opened at ${loc.where(openedAt)}`, source.length);
  /** A lexical error, unless the tag is simply never closed: then that is the clearer story. */
  const fail = (reason: string, at: number) => (source.includes(close, from) ? loc.syntaxError(reason, at) : unclosed());

  for (;;) {
    while (isSpace(source[p])) p++;
    if (p >= source.length) throw unclosed();
    const c = source[p]!;
    if (braces === 0) {
      if (source.startsWith(close, p)) {
        tokens.push({ type: "end", value: close, start: p, end: p + 2 });
        return { tokens, end: p + 2, trimRight: false };
      }
      if (c === "-" && source.startsWith(close, p + 1)) {
        tokens.push({ type: "end", value: close, start: p, end: p + 3 });
        return { tokens, end: p + 3, trimRight: true };
      }
    }
    if (c === "'" || c === '"') {
      const { value, end } = lexString(source, p, fail);
      tokens.push({ type: "string", value, start: p, end });
      p = end;
      continue;
    }
    NAME.lastIndex = p;
    const name = NAME.exec(source);
    if (name) {
      tokens.push({ type: "name", value: name[0], start: p, end: p + name[0].length });
      p += name[0].length;
      continue;
    }
    NUMBER.lastIndex = p;
    const num = NUMBER.exec(source);
    if (num) {
      const end = p + num[0].length;
      if (/[A-Za-z0-9_]/.test(source[end] ?? "")) throw fail(`invalid number '${source.slice(p, end + 1)}'`, p);
      tokens.push({ type: "number", value: Number(num[0]), start: p, end });
      p = end;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, p));
    if (op === undefined) {
      const hint = tokens.length === 0 ? `; ${LITERAL_HINT}` : "";
      throw fail(`unexpected character '${c}'${hint}`, p);
    }
    if (op === "{") braces++;
    else if (op === "}" && braces > 0) braces--;
    tokens.push({ type: "op", value: op, start: p, end: p + op.length });
    p += op.length;
  }
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"' };

/** A quoted string with Python's escapes: \n \t \r \0 \\ \' \" \xHH \uHHHH; any other backslash stays as it is. */
function lexString(source: string, start: number, fail: (reason: string, at: number) => Error): { value: string; end: number } {
  const quote = source[start]!;
  let out = "";
  let p = start + 1;
  for (;;) {
    if (p >= source.length) throw fail("unterminated string", start);
    const c = source[p]!;
    if (c === quote) return { value: out, end: p + 1 };
    if (c !== "\\") {
      out += c;
      p++;
      continue;
    }
    const e = source[p + 1];
    if (e === undefined) throw fail("unterminated string", start);
    const simple = Object.hasOwn(ESCAPES, e) ? ESCAPES[e] : undefined;
    if (simple !== undefined) {
      out += simple;
      p += 2;
    } else if (e === "x" || e === "u") {
      const digits = e === "x" ? 2 : 4;
      const hex = source.slice(p + 2, p + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw fail(`invalid escape '\\${e}${hex}' in a string`, p);
      out += String.fromCharCode(parseInt(hex, 16));
      p += 2 + digits;
    } else {
      out += "\\" + e;
      p += 2;
    }
  }
}

const TAG_ONLY = new Set<Item["kind"]>(["statement", "comment", "marker"]);
const INLINE_SPACE = /^[ \t]*$/;

/**
 * Whitespace control, in two passes over the scanned items.
 *
 * 1. Block lines vanish: a line holding only `{% ... %}` statements and `{# ... #}` comments (and spaces or tabs) is
 *    removed with its line break, so `{% for %}` / `{% endfor %}` on their own lines leave no blank lines behind.
 *    (Jinja's `trim_blocks` + `lstrip_blocks`, but only for lines that hold nothing else: a tag in the middle of a
 *    line never eats the line break that follows it.)
 * 2. Explicit markers: `{{-` / `{%-` / `{#-` strip all whitespace before the tag, `-}}` / `-%}` / `-#}` all
 *    whitespace after it, line breaks included.
 */
export function applyWhitespace(items: Item[]): void {
  const cutStart = new Map<number, number>();
  const cutEnd = new Map<number, number>();
  const blank = new Set<number>();

  let i = 0;
  while (i < items.length) {
    if (!TAG_ONLY.has(items[i]!.kind) && !isInlineSpace(items[i])) {
      i++;
      continue;
    }
    let j = i;
    let tags = 0;
    while (j < items.length && (TAG_ONLY.has(items[j]!.kind) || isInlineSpace(items[j]))) {
      if (TAG_ONLY.has(items[j]!.kind)) tags++;
      j++;
    }
    // items[i..j) is a run of tags and inline spaces; it is a block line when it starts a line and ends one.
    const before = items[i - 1];
    const after = items[j];
    const indent = before?.kind === "text" ? trailingInlineSpace(before.value) : 0;
    const startsLine = before === undefined || (before.kind === "text" && before.value[before.value.length - indent - 1] === "\n");
    const endLength = after === undefined ? 0 : after.kind === "text" ? /^[ \t]*\r?\n/.exec(after.value)?.[0].length : undefined;
    if (tags > 0 && startsLine && endLength !== undefined) {
      if (before?.kind === "text") cutEnd.set(i - 1, indent);
      for (let k = i; k < j; k++) if (items[k]!.kind === "text") blank.add(k);
      if (after?.kind === "text") cutStart.set(j, endLength);
    }
    i = j;
  }
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    if (item.kind !== "text") continue;
    if (blank.has(k)) item.value = "";
    else item.value = item.value.slice(cutStart.get(k) ?? 0, item.value.length - (cutEnd.get(k) ?? 0));
  }

  for (let k = 0; k < items.length; k++) {
    const item = items[k]!;
    if (item.kind === "text") continue;
    const prev = items[k - 1];
    const next = items[k + 1];
    if (item.trimLeft && prev?.kind === "text") prev.value = prev.value.trimEnd();
    if (item.trimRight && next?.kind === "text") next.value = next.value.trimStart();
  }
}

/** How many spaces and tabs end `s` (a loop: `/[ \t]*$/` backtracks quadratically on long runs). */
function trailingInlineSpace(s: string): number {
  let n = 0;
  while (n < s.length && (s[s.length - 1 - n] === " " || s[s.length - 1 - n] === "\t")) n++;
  return n;
}

function isInlineSpace(item: Item | undefined): boolean {
  return item?.kind === "text" && INLINE_SPACE.test(item.value);
}
