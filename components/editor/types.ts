/** Public types of the Flightdeck editor components (no runtime code, safe to import anywhere). */

export type EditorTheme = "light" | "dark";

export type EditorSeverity = "error" | "warning";

/**
 * A diagnostic from the server's linter for the file being edited. Lines and columns are 1-based.
 * When `endLine`/`endCol` equal `line`/`col`, the editor extends the squiggle to the end of the word
 * or token at that position so that it is visible.
 */
export interface EditorMarker {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: EditorSeverity;
  message: string;
}

/** Where a problem shown in the editor came from: monaco-yaml (syntax/schema) or the server's linter. */
export type ProblemSource = "yaml" | "flightdeck";

/** One problem currently shown in the editor for the open file, for a problems list. 1-based. */
export interface EditorProblem {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  /** Monaco "info" markers are reported as "warning"; hints are not reported. */
  severity: EditorSeverity;
  message: string;
  source: ProblemSource;
}

/** Scroll to, select, focus and briefly highlight a line. Changing `nonce` triggers it again. */
export interface EditorReveal {
  line: number;
  col?: number;
  nonce: number;
}

export interface YamlEditorProps {
  /** Site the file belongs to; part of the model URI `file:///<site>/<path>`. */
  site: string;
  /** File path inside the site, e.g. "inventory.yml" or "hosts/web.yml". One model (with its own undo history) per path. */
  path: string;
  /**
   * Initial/external content for `path`. It creates the model the first time `path` is shown. Afterwards a
   * value that differs from the last value given for the same path replaces the text as one undoable edit
   * (e.g. after a reload or revert); passing back what `onChange` reported is a no-op. Switching to a path
   * that is already open keeps its unsaved text and undo history.
   */
  value: string;
  /** Called with the whole text whenever the user changes it (not for changes that come from `value`). */
  onChange: (value: string) => void;
  /** The server's lint diagnostics for this file, shown under marker owner "flightdeck". */
  markers: readonly EditorMarker[];
  /** One JSON Schema for all site YAML files (monaco-yaml, configured once per page). */
  jsonSchema: object;
  /**
   * Whether `jsonSchema` applies to this file: true (the default) for Flightdeck documents, false for Ansible
   * content, which Monaco still highlights (by extension) and checks as YAML, but never against the site's schema.
   */
  siteSchema?: boolean;
  /** Ctrl+S / Cmd+S inside the editor. The browser's save dialog is suppressed. */
  onSave: () => void;
  reveal?: EditorReveal;
  /** All problems (both owners) of the current file, sorted by position, whenever they change. */
  onMarkersChange?: (problems: EditorProblem[]) => void;
  theme: EditorTheme;
  readOnly?: boolean;
  /** CSS height of the editor box; default "100%" (fills its container). */
  height?: string | number;
}

export interface DiffEditorProps {
  original: string;
  modified: string;
  /** File path shown in the diff; used for the (private) model URIs. */
  path: string;
  theme: EditorTheme;
  /** CSS height of the diff box; default "100%". */
  height?: string | number;
  /** Side by side (default) or inline. */
  sideBySide?: boolean;
}
