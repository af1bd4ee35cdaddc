/**
 * The web app manifests (public/manifest.webmanifest for the dashboard; each kiosk board's from
 * app/kiosk/[board]/manifest.webmanifest/route.ts, called as Next calls it), their icons and robots.txt.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { GET } from "../../app/kiosk/[board]/manifest.webmanifest/route";

const get = (board: string) => GET(new Request(`http://127.0.0.1/kiosk/${board}/manifest.webmanifest`), { params: Promise.resolve({ board }) });

test("a board installs full screen and opens on itself", async () => {
  const res = await get("ops-wall");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/manifest+json");
  const m = (await res.json()) as Record<string, unknown>;
  assert.equal(m.display, "fullscreen");
  assert.equal(m.start_url, "/kiosk/ops-wall");
  assert.equal(m.id, "/kiosk/ops-wall");
  assert.equal(m.scope, "/kiosk/");
  assert.ok(String(m.start_url).startsWith(String(m.scope)), "start_url lies inside the scope");
  assert.deepEqual((m.icons as { sizes: string }[]).map((i) => i.sizes), ["any", "192x192", "512x512"]);
});

test("a name no board could have gets no manifest", async () => {
  for (const board of ["Log%20in%20to%20your%20bank", "%E0%A4%A", "-x", "a".repeat(64)]) assert.equal((await get(board)).status, 404, board);
});

const publicFile = (path: string) => new URL(`../../public${path}`, import.meta.url);

test("every icon a manifest names is there, PNGs at their stated size; robots.txt keeps crawlers out", async () => {
  const dashboard = JSON.parse(readFileSync(publicFile("/manifest.webmanifest"), "utf8")) as { start_url: string; display: string; icons: { src: string; sizes: string; type: string }[] };
  assert.equal(dashboard.start_url, "/");
  const kiosk = (await (await get("ops-wall")).json()) as typeof dashboard;
  for (const icon of [...dashboard.icons, ...kiosk.icons]) {
    if (icon.src === "/icon.svg") continue; // app/icon.svg, served by Next at /icon.svg
    assert.ok(existsSync(publicFile(icon.src)), icon.src);
    const png = readFileSync(publicFile(icon.src));
    assert.equal(png.subarray(1, 4).toString(), "PNG", icon.src);
    assert.equal(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.sizes, icon.src);
  }
  assert.ok(existsSync(new URL("../../app/icon.svg", import.meta.url)));
  assert.match(readFileSync(publicFile("/robots.txt"), "utf8"), /^User-agent: \*\nDisallow: \/$/m);
});
