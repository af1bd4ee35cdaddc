"use client";

/**
 * The real read-only diff editor (YAML documents, and Ansible content highlighted by its file name). Client-only: loaded by ./DiffEditor through `dynamic(..., { ssr: false })`.
 */
import { useEffect, useRef, useState } from "react";
import { languageFor, monaco } from "./monaco";
import type { DiffEditorProps } from "./types";
import styles from "./editor.module.css";

type StandaloneDiffEditor = monaco.editor.IStandaloneDiffEditor;

let instanceCounter = 0;

/**
 * Private model URIs: unique per diff editor (so they never collide with the editable `file:///` models or
 * with another diff), and not ending in ".yml" (so monaco-yaml does not schema-check old revisions).
 */
function diffUri(instance: number, side: "original" | "modified", path: string): monaco.Uri {
  return monaco.Uri.from({
    scheme: "inmemory",
    authority: "flightdeck-diff",
    path: `/${instance}/${side}/${path.replace(/^\/+/, "")}`,
    query: "diff",
  });
}

/**
 * The two sides' accessible names. Every `updateOptions` of the diff editor rewrites both inner editors' labels
 * from the options it is given (an absent label becomes an empty one, an unnamed input to a screen reader), so
 * each call passes them again; Monaco reads them there, though only the construction options declare them.
 */
function sideLabels(path: string): monaco.editor.IDiffEditorConstructionOptions {
  return { originalAriaLabel: `${path}, before`, modifiedAriaLabel: `${path}, after` };
}

export default function DiffEditorImpl({ original, modified, path, theme, sideBySide = true }: DiffEditorProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const [diff, setDiff] = useState<StandaloneDiffEditor | null>(null);
  const [instance] = useState(() => ++instanceCounter);
  const models = useRef<{ original: monaco.editor.ITextModel; modified: monaco.editor.ITextModel } | null>(null);
  const texts = useRef({ original, modified });
  // React runs unmount cleanups in declaration order: the editor is gone before its models' cleanup runs.
  const disposed = useRef(false);
  useEffect(() => {
    texts.current = { original, modified };
  }, [original, modified]);

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const ed = monaco.editor.createDiffEditor(container, {
      theme: theme === "dark" ? "vs-dark" : "vs",
      readOnly: true,
      originalEditable: false,
      renderSideBySide: sideBySide,
      useInlineViewWhenSpaceIsLimited: true,
      automaticLayout: true,
      fixedOverflowWidgets: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderOverviewRuler: true,
      ignoreTrimWhitespace: false,
      ariaLabel: "YAML changes",
      ...sideLabels(path),
    });
    disposed.current = false;
    setDiff(ed);
    return () => {
      disposed.current = true;
      ed.dispose();
      setDiff(null);
    };
    // Created once; theme and layout are applied by their own effects below.
  }, []);

  // Models for the current path (recreated when the path changes, disposed with the editor).
  useEffect(() => {
    if (!diff) return;
    const pair = {
      original: monaco.editor.createModel(texts.current.original, languageFor(path), diffUri(instance, "original", path)),
      modified: monaco.editor.createModel(texts.current.modified, languageFor(path), diffUri(instance, "modified", path)),
    };
    models.current = pair;
    diff.setModel(pair);
    diff.updateOptions(sideLabels(path));
    return () => {
      models.current = null;
      if (!disposed.current) diff.setModel(null);
      pair.original.dispose();
      pair.modified.dispose();
    };
  }, [diff, instance, path]);

  useEffect(() => {
    const pair = models.current;
    if (!pair) return;
    if (pair.original.getValue() !== original) pair.original.setValue(original);
    if (pair.modified.getValue() !== modified) pair.modified.setValue(modified);
  }, [diff, path, original, modified]);

  useEffect(() => {
    if (diff) monaco.editor.setTheme(theme === "dark" ? "vs-dark" : "vs");
  }, [diff, theme]);

  useEffect(() => {
    diff?.updateOptions({ renderSideBySide: sideBySide, ...sideLabels(path) });
  }, [diff, sideBySide, path]);

  return <div ref={containerRef} className={styles.surface} data-testid="diff-editor" data-path={path} />;
}
