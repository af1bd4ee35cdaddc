/**
 * Durations in words, one way everywhere people read them: the run page, the kiosk and MAAS step output.
 * Pure and dependency-free, so browser code may import it (eslint.config.mjs allows it beside the tracker).
 */

/**
 * "850 ms", "4.2 s", "42 s", "3 min 5 s", "1 h 12 min"; "—" for a value that is not a number. The value is
 * rounded to the precision of its range first and split into units after, so a carry moves up a unit:
 * 59.7 s is "1 min" and 119.6 s "2 min", never "60 s" or "1 min 60 s". A negative value (clock skew between
 * two machines) counts as 0.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const t = Math.max(0, ms);
  const wholeMs = Math.round(t);
  if (wholeMs < 1000) return `${wholeMs} ms`;
  const tenths = Math.round(t / 100);
  if (tenths < 100) return tenths % 10 ? `${(tenths / 10).toFixed(1)} s` : `${tenths / 10} s`;
  const s = Math.round(t / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return join(Math.floor(s / 60), "min", s % 60, "s");
  const min = Math.round(t / 60_000);
  return join(Math.floor(min / 60), "h", min % 60, "min");
}

/** "3 min 5 s", or "3 min" when the smaller unit is 0. */
function join(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
}
