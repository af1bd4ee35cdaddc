/** formatDuration (server/engine/duration.ts): the one duration format of the dashboard, the kiosk and MAAS output. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration } from "../../server/engine/duration";

const s = (seconds: number) => formatDuration(seconds * 1000);

test("milliseconds below a second, rounded; a carry to 1000 ms is a second", () => {
  assert.deepEqual([formatDuration(0), formatDuration(0.4), formatDuration(350), formatDuration(999.4), formatDuration(999.6)], ["0 ms", "0 ms", "350 ms", "999 ms", "1 s"]);
});

test("tenths below ten seconds, without a trailing .0; 9.96 s carries to 10 s", () => {
  assert.deepEqual([s(1), s(1.04), s(4.2), s(5), s(9.94), s(9.96)], ["1 s", "1 s", "4.2 s", "5 s", "9.9 s", "10 s"]);
});

test("whole seconds up to a minute: 59.4 s is 59 s, 59.5 s and 59.7 s round up to 1 min", () => {
  assert.deepEqual([s(10), s(42.4), s(59.4), s(59.5), s(59.7), s(60)], ["10 s", "42 s", "59 s", "1 min", "1 min", "1 min"]);
});

test("minutes and seconds: a carry never prints '60 s'", () => {
  assert.deepEqual([s(61), s(119.4), s(119.6), s(185), s(3599.4)], ["1 min 1 s", "1 min 59 s", "2 min", "3 min 5 s", "59 min 59 s"]);
});

test("hours and minutes from an hour on: 3599.7 s is 1 h", () => {
  assert.deepEqual([s(3599.7), s(3600), s(3629), s(3631), s(4320), s(7199), s(90_000)], ["1 h", "1 h", "1 h", "1 h 1 min", "1 h 12 min", "2 h", "25 h"]);
});

test("a negative duration (clock skew) is 0; what is not a number is a dash", () => {
  assert.deepEqual([formatDuration(-5), formatDuration(-90_000)], ["0 ms", "0 ms"]);
  assert.deepEqual([formatDuration(NaN), formatDuration(Infinity), formatDuration(-Infinity), formatDuration(null), formatDuration(undefined)], ["—", "—", "—", "—", "—"]);
});

test("no output ever shows 60 of a unit, 1000 ms or a trailing .0, at every tenth of a second up to two hours", () => {
  for (let tenths = 0; tenths <= 72_000; tenths++) {
    const text = formatDuration(tenths * 100);
    assert.doesNotMatch(text, /(^| )60 (s|min)\b/, `${tenths / 10} s -> ${text}`);
    assert.doesNotMatch(text, /^1000 ms$|\.0 s$/, `${tenths / 10} s -> ${text}`);
  }
});
