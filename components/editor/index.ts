export { default as YamlEditor } from "./YamlEditor";
export { default as DiffEditor } from "./DiffEditor";
export type {
  DiffEditorProps,
  EditorMarker,
  EditorProblem,
  EditorReveal,
  EditorTheme,
  EditorSeverity,
  ProblemSource,
  YamlEditorProps,
} from "./types";
