import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TokenBuckets } from "../server/rate-limit";

describe("token buckets", () => {
  test("a burst, then one per refill interval, each user on their own", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 3, perSecond: 0.5 }, () => now);
    assert.deepEqual([buckets.take("a"), buckets.take("a"), buckets.take("a")], [undefined, undefined, undefined]);
    assert.equal(buckets.take("a"), 2); // one token back in 2 s
    assert.equal(buckets.take("b"), undefined);
    now += 1000;
    assert.equal(buckets.take("a"), 1);
    now += 1000;
    assert.equal(buckets.take("a"), undefined);
    now += 60_000;
    assert.deepEqual([buckets.take("a"), buckets.take("a"), buckets.take("a"), buckets.take("a")], [undefined, undefined, undefined, 2]);
  });

  test("work charged afterwards can overdraw the bucket, and the next start waits it out", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 30, perSecond: 0.5 }, () => now);
    assert.equal(buckets.take("a", 0.05), undefined);
    buckets.charge("a", 40); // a 40 s check
    const wait = buckets.take("a", 0.05)!;
    assert.ok(Math.abs(wait - 20.2) < 1e-9, String(wait)); // from -10.05 back up to 0.05 at 0.5 per second
    now += 20_300;
    assert.equal(buckets.take("a", 0.05), undefined);
  });

  test("full buckets are forgotten once many users have come and gone", () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 1, perSecond: 1 }, () => now);
    for (let i = 0; i < 10_000; i++) buckets.take(`user-${i}`);
    now += 5000;
    buckets.take("late");
    const size = (buckets as unknown as { buckets: Map<string, unknown> }).buckets.size;
    assert.equal(size, 1);
  });
});
