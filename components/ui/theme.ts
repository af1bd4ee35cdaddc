"use client";

import { useCallback, useSyncExternalStore } from "react";

export type Theme = "light" | "dark";

const listeners = new Set<() => void>();
const read = (): Theme => (document.documentElement.dataset.theme === "dark" ? "dark" : "light");

/** The page theme (set before paint by the root layout), switchable and remembered per browser. */
export function useTheme(): [Theme, (t: Theme) => void] {
  const theme = useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    read,
    (): Theme => "light",
  );
  const set = useCallback((t: Theme) => {
    document.documentElement.dataset.theme = t;
    localStorage.setItem("fd-theme", t);
    for (const l of listeners) l();
  }, []);
  return [theme, set];
}
