/** fitTiles of components/kiosk/HostTiles.tsx: how a run's hosts fill the space the kiosk has left. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fitTiles } from "../../components/kiosk/HostTiles";

// About the tile area a 1920x1080 board leaves under a run, at the kiosk's font size there (1.45vw).
const W = 1800;
const H = 420;
const FONT = 27.8;

test("a few hosts get large named tiles, at least four columns wide so one host is not a banner", () => {
  assert.deepEqual(fitTiles(1, W, H, FONT), { mode: "large", cols: 4, shown: 1, tile: FONT * 3.4 });
  const six = fitTiles(6, W, H, FONT)!;
  assert.equal(six.mode, "large");
  assert.equal(six.shown, 6);
});

test("more hosts step down to smaller named tiles, then squares, then a heat map with the rest counted", () => {
  const modes = [30, 60, 400, 5000].map((n) => fitTiles(n, W, H, FONT)?.mode);
  assert.deepEqual(modes, ["named", "compact", "micro", "micro"]);
  const many = fitTiles(5000, W, H, FONT)!;
  assert.ok(many.shown < 5000 && many.shown > 0, "some squares, and a '+N' for the rest");
  const cols = many.cols;
  const rows = Math.floor((H + FONT * 0.2) / (FONT * 0.8 + FONT * 0.2));
  assert.equal(many.shown, cols * rows - 4, "the count takes four squares' room");
});

test("no room at all: nothing is drawn", () => {
  assert.equal(fitTiles(10, W, 0, FONT), null);
});
