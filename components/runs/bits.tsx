"use client";

import type { AnchorHTMLAttributes, MouseEvent, ReactNode, Ref } from "react";
import { Ticker } from "~/components/ui/clock";
import { formatDuration } from "~/server/engine/duration";
import type { StepStatus } from "~/server/engine/events";
import { STEP_LOOK } from "./states";

/** A step or host state as a small coloured square with its icon (and the state as text for screen readers). */
export function StateIcon({ status }: { status: StepStatus }) {
  return (
    <span className={`state-dot st-${status}`} title={STEP_LOOK[status].label}>
      <span aria-hidden="true">{STEP_LOOK[status].icon}</span>
      <span className="sr-only">{STEP_LOOK[status].label}</span>
    </span>
  );
}

/** "42 s" since `from` (until `to` when given), ticking while open-ended; the absolute start on hover. */
export function Elapsed({ from, to }: { from: number; to?: number | null }) {
  const title = `since ${new Date(from).toLocaleString()}`;
  if (to) return <span title={`${new Date(from).toLocaleString()} – ${new Date(to).toLocaleString()}`}>{formatDuration(to - from)}</span>;
  return <Ticker>{(now) => <span title={title}>{formatDuration(Math.max(0, now - from))}</span>}</Ticker>;
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
