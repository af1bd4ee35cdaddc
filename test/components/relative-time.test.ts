/** relative() of components/ui/RelativeTime.tsx: the one "3 minutes ago" of the dashboard and the kiosk. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { relative } from "../../components/ui/RelativeTime";

const NOW = Date.UTC(2025, 5, 1, 12);
const ago = (seconds: number) => relative(new Date(NOW - seconds * 1000), NOW);
const en = (n: number, unit: Intl.RelativeTimeFormatUnit) => new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(n, unit);

test("within a minute either way is 'just now'", () => {
  assert.deepEqual([ago(0), ago(59.4), ago(-30)], ["just now", "just now", "just now"]);
});

test("rounded in a unit before the next unit is considered: 59.6 minutes is an hour, never 60 minutes", () => {
  assert.equal(ago(60), en(-1, "minute"));
  assert.equal(ago(3 * 60 + 20), en(-3, "minute"));
  assert.equal(ago(59 * 60 + 20), en(-59, "minute"));
  assert.equal(ago(59 * 60 + 36), en(-1, "hour"));
  assert.equal(ago(23.6 * 3600), en(-1, "day"));
  assert.equal(ago(29.6 * 86400), en(-1, "month"));
  assert.equal(ago(-2 * 3600), en(2, "hour"));
  for (let s = 60; s < 400 * 86400; s += 97) assert.doesNotMatch(ago(s), /\b(60 minutes|24 hours|30 days|12 months)\b/, `${s} s`);
});

test("an unreadable date gives nothing rather than 'NaN'", () => {
  assert.equal(relative(new Date("not a date"), NOW), "");
});
