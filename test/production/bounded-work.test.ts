/**
 * Bounded work in the production server (`next build` output, its own process): the archive and lint bombs of
 * the issue, with the server process's memory read from /proc (VmRSS, and VmHWM, its peak, reset before each
 * case through /proc/PID/clear_refs) and another user's requests timed throughout. The site-checking threads
 * start from inside Next's route bundle here, as they do for users.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test, type TestContext } from "node:test";
import { writeTgz } from "../../server/store/archive";
import { Client } from "../api/client";
import { multipart, upload } from "../api/upload";
import { anchorHeavyYaml, gzipBomb, zipBomb } from "../store/bombs";
import { ADMIN_PASSWORD, productionSkipReason, startProductionServer, type ProductionServer } from "./server";

const skip = productionSkipReason();
const PASSWORD = "a-password-of-test";
const MiB = 1 << 20;
const TIMEOUT_S = 5;
/** What the bounds below allow the server to grow by, in MiB, and why. */
const BOUND = {
  /** A refused upload: nothing read, nothing inflated. */
  refused: 32,
  /** An archive: at most 64 MiB inflated, plus the 1 MiB upload and the parsers' working memory. */
  archive: 64 + 64,
  /** A lint bomb: one checking thread's heap limit (256 MiB), its young generation and code, the request body. */
  lint: 256 + 192,
  /** The whole server at any time in these tests (it starts at about 350 MiB with one checking thread). */
  total: 1024,
};

/** The server process's resident memory now and at its peak since the last reset, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}
/** Start measuring a new peak from the current resident size. */
function resetPeak(pid: number) {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

describe("bounded work in the production server", { skip }, () => {
  let server: ProductionServer;
  let admin: Client;
  let viewer: Client;
  let operator: Client;
  let viewerToken: string;

  async function user(name: string, role: string): Promise<Client> {
    const created = await admin.ok<{ id: string }>("users.create", { username: name, password: PASSWORD });
    await admin.ok("members.set", { slug: "ha-kvm", userId: created.id, role });
    const c = new Client(server.url, name);
    assert.equal(await c.signIn(name, PASSWORD), 200);
    return c;
  }

  /** Another user's request, every 50 ms while `work` runs: the longest answer and how many there were. */
  async function whileOthersAsk<T>(work: () => Promise<T>): Promise<{ result: T; worst: number; answered: number }> {
    let stopped = false;
    let worst = 0;
    let answered = 0;
    const others = (async () => {
      while (!stopped) {
        const started = performance.now();
        const r = await operator.trpc("sites.list", undefined, "query");
        assert.equal(r.status, 200);
        worst = Math.max(worst, performance.now() - started);
        answered++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      return { result: await work(), worst, answered };
    } finally {
      stopped = true;
      await others;
    }
  }

  /** Run `work` with the peak reset first; report and bound how far the server grew above where it was. */
  async function measured<T>(t: TestContext, bound: number, work: () => Promise<T>): Promise<T> {
    const before = memory(server.pid).rss;
    resetPeak(server.pid);
    const { result, worst, answered } = await whileOthersAsk(work);
    const { peak, rss } = memory(server.pid);
    t.diagnostic(`server RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB (+${(peak - before).toFixed(0)}), ${rss.toFixed(0)} MiB after; ${answered} other requests, the slowest ${worst.toFixed(0)} ms`);
    assert.ok(peak - before < bound, `the server grew by ${(peak - before).toFixed(0)} MiB, more than ${bound} MiB`);
    assert.ok(peak < BOUND.total, `the server's peak was ${peak.toFixed(0)} MiB`);
    assert.ok(worst < 1000, `another user's request took ${worst.toFixed(0)} ms`);
    return result;
  }

  before(async () => {
    server = await startProductionServer({ FLIGHTDECK_CHECK_TIMEOUT: String(TIMEOUT_S) });
    admin = new Client(server.url, "admin");
    assert.equal(await admin.signIn("admin", ADMIN_PASSWORD), 200);
    viewer = await user("viewer1", "viewer");
    operator = await user("operator1", "operator");
    viewerToken = (await viewer.ok<{ token: string }>("tokens.create", { name: "ci", site: "ha-kvm", role: "viewer" })).token;
  });
  after(async () => {
    await server?.close();
  });

  test("checking threads start from inside Next's bundle: lint of the demo, and an import through the dashboard's form", async (t) => {
    const started = performance.now();
    const lint = await admin.trpc<{ message: string }[]>("files.lint", { slug: "ha-kvm", changes: [] }, "mutation");
    assert.equal(lint.status, 200, lint.message);
    // The demo is clean, but for anything this server's policy refuses (the thread applies the policy).
    assert.ok(Array.isArray(lint.data));
    for (const d of lint.data) assert.match(d.message, /is refused/);
    t.diagnostic(`first lint (starting a thread): ${(performance.now() - started).toFixed(0)} ms; RSS ${memory(server.pid).rss.toFixed(0)} MiB`);
    const timings: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      assert.equal((await admin.trpc("files.lint", { slug: "ha-kvm", changes: [] }, "mutation")).status, 200);
      timings.push(performance.now() - s);
    }
    t.diagnostic(`lint of the demo over HTTP, warm: ${timings.map((n) => n.toFixed(0)).join(", ")} ms`);
    const form = multipart([["file", ["lab.tgz", writeTgz([{ path: "inventory.yml", content: "kind: inventory\napi_version: v1beta1\nspec:\n  hosts:\n  - name: web-1\n" }], new Date())]]]);
    const r = await upload(`${server.url}/api/v1/sites/import?${new URLSearchParams({ slug: "lab", name: "Lab" })}`, { headers: admin.headers({ "content-type": form.type }), body: form.body });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.revision, { number: 1, errors: 0, warnings: 0, hosts: 1 });
  });

  test("a viewer token's bomb is answered 403 while its upload is still open; the server does not grow", async (t) => {
    const r = await measured(t, BOUND.refused, () =>
      upload(`${server.url}/api/v1/sites/import?slug=ha-kvm`, { headers: { authorization: `Bearer ${viewerToken}`, "content-type": "application/zip", "transfer-encoding": "chunked" }, body: zipBomb(), hold: true }),
    );
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.finished, false);
    assert.ok(r.ms < 1000, `answered after ${r.ms.toFixed(0)} ms`);
  });

  test("an admin's zip bomb (18 x 60 MiB) and gzip bomb (1 GiB) are refused with 413 as they pass 64 MiB", async (t) => {
    for (const [type, bomb] of [["application/zip", zipBomb()], ["application/gzip", gzipBomb()]] as const) {
      const r = await measured(t, BOUND.archive, () => upload(`${server.url}/api/v1/sites/import?slug=bombed&filename=bomb`, { headers: admin.headers({ "content-type": type }), body: bomb }));
      assert.equal(r.status, 413, JSON.stringify(r.body));
      assert.equal(r.body.detail, "bomb expands to more than 64 MiB, the most an archive may expand to");
      t.diagnostic(`${type}: ${(bomb.byteLength / MiB).toFixed(2)} MiB sent, answered in ${r.ms.toFixed(0)} ms`);
    }
    assert.equal((await admin.trpc("sites.get", { slug: "bombed" }, "query")).status, 404);
  });

  test("the issue's lint bomb (three 7 MB anchor-heavy files from a viewer) is refused at once; three that fit are stopped at the time budget", async (t) => {
    const seven = anchorHeavyYaml(7_000_000);
    const big = await measured(t, BOUND.lint, () => viewer.trpc("files.lint", { slug: "ha-kvm", changes: [0, 1, 2].map((i) => ({ path: `bomb-${i}.yml`, content: seven })) }, "mutation"));
    assert.equal(big.status, 413);
    assert.equal(big.message, "bomb-0.yml is 6.7 MiB; a site file may be at most 4 MiB");
    const fits = anchorHeavyYaml(1_300_000);
    const started = performance.now();
    const slow = await measured(t, BOUND.lint, () => viewer.trpc("files.lint", { slug: "ha-kvm", changes: [0, 1, 2].map((i) => ({ path: `bomb-${i}.yml`, content: fits })) }, "mutation"));
    const took = performance.now() - started;
    t.diagnostic(`three 1.3 MB anchor-heavy files: ${slow.status} ${slow.message} after ${took.toFixed(0)} ms`);
    assert.equal(slow.status, 413);
    assert.match(slow.message!, new RegExp(`^the site (took longer than ${TIMEOUT_S} s to check|needs more than 256 MiB of memory to check)`));
    assert.ok(took < TIMEOUT_S * 1000 + 3000, `answered after ${took.toFixed(0)} ms`);
    // The viewer's own next lint is served (by a fresh thread) once the bomb was stopped.
    assert.equal((await viewer.trpc("files.lint", { slug: "ha-kvm", changes: [] }, "mutation")).status, 200);
  });
});
