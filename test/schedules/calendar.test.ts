/** Window and schedule time maths: weekly ranges across midnight, cron + duration, time zones, blackouts, due slots. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { dueSlot, nextFires, nextOpening, openAt, windowCalendar } from "../../server/schedules/calendar";
import { batchGate, windowState } from "../../server/schedules/windows";

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

test("a weekly range that crosses midnight, in a time zone", () => {
  // Tue/Thu 22:00 to 04:00 Paris time (UTC+1 in December).
  const w = windowCalendar({ name: "nights", weekly: [{ days: ["tue", "thu"], start: "22:00", end: "04:00" }], timezone: "Europe/Paris" });
  assert.equal(openAt(w, at("2026-12-01T20:59:00Z")), undefined); // Tue 21:59 Paris
  assert.equal(iso(openAt(w, at("2026-12-01T21:00:00Z"))?.until), "2026-12-02T03:00:00.000Z"); // Tue 22:00 -> Wed 04:00
  assert.equal(iso(openAt(w, at("2026-12-02T02:59:59Z"))?.until), "2026-12-02T03:00:00.000Z");
  assert.equal(openAt(w, at("2026-12-02T03:00:00Z")), undefined);
  assert.deepEqual(nextOpening(w, at("2026-12-02T03:00:00Z")), { at: at("2026-12-03T21:00:00Z"), until: at("2026-12-04T03:00:00Z") });
  // Inside: the next opening is now.
  assert.equal(iso(nextOpening(w, at("2026-12-01T23:00:00Z"))?.at), "2026-12-01T23:00:00.000Z");
});

test("cron + duration, and blackout dates (single and ranges) keep the window shut on those local dates", () => {
  const w = windowCalendar({ name: "daily", cron: "0 1 * * *", duration: "2h", blackout: ["2026-12-03", "2026-12-05..2026-12-07"] });
  assert.ok(openAt(w, at("2026-12-02T02:00:00Z")));
  assert.equal(openAt(w, at("2026-12-03T02:00:00Z")), undefined);
  assert.equal(iso(nextOpening(w, at("2026-12-02T05:00:00Z"))?.at), "2026-12-04T01:00:00.000Z");
  assert.equal(iso(nextOpening(w, at("2026-12-04T05:00:00Z"))?.at), "2026-12-08T01:00:00.000Z");
  // An opening that runs into a blacked-out day is cut at its midnight.
  const late = windowCalendar({ name: "late", cron: "0 23 * * *", duration: "3h", blackout: ["2026-12-03"] });
  assert.equal(iso(openAt(late, at("2026-12-02T23:30:00Z"))?.until), "2026-12-03T00:00:00.000Z");
  assert.equal(openAt(late, at("2026-12-03T00:30:00Z")), undefined);
  // Blacked out at the opening but the opening lasts past midnight: open from the next day's midnight.
  assert.equal(iso(nextOpening(late, at("2026-12-03T12:00:00Z"))?.at), "2026-12-04T00:00:00.000Z");
});

test("a window that never opens (every opening blacked out, or a past year) has no next opening", () => {
  const never = windowCalendar({ name: "x", cron: "0 1 * * *", duration: "1h", blackout: ["2026-01-01..2028-12-31"] });
  assert.equal(nextOpening(never, at("2026-12-02T00:00:00Z")), undefined);
  const past = windowCalendar({ name: "y", cron: "0 0 0 1 1 * 2020", duration: "1h" });
  assert.equal(nextOpening(past, at("2026-12-02T00:00:00Z")), undefined);
});

test("schedules: next fires in a time zone, and the due slot is the newest within the catch-up", () => {
  const spec = { cron: "0 3 * * 1-5", timezone: "Europe/Paris" };
  assert.deepEqual(nextFires(spec, at("2026-12-04T00:00:00Z"), 2).map(iso), ["2026-12-04T02:00:00.000Z", "2026-12-07T02:00:00.000Z"]);
  assert.equal(iso(dueSlot(spec, at("2026-12-04T02:00:00Z"), 60_000)), "2026-12-04T02:00:00.000Z");
  assert.equal(iso(dueSlot(spec, at("2026-12-04T02:00:59Z"), 60_000)), "2026-12-04T02:00:00.000Z");
  assert.equal(dueSlot(spec, at("2026-12-04T02:01:01Z"), 60_000), undefined);
  assert.equal(iso(dueSlot({ cron: "*/5 * * * *" }, at("2026-12-04T02:12:00Z"), 600_000)), "2026-12-04T02:10:00.000Z");
});

test("the batch gate: open, then closed stops (naming the window), or goes on when the window says continue", () => {
  let now = at("2026-12-02T01:30:00Z");
  const clock = { now: () => now };
  const stop = windowCalendar({ name: "night", cron: "0 1 * * *", duration: "1h" });
  const gate = batchGate([stop], clock)!;
  assert.deepEqual(gate(), { ok: true });
  now = at("2026-12-02T02:00:00Z");
  const closed = gate();
  assert.ok("stop" in closed);
  assert.match(closed.stop, /^maintenance window 'night' closed: no new batch starts .*next opens 2026-12-03T01:00:00.000Z$/);
  const go = batchGate([windowCalendar({ name: "night", cron: "0 1 * * *", duration: "1h", on_close: "continue" })], clock)!;
  now = at("2026-12-02T01:30:00Z");
  assert.deepEqual(go(), { ok: true });
  now = at("2026-12-02T02:00:00Z");
  assert.deepEqual(go(), { ok: true });
  // Two windows: the run may go while either is open, and waits for the earliest opening.
  const other = windowCalendar({ name: "day", cron: "0 12 * * *", duration: "1h" });
  const state = windowState([stop, other], at("2026-12-02T03:00:00Z"));
  assert.deepEqual(state && !state.open && { window: state.next?.window.name, at: iso(state.next?.at) }, { window: "day", at: "2026-12-02T12:00:00.000Z" });
});
