/**
 * Text for new YAML values, written the way the file around them is: block or flow per key as the siblings
 * have it, the file's indentation step and sequence indentation. Only new text is rendered here; what is
 * already in the file is never re-printed (./splice.ts inserts and cuts by offsets).
 */
import { stringify } from "yaml";

export interface Style {
  /** Spaces per level. */
  indent: number;
  /** `key:\n  - a` (true) or `key:\n- a` (false). */
  indentSeq: boolean;
  /** `{ a: 1 }` (true) or `{a: 1}` (false). */
  flowPadding: boolean;
  /** Keys whose values the siblings write as flow collections (true) or block ones (false). */
  flowKeys: Map<string, boolean>;
}

export const DEFAULT_STYLE: Style = { indent: 2, indentSeq: false, flowPadding: false, flowKeys: new Map() };

/** What a file's existing text says about its style. */
export function detectStyle(content: string): Omit<Style, "flowKeys"> {
  const step = /\n( +)\S/.exec(content);
  return {
    indent: step ? Math.min(step[1]!.length, 8) : 2,
    indentSeq: seqIndented(content),
    flowPadding: /[{[] \S/.test(content.replace(/#[^\n]*/g, "")),
  };
}

/** Whether the first `key:` followed by a block sequence has the dashes deeper than the key. */
function seqIndented(content: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\n( *)- /m.exec(content);
  return m ? m[2]!.length > m[1]!.length : false;
}

const isCollection = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === "object" && v !== null;

/** A scalar as one line of YAML (quoted when plain text would read as something else; JSON quotes for newlines). */
export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string" && /[\n\r\t]/.test(value)) return JSON.stringify(value);
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

export function flowText(value: unknown, style: Pick<Style, "flowPadding">): string {
  if (!isCollection(value)) return scalarText(value);
  const pad = style.flowPadding ? " " : "";
  if (Array.isArray(value)) return value.length ? `[${pad}${value.map((v) => flowText(v, style)).join(", ")}${pad}]` : "[]";
  const entries = Object.entries(value);
  return entries.length ? `{${pad}${entries.map(([k, v]) => `${scalarText(k)}: ${flowText(v, style)}`).join(", ")}${pad}}` : "{}";
}

/** Short maps written on one line in the documentation's examples (PRODUCT.md), when no sibling says otherwise. */
const FLOW_BY_DEFAULT = new Set(["labels", "connection"]);

/** Flow when the siblings write this key so, or (unknown key) for lists of scalars and empty collections. */
function wantsFlow(key: string | undefined, value: unknown, style: Style): boolean {
  if (!isCollection(value)) return true;
  const items = Array.isArray(value) ? value : Object.values(value);
  if (items.length === 0) return true;
  const known = key === undefined ? undefined : style.flowKeys.get(key);
  if (known !== undefined) return known;
  if (key !== undefined && FLOW_BY_DEFAULT.has(key)) return true;
  return Array.isArray(value) && items.every((v) => !isCollection(v));
}

/**
 * `value` as the value of `key` at `column` (the key's column): either one line after "key: " (`inline`) or
 * lines below it (`lines`, already indented).
 */
export function renderValue(key: string | undefined, value: unknown, column: number, style: Style): { inline: string } | { lines: string[] } {
  if (wantsFlow(key, value, style)) return { inline: flowText(value, style) };
  if (Array.isArray(value)) return { lines: seqLines(value, column + (style.indentSeq ? style.indent : 0), style) };
  return { lines: mapLines(value as Record<string, unknown>, column + style.indent, style) };
}

/** `key: value` lines of a map at `column`. */
export function mapLines(map: Record<string, unknown>, column: number, style: Style): string[] {
  const pad = " ".repeat(column);
  const out: string[] = [];
  for (const [k, v] of Object.entries(map)) {
    const r = renderValue(k, v, column, style);
    if ("inline" in r) out.push(`${pad}${scalarText(k)}: ${r.inline}`);
    else out.push(`${pad}${scalarText(k)}:`, ...r.lines);
  }
  return out;
}

/** `- item` lines of a sequence whose dashes are at `column`. */
export function seqLines(items: readonly unknown[], column: number, style: Style): string[] {
  return items.flatMap((item) => itemLines(item, column, style));
}

/** One `- item` at `column`: a block map's first key shares the dash's line. */
export function itemLines(item: unknown, column: number, style: Style): string[] {
  const pad = " ".repeat(column);
  if (isCollection(item) && !Array.isArray(item) && Object.keys(item).length) {
    const lines = mapLines(item, column + 2, style);
    return [`${pad}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
  }
  return [`${pad}- ${flowText(item, style)}`];
}
