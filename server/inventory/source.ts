/**
 * YAML sources with positions: every document of every file, and a way to find the line and column of any
 * path inside it. Parsing never throws; syntax problems become diagnostics.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from "yaml";
import type { Diagnostic, Severity } from "./diagnostics";
import { fastParseYaml } from "./fast-yaml";
import { siteFileKind } from "./site-files";

export interface SiteFile {
  path: string;
  content: string;
}

export type Path = readonly (string | number)[];

export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** A site file as `yaml` parses it, with positions: on first need when the fast path could read the file. */
class YamlFile {
  private parsed?: { docs: Document.Parsed[]; lines: LineCounter };

  constructor(readonly content: string) {}

  get(): { docs: Document.Parsed[]; lines: LineCounter } {
    if (!this.parsed) {
      const lines = new LineCounter();
      const docs = parseAllDocuments(this.content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
      // An empty stream parses to an empty list (or, for some inputs, a bare error-less array).
      this.parsed = { docs: Array.isArray(docs) ? docs : [docs], lines };
    }
    return this.parsed;
  }
}

/** One YAML document of a site file. */
export class SourceDoc {
  constructor(
    readonly file: string,
    readonly index: number,
    private readonly source: YamlFile,
    /** The document's data when the fast path read the file (fast-yaml.ts); then `doc` is parsed lazily. */
    private readonly fast?: { value: unknown },
  ) {}

  /** The `yaml` document, for positions. */
  get doc(): Document.Parsed {
    return this.source.get().docs[this.index]!;
  }

  private get lines(): LineCounter {
    return this.source.get().lines;
  }

  /** The document as plain data. Throws for aliases that expand without bound ("billion laughs"). */
  toJS(): unknown {
    return this.fast ? this.fast.value : this.doc.toJS({ maxAliasCount: 1000 });
  }

  /** The YAML node at `path`; with `key`, the node of the last key instead of its value. */
  nodeAt(path: Path, key = false): Node | undefined {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return undefined;
        node = key && i === path.length - 1 ? pair.key : pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else {
        return undefined;
      }
    }
    if (isPair(node)) return undefined;
    return (node ?? undefined) as Node | undefined;
  }

  /** The span of the deepest existing node along `path` (a missing field points at its parent). */
  spanAt(path: Path, key = false): Span {
    for (let n = path.length; n >= 0; n--) {
      const node = this.nodeAt(path.slice(0, n), key && n === path.length);
      if (node?.range) return this.span(node.range[0], node.range[1]);
    }
    return this.span(0, 0);
  }

  span(start: number, end: number): Span {
    const a = this.lines.linePos(start);
    const b = this.lines.linePos(Math.max(start, end));
    return { line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }

  diagnostic(path: Path, severity: Severity, message: string, key = false): Diagnostic {
    return { file: this.file, ...this.spanAt(path, key), severity, message };
  }

  /**
   * A problem at `line:col` inside the string at `path` (a template), placed in the file: exactly for one-line
   * plain or quoted strings and for block scalars (`|`); at the string's start otherwise.
   */
  diagnosticInString(path: Path, line: number, col: number, severity: Severity, message: string): Diagnostic {
    const node = this.nodeAt(path);
    if (!isScalar(node) || !node.range) return this.diagnostic(path, severity, message);
    const start = this.lines.linePos(node.range[0]);
    let at: { line: number; col: number } | undefined;
    if ((node.type === "PLAIN" || node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") && line === 1) {
      at = { line: start.line, col: start.col + (node.type === "PLAIN" ? 0 : 1) + col - 1 };
    } else if (node.type === "BLOCK_LITERAL") {
      const text = this.source.content.split("\n")[start.line - 1 + line] ?? "";
      at = { line: start.line + line, col: text.length - text.trimStart().length + col };
    }
    if (!at) return this.diagnostic(path, severity, message);
    return { file: this.file, line: at.line, col: at.col, endLine: at.line, endCol: at.col, severity, message };
  }

  where(path: Path, key = false): string {
    const s = this.spanAt(path, key);
    return `${this.file}:${s.line}:${s.col}`;
  }
}

export interface ParsedSite {
  docs: SourceDoc[];
  diagnostics: Diagnostic[];
}

/** Parse every YAML document of the given files, in path order; Ansible content is not documents (site-files.ts). */
export function parseSite(files: readonly SiteFile[]): ParsedSite {
  const docs: SourceDoc[] = [];
  const diagnostics: Diagnostic[] = [];
  const sorted = [...files].filter((f) => siteFileKind(f.path) === "document").sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    const yaml = new YamlFile(file.content);
    // Plain files (nearly all) skip `yaml`'s syntax tree until a position is needed: it is the slow part.
    const fast = fastParseYaml(file.content);
    if (fast) {
      fast.forEach((value, index) => docs.push(new SourceDoc(file.path, index, yaml, { value })));
      continue;
    }
    yaml.get().docs.forEach((doc, index) => {
      const source = new SourceDoc(file.path, index, yaml);
      let broken = false;
      for (const problem of [...doc.errors, ...doc.warnings]) {
        const severity: Severity = doc.errors.includes(problem) ? "error" : "warning";
        broken ||= severity === "error";
        diagnostics.push({
          file: file.path,
          ...source.span(problem.pos[0], problem.pos[1]),
          severity,
          message: yamlMessage(problem.code, problem.message),
        });
      }
      if (!broken) docs.push(source);
    });
  }
  return { docs, diagnostics };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split("\n")[0]!.trim();
  if (code === "DUPLICATE_KEY") return "duplicate key in this map (YAML keys must be unique)";
  // An unquoted `!ntp: ~` is a YAML tag, not the removal of `ntp`: say how to write what was meant.
  const removal = code === "TAG_RESOLVE_FAILED" ? /^Unresolved tag: !([^!\s:]+):?$/.exec(first) : null;
  if (removal) return `YAML syntax: unknown tag '!${removal[1]}'; to remove an inherited key, quote it: "!${removal[1]}": ~`;
  return `YAML syntax: ${first.charAt(0).toLowerCase()}${first.slice(1)}`;
}
