"use client";

import dynamic from "next/dynamic";
import { EditorFrame, EditorLoading } from "./Frame";
import type { DiffEditorProps } from "./types";

export type { DiffEditorProps } from "./types";

const DiffEditorImpl = dynamic(() => import("./DiffEditorImpl"), {
  ssr: false,
  loading: () => <EditorLoading label="Loading diff…" />,
});

/** Read-only Monaco diff of two versions of a YAML file, side by side (default) or inline. Fills its container. */
export default function DiffEditor(props: DiffEditorProps) {
  return (
    <EditorFrame theme={props.theme} height={props.height}>
      <DiffEditorImpl {...props} />
    </EditorFrame>
  );
}
