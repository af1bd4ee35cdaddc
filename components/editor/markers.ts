/** Conversions between Flightdeck diagnostics and Monaco markers. Client-only (uses the bundled Monaco). */
import { monaco } from "./monaco";
import type { EditorMarker, EditorProblem, ProblemSource } from "./types";

type TextModel = monaco.editor.ITextModel;

/** Characters that end a plain YAML token (flow punctuation; ": " is handled separately). */
const FLOW_END = new Set([",", "[", "]", "{", "}"]);

function isSpace(ch: string | undefined): boolean {
  return ch === undefined || ch === " " || ch === "\t";
}

/**
 * The columns [start, end) of the word/token at `col` (1-based) on `line`, for a diagnostic that has only a
 * position. Keys stop before their ":", quoted scalars include their quotes, flow punctuation is one character.
 * Past the end of the line (e.g. "missing value" after `key:`) it marks the last token of the line.
 */
export function tokenRangeAt(text: string, col: number): { start: number; end: number } {
  let i = col - 1;
  if (i >= text.length || isSpace(text[i])) {
    let j = i;
    while (j < text.length && isSpace(text[j])) j++;
    if (j < text.length) {
      i = j; // the next token on the line
    } else {
      let end = text.length;
      while (end > 0 && isSpace(text[end - 1])) end--;
      if (end === 0) return { start: col, end: col }; // blank line: Monaco draws its own small squiggle
      let start = end;
      while (start > 0 && !isSpace(text[start - 1])) start--;
      return { start: start + 1, end: end + 1 };
    }
  }
  const first = text[i];
  let end = i + 1;
  if (first === '"' || first === "'") {
    while (end < text.length && text[end] !== first) {
      end += first === '"' && text[end] === "\\" ? 2 : 1;
    }
    end = Math.min(end + 1, text.length);
  } else if (first !== undefined && !FLOW_END.has(first)) {
    while (end < text.length) {
      const ch = text[end];
      if (isSpace(ch) || (ch !== undefined && FLOW_END.has(ch))) break;
      if (ch === ":" && isSpace(text[end + 1])) break;
      end++;
    }
  }
  return { start: i + 1, end: end + 1 };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/** A server diagnostic as Monaco marker data on `model`, clamped to the text and widened to a token if empty. */
export function markerToMarkerData(model: TextModel, m: EditorMarker, source: string): monaco.editor.IMarkerData {
  const lines = model.getLineCount();
  const startLineNumber = clamp(Math.floor(m.line) || 1, 1, lines);
  let startColumn = clamp(Math.floor(m.col) || 1, 1, model.getLineMaxColumn(startLineNumber));
  let endLineNumber = clamp(Math.floor(m.endLine) || startLineNumber, 1, lines);
  let endColumn = clamp(Math.floor(m.endCol) || startColumn, 1, model.getLineMaxColumn(endLineNumber));
  if (endLineNumber < startLineNumber || (endLineNumber === startLineNumber && endColumn <= startColumn)) {
    const token = tokenRangeAt(model.getLineContent(startLineNumber), startColumn);
    startColumn = token.start;
    endLineNumber = startLineNumber;
    endColumn = token.end;
  }
  return {
    severity: m.severity === "error" ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
    message: m.message,
    source,
    startLineNumber,
    startColumn,
    endLineNumber,
    endColumn,
  };
}

/** All problems of one model from the given marker owners, sorted by position (hints are left out). */
export function modelProblems(resource: monaco.Uri, owners: readonly ProblemSource[]): EditorProblem[] {
  const problems: EditorProblem[] = [];
  for (const owner of owners) {
    for (const m of monaco.editor.getModelMarkers({ resource, owner })) {
      if (m.severity === monaco.MarkerSeverity.Hint) continue;
      problems.push({
        line: m.startLineNumber,
        col: m.startColumn,
        endLine: m.endLineNumber,
        endCol: m.endColumn,
        severity: m.severity === monaco.MarkerSeverity.Error ? "error" : "warning",
        message: m.message,
        source: owner,
      });
    }
  }
  return problems.sort((a, b) => a.line - b.line || a.col - b.col || a.source.localeCompare(b.source));
}
