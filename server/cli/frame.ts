/**
 * The lines of `flightdeck exec`'s live terminal area: an overall bar and one line per host. Every line fits
 * `columns - 1` visible columns (measured with string-width, cut with cli-truncate, which closes any colour it
 * cuts), so the terminal never wraps one and the redraw can count its rows.
 */
import cliTruncate from "cli-truncate";
import { stripVTControlCharacters } from "node:util";
import stringWidth from "string-width";
import type { RunSnapshot, StepStatus } from "../engine";

export const ICON: Record<StepStatus, string> = { pending: "·", running: "►", ok: "✓", changed: "●", skipped: "-", failed: "✕", unreachable: "?", cancelled: "⊘", interrupted: "⚠" };
export const COLOR: Record<StepStatus, string> = { pending: "2", running: "36", ok: "32", changed: "33", skipped: "2", failed: "31", unreachable: "35", cancelled: "2", interrupted: "33" };

const paint = (status: StepStatus, text: string) => `\x1b[${COLOR[status]}m${text}\x1b[0m`;

/** Text from the run (names, messages) on one line, with no escapes or control characters of its own. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
}

/** `text` cut to `width` visible columns (an ellipsis marks the cut), escapes kept whole. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  return stringWidth(text) <= width ? text : cliTruncate(text, width);
}

export interface FrameSize {
  columns: number;
  rows: number;
}

/** The live area for this snapshot: the bar, then as many host lines as the terminal's height allows. */
export function frameLines(s: RunSnapshot, size: FrameSize, elapsedMs: number): string[] {
  // One column spare: a line that fills the last column leaves some terminals in a pending wrap.
  const width = Math.max(1, size.columns - 1);
  return [barLine(s, width, elapsedMs), ...hostLines(s, width, Math.max(1, size.rows - 4))];
}

export function barLine(s: RunSnapshot, width: number, elapsedMs: number): string {
  const stage = s.stage ? ` · stage ${s.stage.index + 1}: ${oneLine(s.stage.name)}` : "";
  const batch = s.batch && s.batch.count > 1 ? ` · batch ${s.batch.index + 1}/${s.batch.count}` : "";
  const text = ` ${s.finishedSteps}/${s.totalSteps} steps · ${s.counts.failed} failed · ${s.counts.unreachable} unreachable · ${Math.round(elapsedMs / 1000)}s${stage}${batch}`;
  // The bar takes what the text leaves, between 10 and 50 columns; on a narrow terminal the text is cut instead.
  const barWidth = Math.min(50, Math.max(10, width - stringWidth(text)));
  const total = Math.max(1, s.totalSteps);
  const order: StepStatus[] = ["ok", "changed", "failed", "unreachable", "skipped", "cancelled", "running"];
  let bar = "";
  let used = 0;
  for (const st of order) {
    const n = Math.min(barWidth - used, Math.round((s.counts[st] / total) * barWidth));
    if (n > 0) bar += paint(st, "█".repeat(n));
    used += Math.max(0, n);
  }
  bar += `\x1b[2m${"░".repeat(barWidth - used)}\x1b[0m`;
  return fit(`${bar}${text}`, width);
}

export function hostLines(s: RunSnapshot, width: number, max: number): string[] {
  const entries = Object.entries(s.hosts);
  // Failed and running hosts first when they do not all fit; one row goes to the "… and N more" line.
  const rank = (st: StepStatus) => ["failed", "unreachable", "running"].indexOf(st);
  const shown = entries.length > max ? [...entries].sort((a, b) => rank(b[1].status) - rank(a[1].status)).slice(0, Math.max(0, max - 1)) : entries;
  const nameWidth = Math.min(24, Math.max(4, ...entries.map(([n]) => stringWidth(oneLine(n)))), Math.max(4, Math.floor(width / 3)));
  const lines = shown.map(([name, h]) => {
    const label = fit(oneLine(name), nameWidth);
    const steps = Object.entries(h.steps);
    const currentIndex = steps.findIndex(([, st]) => st.status === "running" || st.status === "failed" || st.status === "unreachable");
    const current = steps[currentIndex];
    const note = current ? ` ${current[1].status} ${oneLine(current[0])}${current[1].message ? `: ${oneLine(current[1].message)}` : ""}` : "";
    const statuses = steps.map(([, st]) => st.status);
    // Every chip when they fit (the note is then cut if need be); else a window of them that leaves the note room.
    const room = width - nameWidth - 1;
    const chipRoom = statuses.length <= room ? room : Math.max(Math.min(room, 10), room - Math.min(stringWidth(note), 16));
    const chips = chipStrip(statuses, chipRoom, currentIndex >= 0 ? currentIndex : firstPending(statuses));
    return fit(`${label}${" ".repeat(nameWidth - stringWidth(label))} ${chips}${note}`, width);
  });
  if (shown.length < entries.length) lines.push(fit(`… and ${entries.length - shown.length} more hosts`, width));
  return lines;
}

function firstPending(statuses: StepStatus[]): number {
  const i = statuses.findIndex((st) => st === "pending");
  return i >= 0 ? i : statuses.length - 1;
}

/**
 * One coloured chip per step in `room` columns. When there are more steps than columns, a window of them
 * around `focus` (the step running, or the next to run) with `…` where steps are left out on either side.
 */
export function chipStrip(statuses: StepStatus[], room: number, focus: number): string {
  if (room <= 0) return "";
  if (statuses.length <= room) return statuses.map((st) => paint(st, ICON[st])).join("");
  const slots = Math.max(1, room - 2); // leave a column for each ellipsis
  const start = Math.min(Math.max(0, focus - Math.floor(slots / 2)), statuses.length - slots);
  const end = start + slots;
  const window = statuses.slice(start, end).map((st) => paint(st, ICON[st])).join("");
  return `${start > 0 ? "…" : " "}${window}${end < statuses.length ? "…" : " "}`;
}
