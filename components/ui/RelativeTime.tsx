"use client";

import { useMountedNow } from "./clock";

/** Each unit with its size in seconds and how many of it make the next one. */
const UNITS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ["minute", 60, 60],
  ["hour", 3600, 24],
  ["day", 86400, 30],
  ["month", 30 * 86400, 12],
  ["year", 365 * 86400, Infinity],
];

/**
 * "just now" within a minute, else "3 minutes ago", "in 2 hours", "yesterday" in the viewer's language. The
 * value is rounded in a unit before it is compared with the next unit, so 59.6 minutes is "1 hour ago", never
 * "60 minutes ago".
 */
export function relative(date: Date, now: number): string {
  const seconds = (date.getTime() - now) / 1000;
  if (!Number.isFinite(seconds)) return "";
  if (Math.abs(seconds) < 60) return "just now";
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size, next] of UNITS) {
    const n = Math.round(Math.abs(seconds) / size);
    if (n < next) return fmt.format(Math.sign(seconds) * n, unit);
  }
  return "";
}

/**
 * "3 minutes ago", with the absolute time in the viewer's zone on hover. It refreshes itself every 30 s, or
 * follows `now` when the page has a clock of its own (the kiosk's).
 */
export function RelativeTime({ date, now }: { date: Date | string | number; now?: number }) {
  const d = new Date(date);
  const own = useMountedNow(now === undefined ? 30_000 : null);
  const at = now ?? own;
  return (
    <time dateTime={d.toISOString()} title={d.toLocaleString()}>
      {at === null ? d.toLocaleString() : relative(d, at)}
    </time>
  );
}
