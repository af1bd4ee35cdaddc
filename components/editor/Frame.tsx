"use client";

import type { ReactNode } from "react";
import type { EditorTheme } from "./types";
import styles from "./editor.module.css";

/** The box every editor component renders into: fills its container's width, `height` tall (default 100%). */
export function EditorFrame({
  theme,
  height = "100%",
  children,
}: {
  theme: EditorTheme;
  height?: string | number | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`${styles.frame} ${theme === "dark" ? styles.dark : styles.light}`} style={{ height }}>
      {children}
    </div>
  );
}

/** Neutral placeholder shown (inside the frame, so at the same size) while Monaco's chunk loads. */
export function EditorLoading({ label }: { label: string }) {
  return (
    <div className={styles.loading} role="status" aria-live="polite" data-testid="editor-loading">
      {label}
    </div>
  );
}
