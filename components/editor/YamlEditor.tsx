"use client";

import dynamic from "next/dynamic";
import { EditorFrame, EditorLoading } from "./Frame";
import type { YamlEditorProps } from "./types";

export type { YamlEditorProps } from "./types";

// Monaco touches `window`/`Worker` at import time and must come from our bundle (no CDN): client-only chunk.
const YamlEditorImpl = dynamic(() => import("./YamlEditorImpl"), {
  ssr: false,
  loading: () => <EditorLoading label="Loading editor…" />,
});

/**
 * Monaco YAML editor for site files: schema validation, completion and hover (monaco-yaml), the server's lint
 * diagnostics as markers, one model per file, Ctrl/Cmd+S to save. Fills its container (height default 100%).
 */
export default function YamlEditor(props: YamlEditorProps) {
  return (
    <EditorFrame theme={props.theme} height={props.height}>
      <YamlEditorImpl {...props} />
    </EditorFrame>
  );
}
