/**
 * MAAS steps print two kinds of lines (server/transports/maas/format.ts): the machine's status changes
 * ("node-1 (4y3h7n): Deploying -> Deployed") and MAAS's events ("Tue, 05 Mar. 2024 12:00:01 INFO Node powered
 * on: detail"). In the log they read better with the level coloured and the new status stressed, and an event
 * shows only its time of day (a drawer is narrow; the date is the same all night long): the full timestamp is
 * on hover. Everything else is MAAS's own text.
 */
import type { Span } from "./ansi";

const EVENT = /^(\w{3}, \d{2} \w{3}\.? \d{4}) (\d{2}:\d{2}:\d{2}) (AUDIT|DEBUG|INFO|WARNING|ERROR|CRITICAL) (.*)$/;
const STATUS = /^(\S+ \([a-z0-9]+\)|[a-z0-9]+): (?:(.+?) -> )?([A-Z][A-Za-z ]*?)( \(.*\))?$/;

/** Styled spans for a plain MAAS line, or null when the line is neither an event nor a status change. */
export function maasSpans(text: string): Span[] | null {
  const e = EVENT.exec(text);
  if (e) {
    const [, day, time, level, rest] = e as unknown as [string, string, string, string, string];
    const colon = rest.indexOf(": ");
    const type = colon >= 0 ? rest.slice(0, colon) : rest;
    const detail = colon >= 0 ? rest.slice(colon) : "";
    const spans: Span[] = [
      { text: time, cls: "mx-time", title: `${day} ${time} (MAAS's time)` },
      { text: " ", cls: "" },
      { text: level, cls: `mx-lvl mx-${level.toLowerCase()}` },
      { text: " ", cls: "" },
      { text: type, cls: "mx-type" },
    ];
    if (detail) spans.push({ text: detail, cls: "" });
    return spans;
  }
  const s = STATUS.exec(text);
  if (s) {
    const [, machine, from, to, why] = s as unknown as [string, string, string | undefined, string, string | undefined];
    const spans: Span[] = [
      { text: machine, cls: "mx-machine" },
      { text: ": ", cls: "" },
    ];
    if (from) spans.push({ text: `${from} -> `, cls: "mx-from" });
    spans.push({ text: to, cls: "mx-status" });
    if (why) spans.push({ text: why, cls: "" });
    return spans;
  }
  return null;
}
