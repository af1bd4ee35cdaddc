"use client";

import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode, type Ref } from "react";
import type { RunStatus, StepStatus } from "~/server/engine/events";
import { formatDuration, RUN_LOOK, STEP_LOOK } from "./states";

/** A run's status as a badge: icon and text, in the status' tone. */
export function RunStatusBadge({ status, testId }: { status: RunStatus; testId?: string }) {
  const look = RUN_LOOK[status];
  return (
    <span className={`badge ${look.tone} run-status`} data-testid={testId} data-status={status}>
      <span aria-hidden="true">{look.icon}</span> {look.label}
    </span>
  );
}

/** A step or host state as a small coloured square with its icon (and the state as text for screen readers). */
export function StateIcon({ status }: { status: StepStatus }) {
  return (
    <span className={`state-dot st-${status}`} title={STEP_LOOK[status].label}>
      <span aria-hidden="true">{STEP_LOOK[status].icon}</span>
      <span className="sr-only">{STEP_LOOK[status].label}</span>
    </span>
  );
}

/** Re-renders its children every `ms` (a clock for "running 42 s"), without re-rendering the parent. */
export function Ticker({ ms = 1000, children }: { ms?: number; children: (now: number) => ReactNode }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return <>{children(now)}</>;
}

/** "42 s" since `from` (until `to` when given), ticking while open-ended; the absolute start on hover. */
export function Elapsed({ from, to }: { from: number; to?: number | null }) {
  const title = `since ${new Date(from).toLocaleString()}`;
  if (to) return <span title={`${new Date(from).toLocaleString()} – ${new Date(to).toLocaleString()}`}>{formatDuration(to - from)}</span>;
  return <Ticker>{(now) => <span title={title}>{formatDuration(Math.max(0, now - from))}</span>}</Ticker>;
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/**
 * Moves within the run page without a server round trip: the run view lives in a layout that stays mounted,
 * and Next.js syncs usePathname with history.pushState.
 */
export function go(href: string) {
  if (window.location.pathname + window.location.search !== href) window.history.pushState(null, "", href);
}

/** A real link (open in a new tab, copy the address) that moves in place on a plain click. */
export function plainClick(e: MouseEvent): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}

export function RunLink({ href, children, ref, ...rest }: { href: string; children: ReactNode; ref?: Ref<HTMLAnchorElement> } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href" | "onClick">) {
  return (
    <a
      ref={ref}
      href={href}
      onClick={(e) => {
        if (!plainClick(e)) return;
        e.preventDefault();
        go(href);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}
