"use client";

import { useLayoutEffect, useRef, useState } from "react";
import { STEP_LOOK } from "~/components/runs/states";
import type { RunSnapshot } from "~/server/engine/tracker";

const nf = new Intl.NumberFormat();

export interface Fit {
  mode: "large" | "named" | "compact" | "micro";
  cols: number;
  /** How many tiles are drawn; the rest are counted in a "+N" tile. */
  shown: number;
  /** Row height (px). */
  tile: number;
}

/**
 * How `n` host tiles fit a box of `width` by `height` px at font size `font` (px): a few hosts get big tiles (the
 * room reads their names), more get smaller ones, many get squares, hundreds a heat map of small squares with
 * the rest counted (four squares' room left for the count). Null when not even one square fits.
 */
export function fitTiles(n: number, width: number, height: number, font: number): Fit | null {
  const layout = (minW: number, h: number, gap: number) => {
    const cols = Math.max(1, Math.floor((width + gap) / (minW + gap)));
    const rows = Math.max(0, Math.floor((height + gap) / (h + gap)));
    return { cols, capacity: cols * rows };
  };
  const large = layout(font * 12, font * 3.4, font * 0.5);
  if (n <= large.capacity) return { mode: "large", cols: Math.min(large.cols, Math.max(n, 4)), shown: n, tile: font * 3.4 };
  const named = layout(font * 8, font * 2.3, font * 0.5);
  if (n <= named.capacity) return { mode: "named", cols: named.cols, shown: n, tile: font * 2.3 };
  const compact = layout(font * 1.6, font * 1.6, font * 0.5);
  if (n <= compact.capacity) return { mode: "compact", cols: compact.cols, shown: n, tile: font * 1.6 };
  const micro = layout(font * 0.8, font * 0.8, font * 0.2);
  if (!micro.capacity) return null;
  return { mode: "micro", cols: micro.cols, shown: n <= micro.capacity ? n : Math.max(0, micro.capacity - 4), tile: font * 0.8 };
}

/**
 * Every host of the run as a tile in its state's colour and icon, in plan order (nothing reshuffles): with
 * names while they fit the space left on screen, else small squares; what still does not fit is counted.
 */
export function HostTiles({ hosts, snapshot }: { hosts: readonly string[]; snapshot: RunSnapshot }) {
  const ref = useRef<HTMLDivElement>(null);
  const [fit, setFit] = useState<Fit | null>(null);
  const n = hosts.length;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const style = getComputedStyle(el);
      const font = parseFloat(style.fontSize) || 16;
      const width = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      // From under the heading to the bottom of the content box.
      const below = (el.firstElementChild?.getBoundingClientRect().bottom ?? el.getBoundingClientRect().top) + (parseFloat(style.rowGap) || 0);
      const height = el.getBoundingClientRect().bottom - parseFloat(style.paddingBottom) - parseFloat(style.borderBottomWidth) - below - 1;
      setFit(fitTiles(n, width, height, font));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [n]);

  return (
    <section className="k-hosts" ref={ref} aria-label={`${n} ${n === 1 ? "host" : "hosts"}`}>
      <h3 className="k-hosts-title">{n === 1 ? "Host" : "Hosts"}</h3>
      {fit && (
        <ul className={`k-tiles ${fit.mode}`} style={{ gridTemplateColumns: `repeat(${fit.cols}, minmax(0, 1fr))`, gridAutoRows: `${fit.tile}px` }}>
          {hosts.slice(0, fit.shown).map((h) => {
            const status = snapshot.hosts[h]?.status ?? "pending";
            return (
              <li key={h} className={`k-tile st-${status} pat-${status}`} title={`${h}: ${STEP_LOOK[status].label}`} data-testid={`kiosk-tile-${h}`} data-status={status}>
                {fit.mode !== "micro" && (
                  <span aria-hidden="true" className="k-tile-icon">
                    {STEP_LOOK[status].icon}
                  </span>
                )}
                {fit.mode === "compact" || fit.mode === "micro" ? <span className="sr-only">{h}</span> : <span className="k-tile-name">{h}</span>}
                <span className="sr-only">: {STEP_LOOK[status].label}</span>
              </li>
            );
          })}
          {fit.shown < n && <li className="k-tile more">+{nf.format(n - fit.shown)}</li>}
        </ul>
      )}
    </section>
  );
}
