"use client";

/**
 * The real YAML editor. Client-only: loaded by ./YamlEditor through `dynamic(..., { ssr: false })`.
 */
import { useEffect, useRef, useState } from "react";
import { configureSiteSchema, languageFor, monaco, onYamlReport, SERVER_MARKER_OWNER, setServerMarkers, YAML_MARKER_OWNER, yamlReportCount } from "./monaco";
import { markerToMarkerData, modelProblems } from "./markers";
import type { YamlEditorProps } from "./types";
import styles from "./editor.module.css";

type CodeEditor = monaco.editor.IStandaloneCodeEditor;
type TextModel = monaco.editor.ITextModel;

const REVEAL_HIGHLIGHT_MS = 2000;
/** How many of our own recent onChange values we recognise when they come back as `value`. */
const MAX_ECHOES = 32;

interface OpenFile {
  model: TextModel;
  /** Created by this editor, so disposed with it. */
  owned: boolean;
  /** The last `value` prop seen for this path. */
  lastValue: string;
  /** Texts we reported through onChange that the parent may still pass back as `value`. */
  echoes: string[];
  viewState: monaco.editor.ICodeEditorViewState | null;
}

let instanceCounter = 0;

/**
 * A file's model URI: `file:///<site>/<path>`, and for files the site's schema does not apply to (Ansible
 * content) a `?ansible` query, so that the URI no longer ends in `.yml` and monaco-yaml's fileMatch skips it.
 */
export function modelUri(site: string, path: string, siteSchema = true): monaco.Uri {
  const clean = (s: string) => s.replace(/^\/+|\/+$/g, "");
  return monaco.Uri.from({ scheme: "file", path: `/${clean(site)}/${clean(path)}`, query: siteSchema ? undefined : "ansible" });
}

export default function YamlEditorImpl(props: YamlEditorProps) {
  const { site, path, value, markers, jsonSchema, reveal, theme, readOnly = false, siteSchema = true } = props;
  const containerRef = useRef<HTMLDivElement>(null);
  const [editor, setEditor] = useState<CodeEditor | null>(null);
  const [model, setModel] = useState<TextModel | null>(null);
  // What monaco-yaml itself reported, before the server's duplicates were dropped (a data attribute: it tells
  // a test or a curious reader that the schema check ran on this text).
  const [yamlReported, setYamlReported] = useState<number | undefined>(undefined);
  const files = useRef(new Map<string, OpenFile>());
  const applyingExternal = useRef(false);
  const lastRevealNonce = useRef<number | null>(null);
  const highlight = useRef<{ clear(): void; set(line: number): void } | null>(null);

  // Latest callbacks, so Monaco listeners registered once always call the current ones.
  const callbacks = useRef({ onChange: props.onChange, onSave: props.onSave, onMarkersChange: props.onMarkersChange });
  useEffect(() => {
    callbacks.current = { onChange: props.onChange, onSave: props.onSave, onMarkersChange: props.onMarkersChange };
  }, [props.onChange, props.onSave, props.onMarkersChange]);

  // monaco-yaml: configured once per page, reconfigured when the schema's content changes. Runs before the
  // editor and its first model are created (effects run in order).
  useEffect(() => {
    configureSiteSchema(jsonSchema);
  }, [jsonSchema]);

  // Create the editor once.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const openFiles = files.current;
    const ed = monaco.editor.create(container, {
      model: null,
      theme: theme === "dark" ? "vs-dark" : "vs",
      readOnly,
      automaticLayout: true,
      fixedOverflowWidgets: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      tabSize: 2,
      insertSpaces: true,
      detectIndentation: false,
      renderWhitespace: "boundary",
      quickSuggestions: { other: true, comments: false, strings: true },
      ariaLabel: "YAML editor",
    });

    // Ctrl/Cmd+S: scoped to this editor by a context key that only exists inside it (a plain addCommand
    // keybinding is global to all Monaco editors on the page). Monaco prevents the browser's default.
    const scope = `fdYamlEditor${++instanceCounter}`;
    ed.createContextKey<boolean>(scope, true);
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => callbacks.current.onSave(), scope);

    const changes = ed.onDidChangeModelContent(() => {
      if (applyingExternal.current) return;
      const current = ed.getModel();
      if (!current) return;
      const text = current.getValue();
      const file = openFiles.get(current.uri.toString());
      if (file) {
        file.echoes.push(text);
        if (file.echoes.length > MAX_ECHOES) file.echoes.shift();
      }
      callbacks.current.onChange(text);
    });

    const decorations = ed.createDecorationsCollection();
    let fadeTimer: ReturnType<typeof setTimeout> | undefined;
    highlight.current = {
      clear() {
        clearTimeout(fadeTimer);
        decorations.clear();
      },
      set(line: number) {
        clearTimeout(fadeTimer);
        decorations.set([
          {
            range: new monaco.Range(line, 1, line, 1),
            options: { isWholeLine: true, className: styles.revealLine },
          },
        ]);
        fadeTimer = setTimeout(() => decorations.clear(), REVEAL_HIGHLIGHT_MS);
      },
    };

    setEditor(ed);
    return () => {
      highlight.current?.clear();
      highlight.current = null;
      changes.dispose();
      ed.dispose();
      for (const file of openFiles.values()) {
        if (file.owned && !file.model.isDisposed()) file.model.dispose();
      }
      openFiles.clear();
      setEditor(null);
      setModel(null);
    };
    // Created once; theme and readOnly are applied by their own effects below.
  }, []);

  // One model per file, kept while the editor lives: switching files keeps unsaved text and undo history.
  useEffect(() => {
    if (!editor) return;
    const uri = modelUri(site, path, siteSchema);
    const key = uri.toString();
    const language = languageFor(path);
    let file = files.current.get(key);
    if (!file || file.model.isDisposed()) {
      const existing = monaco.editor.getModel(uri);
      const created = existing ?? monaco.editor.createModel(value, language, uri);
      created.updateOptions({ tabSize: 2, insertSpaces: true });
      file = { model: created, owned: !existing, lastValue: value, echoes: [], viewState: null };
      files.current.set(key, file);
      if (existing && existing.getValue() !== value) replaceText(existing, value, applyingExternal);
    } else if (value !== file.lastValue) {
      file.lastValue = value;
      const echo = file.echoes.indexOf(value);
      if (echo >= 0) {
        file.echoes.splice(0, echo + 1); // our own change coming back: nothing to do
      } else if (value !== file.model.getValue()) {
        file.echoes.length = 0;
        replaceText(file.model, value, applyingExternal); // external change (reload, revert): one undo step
      }
    }

    const current = editor.getModel();
    if (current !== file.model) {
      if (current) {
        const previous = files.current.get(current.uri.toString());
        if (previous) previous.viewState = editor.saveViewState();
      }
      highlight.current?.clear();
      editor.setModel(file.model);
      if (file.viewState) editor.restoreViewState(file.viewState);
      editor.updateOptions({ ariaLabel: `${language === "yaml" ? "YAML editor" : "Editor"}: ${path}` });
      setModel(file.model);
    }
  }, [editor, site, path, value, siteSchema]);

  // The effects below act on the editor's current model, which the effect above has just switched to the
  // current path (in the same commit); `model` (state) is a dependency only to re-run them after a switch.

  // The server's diagnostics, as markers of owner "flightdeck" on the current file; monaco-yaml's on the
  // same lines give way to them (./duplicates).
  useEffect(() => {
    const current = editor?.getModel();
    if (!current) return;
    setServerMarkers(current, markers.map((m) => markerToMarkerData(current, m, SERVER_MARKER_OWNER)));
  }, [editor, model, markers]);

  // Problems list: every marker of the current file (monaco-yaml's and ours), whenever they change.
  useEffect(() => {
    const current = editor?.getModel();
    if (!current) return;
    const uri = current.uri.toString();
    const emit = () => {
      const listener = callbacks.current.onMarkersChange;
      if (listener && !current.isDisposed()) listener(modelProblems(current.uri, [YAML_MARKER_OWNER, SERVER_MARKER_OWNER]));
    };
    emit();
    setYamlReported(yamlReportCount(current));
    const sub = monaco.editor.onDidChangeMarkers((uris) => {
      if (uris.some((u) => u.toString() === uri)) emit();
    });
    const reports = onYamlReport((checked) => {
      if (checked === current) setYamlReported(yamlReportCount(current));
    });
    return () => {
      sub.dispose();
      reports.dispose();
    };
  }, [editor, model]);

  useEffect(() => {
    if (editor) monaco.editor.setTheme(theme === "dark" ? "vs-dark" : "vs");
  }, [editor, theme]);

  useEffect(() => {
    editor?.updateOptions({ readOnly });
  }, [editor, readOnly]);

  // Reveal a line: scroll to it, put the cursor there, focus, highlight briefly. Once per nonce.
  const revealLine = reveal?.line;
  const revealCol = reveal?.col;
  const revealNonce = reveal?.nonce;
  useEffect(() => {
    const current = editor?.getModel();
    if (!editor || !current || revealNonce === undefined || revealLine === undefined) return;
    if (lastRevealNonce.current === revealNonce) return;
    lastRevealNonce.current = revealNonce;
    const line = clamp(Math.floor(revealLine), 1, current.getLineCount());
    const col =
      revealCol === undefined
        ? current.getLineFirstNonWhitespaceColumn(line) || 1
        : clamp(Math.floor(revealCol), 1, current.getLineMaxColumn(line));
    const position = { lineNumber: line, column: col };
    editor.setSelection(new monaco.Selection(line, col, line, col));
    editor.revealPositionInCenterIfOutsideViewport(position, monaco.editor.ScrollType.Immediate);
    editor.focus();
    highlight.current?.set(line);
  }, [editor, model, revealLine, revealCol, revealNonce]);

  return (
    <div
      ref={containerRef}
      className={styles.surface}
      data-testid="yaml-editor"
      data-path={path}
      data-ready={model ? "true" : "false"}
      data-language={model?.getLanguageId()}
      data-yaml-reported={yamlReported}
    />
  );
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), max);
}

/**
 * Replace the model's text with `next` as one undoable edit that only touches the part that differs, so the
 * cursor and markers elsewhere stay put.
 */
function replaceText(model: TextModel, next: string, applying: { current: boolean }): void {
  const prev = model.getValue();
  if (prev === next) return;
  let start = 0;
  const max = Math.min(prev.length, next.length);
  while (start < max && prev.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endPrev = prev.length;
  let endNext = next.length;
  while (endPrev > start && endNext > start && prev.charCodeAt(endPrev - 1) === next.charCodeAt(endNext - 1)) {
    endPrev--;
    endNext--;
  }
  const from = model.getPositionAt(start);
  const to = model.getPositionAt(endPrev);
  applying.current = true;
  try {
    model.pushStackElement();
    model.pushEditOperations(
      [],
      [
        {
          range: new monaco.Range(from.lineNumber, from.column, to.lineNumber, to.column),
          text: next.slice(start, endNext),
          forceMoveMarkers: true,
        },
      ],
      () => null,
    );
    model.pushStackElement();
  } finally {
    applying.current = false;
  }
}
