"use client";

/**
 * The time of day and a ticking "now", one implementation for the run page, the kiosk and relative times.
 */
import { useEffect, useState, type ReactNode } from "react";

/** "14:05:09" (or "14:05" without seconds) in the viewer's locale and zone. */
export function clock(ms: number, { seconds = true }: { seconds?: boolean } = {}): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
}

/** The time now (ms), from the first render, refreshed every `intervalMs`. */
export function useNow(intervalMs: number): number {
  return useTicking(Date.now, intervalMs, false);
}

/**
 * The time now (ms), refreshed every `intervalMs` (never with null), but null until the component is mounted:
 * a server-rendered page shows something that does not depend on the clock, so hydration matches.
 */
export function useMountedNow(intervalMs: number | null): number | null {
  return useTicking(() => null, intervalMs, true);
}

function useTicking<T>(initial: () => T, intervalMs: number | null, readOnMount: boolean): T | number {
  const [now, setNow] = useState<T | number>(initial);
  useEffect(() => {
    if (readOnMount) setNow(Date.now());
    if (intervalMs === null) return;
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, readOnMount]);
  return now;
}

/** Re-renders its children every `ms` (a clock for "running 42 s"), without re-rendering the parent. */
export function Ticker({ ms = 1000, children }: { ms?: number; children: (now: number) => ReactNode }) {
  const now = useNow(ms);
  return <>{children(now)}</>;
}
