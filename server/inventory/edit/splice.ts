/**
 * Edits of one YAML file's text at a path inside one of its documents, by offsets: the new text is spliced in
 * and every byte outside the edited entry stays as it was (comments, blank lines, quoting, other documents).
 * The file is parsed with the `yaml` Document API to find nodes and their ranges; nothing is re-printed.
 */
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import { InvalidInputError } from "../../errors";
import { detectStyle, flowText, itemLines, renderValue, type Style } from "./render";

export type Path = readonly (string | number)[];

/** A file's text and its parsed documents (every one of a multi-document file). */
export class YamlText {
  readonly docs: Document.Parsed[];

  constructor(
    readonly file: string,
    readonly content: string,
  ) {
    const docs = parseAllDocuments(content, { keepSourceTokens: false });
    this.docs = Array.isArray(docs) ? docs : [docs];
  }

  style(flowKeys: Map<string, boolean> = new Map()): Style {
    return { ...detectStyle(this.content), flowKeys };
  }

  /** `file:line:col` of an offset. */
  where(offset: number): string {
    const before = this.content.slice(0, offset);
    const line = before.split("\n").length;
    return `${this.file}:${line}:${offset - before.lastIndexOf("\n")}`;
  }

  node(doc: number, path: Path): Node | undefined {
    return (this.docs[doc]?.getIn(path, true) ?? undefined) as Node | undefined;
  }

  private column(offset: number): number {
    return offset - this.content.lastIndexOf("\n", offset - 1) - 1;
  }

  private lineStart(offset: number): number {
    return this.content.lastIndexOf("\n", offset - 1) + 1;
  }

  /** Offset of the newline ending the line `end` is on (`end` just past a newline: that newline). */
  private lineEnd(end: number): number {
    const from = this.content[end - 1] === "\n" ? end - 1 : end;
    const at = this.content.indexOf("\n", from);
    return at < 0 ? this.content.length : at;
  }

  /** Replace `[start, end)` with `text`, written with the file's line endings (CRLF files stay CRLF). */
  private splice(start: number, end: number, text: string): string {
    if (this.content.includes("\r\n")) {
      text = text.replace(/\r?\n/g, "\r\n");
      // An insertion at a line's end goes before its "\r\n", not between the two.
      if (start === end && this.content[start - 1] === "\r" && this.content[start] === "\n") start = end = start - 1;
      else if (this.content[end - 1] === "\r" && this.content[end] === "\n") end--;
    }
    return this.content.slice(0, start) + text + this.content.slice(end);
  }

  /** Set the value at `path`, creating missing maps along it; returns the new text. */
  setIn(doc: number, path: Path, value: unknown, style: Style = this.style()): string {
    const root = this.docs[doc];
    if (!root) throw new InvalidInputError(`${this.file} has no document ${doc + 1}`);
    // The deepest existing map along the path, and what of the path is missing below it.
    let parent: unknown = root.contents;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
        const rest = nest(path.slice(i + 1), value);
        if (!pair) return this.addPair(parent, String(key), rest, style);
        if (i === path.length - 1 || !(isMap(pair.value) || isSeq(pair.value))) return this.replacePair(parent, pair, rest, style);
        parent = pair.value;
      } else if (isSeq(parent) && typeof key === "number" && parent.items[key] !== undefined) {
        if (i === path.length - 1) throw new InvalidInputError(`cannot replace item ${key} of a list in ${this.file}`);
        parent = parent.items[key];
      } else {
        throw new InvalidInputError(`${path.slice(0, i).join(".") || "the document"} is not a map in ${this.file}`);
      }
    }
    throw new InvalidInputError(`nothing to set at an empty path in ${this.file}`);
  }

  /** Append `item` to the list at `path` (created when missing). */
  appendIn(doc: number, path: Path, item: unknown, style: Style = this.style()): string {
    const seq = this.node(doc, path);
    if (!isSeq(seq)) return this.setIn(doc, path, [item], style);
    if (seq.flow || !seq.items.length) {
      const text = flowText(item, style);
      if (!seq.items.length) return this.splice(seq.range![0] + 1, seq.range![0] + 1, text);
      return this.splice(end(seq.items.at(-1) as Node), end(seq.items.at(-1) as Node), `, ${text}`);
    }
    const first = seq.items[0] as Node;
    const dash = this.content.lastIndexOf("-", first.range![0]);
    const at = this.lineEnd(end(seq.items.at(-1) as Node));
    return this.splice(at, at, `\n${itemLines(item, this.column(dash), style).join("\n")}`);
  }

  /** Remove the entry at `path` (a map key or a list item); a collection left empty becomes `{}` or `[]`. */
  deleteIn(doc: number, path: Path): string {
    const parent = this.node(doc, path.slice(0, -1)) ?? (path.length === 1 ? this.docs[doc]?.contents : undefined);
    const key = path.at(-1);
    if (isMap(parent)) {
      const index = parent.items.findIndex((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (index < 0) return this.content;
      return this.removeItem(doc, parent, index, path, {});
    }
    if (isSeq(parent) && typeof key === "number" && key < parent.items.length) return this.removeItem(doc, parent, key, path, []);
    return this.content;
  }

  private removeItem(doc: number, parent: YAMLMap | YAMLSeq, index: number, path: Path, empty: unknown): string {
    const items = parent.items as (Pair | Node)[];
    if (items.length === 1) return path.length > 1 ? this.setIn(doc, path.slice(0, -1), empty) : this.content;
    const startOf = (i: number) => start(items[i]!);
    const endOf = (i: number) => end(items[i]!);
    if (parent.flow) {
      return index > 0 ? this.splice(endOf(index - 1), endOf(index), "") : this.splice(startOf(0), startOf(1), "");
    }
    // Block: the entry's lines, from its key (or dash) to the end of its last line.
    const from = isSeq(parent) ? this.content.lastIndexOf("-", startOf(index)) : startOf(index);
    const lineStart = this.lineStart(from);
    if (this.content.slice(lineStart, from).trim() === "") {
      const stop = this.lineEnd(endOf(index));
      return this.splice(lineStart, Math.min(stop + 1, this.content.length), "");
    }
    // The entry shares its line with its parent's dash ("- name: a"): the next entry moves up into its place.
    return this.splice(from, startOf(index + 1), "");
  }

  private addPair(map: YAMLMap, key: string, value: unknown, style: Style): string {
    if (map.flow || !map.items.length) {
      const text = `${key}: ${flowText(value, style)}`;
      if (!map.items.length) {
        if (!map.range || map.range[0] === map.range[1]) throw new InvalidInputError(`cannot add '${key}' to an empty document in ${this.file}`);
        return this.splice(map.range[0] + 1, map.range[0] + 1, text);
      }
      const last = end(map.items.at(-1)!);
      return this.splice(last, last, `, ${text}`);
    }
    const column = this.column(start(map.items[0]!));
    const r = renderValue(key, value, column, style);
    const lines = "inline" in r ? [`${" ".repeat(column)}${key}: ${r.inline}`] : [`${" ".repeat(column)}${key}:`, ...r.lines];
    const at = this.lineEnd(end(map.items.at(-1)!));
    return this.splice(at, at, `\n${lines.join("\n")}`);
  }

  private replacePair(map: YAMLMap, pair: Pair, value: unknown, style: Style): string {
    const key = pair.key as Node;
    const old = pair.value as Node | null;
    const colon = this.content.indexOf(":", key.range![1]);
    let stop = old?.range ? old.range[1] : colon + 1;
    if (this.content[stop - 1] === "\n") stop--;
    // A value keeps its own style: flow stays flow, block stays block.
    const keyStyle = new Map(style.flowKeys);
    if (isMap(old) || isSeq(old)) keyStyle.set(String((key as { value?: unknown }).value), Boolean(old.flow));
    if (map.flow) return this.splice(colon, stop, `: ${flowText(value, style)}`);
    const r = renderValue(String((key as { value?: unknown }).value), value, this.column(key.range![0]), { ...style, flowKeys: keyStyle });
    return this.splice(colon, stop, "inline" in r ? `: ${r.inline}` : `:\n${r.lines.join("\n")}`);
  }
}

function nest(path: Path, value: unknown): unknown {
  return path.reduceRight<unknown>((v, k) => ({ [String(k)]: v }), value);
}

function start(item: Pair | Node): number {
  return "key" in item ? (item.key as Node).range![0] : item.range![0];
}

function end(item: Pair | Node): number {
  if ("key" in item) {
    const v = item.value as Node | null;
    return v?.range ? v.range[1] : (item.key as Node).range![1];
  }
  return item.range![1];
}
