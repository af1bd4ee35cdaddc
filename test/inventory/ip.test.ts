/** The site design's own IPv4/IPv6 parsing: strict text forms, canonical output, networks and containment. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compareIp, contains, formatIp, formatNetwork, hasHostBits, isLinkLocal, overlaps, parseCidr, parseIp, placeIn, type IpNetwork } from "../../server/inventory/ip";

const v4 = (text: string) => parseIp(text)?.value;
const canonical = (text: string) => {
  const a = parseIp(text);
  return a && formatIp(a);
};
const net = (text: string): IpNetwork => {
  const n = parseCidr(text);
  assert.ok(n, `${text} should parse`);
  return n;
};
const ip = (text: string) => {
  const a = parseIp(text);
  assert.ok(a, `${text} should parse`);
  return a;
};

describe("IPv4", () => {
  test("dotted quads, as numbers", () => {
    assert.equal(v4("0.0.0.0"), 0n);
    assert.equal(v4("10.0.0.1"), 0x0a000001n);
    assert.equal(v4("255.255.255.255"), 0xffffffffn);
    assert.equal(v4("192.168.100.11"), (192n << 24n) | (168n << 16n) | (100n << 8n) | 11n);
    assert.equal(parseIp("10.0.0.1")?.family, 4);
  });

  test("anything else is refused", () => {
    for (const bad of ["", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.256", "010.0.0.1", "10.00.0.1", "1e1.0.0.1", " 10.0.0.1", "10.0.0.1 ", "10.0.0.-1", "10..0.1", "0x0a.0.0.1", "10.0.0.1/24", "a.b.c.d", "1000.0.0.1"]) {
      assert.equal(parseIp(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe("IPv6", () => {
  test("full, compressed and IPv4-tailed forms", () => {
    assert.equal(parseIp("::")?.value, 0n);
    assert.equal(parseIp("::1")?.value, 1n);
    assert.equal(parseIp("1::")?.value, 1n << 112n);
    assert.equal(parseIp("2001:db8:0:0:0:0:0:1")?.value, parseIp("2001:db8::1")?.value);
    assert.equal(parseIp("2001:0DB8::0001")?.value, parseIp("2001:db8::1")?.value);
    assert.equal(parseIp("::ffff:192.168.1.1")?.value, (0xffffn << 32n) | 0xc0a80101n);
    assert.equal(parseIp("1:2:3:4:5:6:1.2.3.4")?.value, parseIp("1:2:3:4:5:6:102:304")?.value);
    assert.equal(parseIp("1:2:3:4:5:6:7::")?.value, parseIp("1:2:3:4:5:6:7:0")?.value);
    assert.equal(parseIp("::2:3:4:5:6:7:8")?.value, parseIp("0:2:3:4:5:6:7:8")?.value);
    assert.equal(parseIp("fe80::1")?.family, 6);
  });

  test("anything else is refused", () => {
    for (const bad of [
      ":",
      ":::",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "1::2::3",
      "1:::2",
      ":1::",
      "::1:",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "g::1",
      "fe80::1%eth0",
      "::ffff:1.2.3",
      "::ffff:1.2.3.256",
      "1.2.3.4::",
      "::1.2.3.4:5",
      "1:2:3:4:5:6:7:1.2.3.4",
      "[::1]",
      "::/64",
    ]) {
      assert.equal(parseIp(bad), undefined, JSON.stringify(bad));
    }
  });

  test("canonical text (RFC 5952): lower case, no leading zeros, the first longest zero run as ::", () => {
    assert.equal(canonical("2001:0DB8:0000:0000:0000:0000:0002:0001"), "2001:db8::2:1");
    assert.equal(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
    assert.equal(canonical("2001:db8:0:1:0:0:0:1"), "2001:db8:0:1::1");
    assert.equal(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
    assert.equal(canonical("0:0:0:0:0:0:0:0"), "::");
    assert.equal(canonical("0:0:0:0:0:0:0:1"), "::1");
    assert.equal(canonical("1:0:0:0:0:0:0:0"), "1::");
    assert.equal(canonical("::ffff:10.0.0.1"), "::ffff:a00:1");
    assert.equal(canonical("10.000.0.1"), undefined);
    assert.equal(canonical("10.0.0.1"), "10.0.0.1");
  });
});

describe("networks", () => {
  test("ADDRESS/PREFIX with the right prefix range", () => {
    const n = net("10.0.0.0/24");
    assert.deepEqual([n.family, n.prefix, n.first, n.last], [4, 24, 0x0a000000n, 0x0a0000ffn]);
    assert.equal(formatNetwork(net("fd00:20::/64")), "fd00:20::/64");
    assert.equal(formatNetwork(net("0.0.0.0/0")), "0.0.0.0/0");
    assert.equal(net("::/0").last, (1n << 128n) - 1n);
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/024", "10.0.0.0/", "10.0.0.0/-1", "fd00::/129", "/24", "10.0.0.0/24/1", "10.0.0.0 /24"]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  test("host bits written in the network address", () => {
    assert.equal(hasHostBits(net("10.0.0.5/24")), true);
    assert.equal(formatNetwork(net("10.0.0.5/24")), "10.0.0.0/24");
    assert.equal(hasHostBits(net("10.0.0.0/24")), false);
    assert.equal(hasHostBits(net("fd00::1/64")), true);
    assert.equal(hasHostBits(net("10.0.0.5/32")), false);
  });

  test("containment, and the reserved ends of IPv4 networks", () => {
    const n = net("10.0.0.0/24");
    assert.equal(contains(n, ip("10.0.0.200")), true);
    assert.equal(contains(n, ip("10.0.1.1")), false);
    assert.equal(contains(n, ip("::a00:1")), false, "another family is never inside");
    assert.equal(placeIn(n, ip("10.0.0.0")), "network");
    assert.equal(placeIn(n, ip("10.0.0.255")), "broadcast");
    assert.equal(placeIn(n, ip("10.0.0.1")), "usable");
    assert.equal(placeIn(n, ip("10.0.1.0")), "outside");
    // RFC 3021 point-to-point links and single addresses reserve nothing.
    assert.equal(placeIn(net("10.0.0.0/31"), ip("10.0.0.0")), "usable");
    assert.equal(placeIn(net("10.0.0.0/31"), ip("10.0.0.1")), "usable");
    assert.equal(placeIn(net("10.0.0.7/32"), ip("10.0.0.7")), "usable");
    // IPv6 has no broadcast.
    assert.equal(placeIn(net("fd00::/64"), ip("fd00::")), "usable");
    assert.equal(placeIn(net("fd00::/64"), ip("fd00::ffff:ffff:ffff:ffff")), "usable");
    assert.equal(placeIn(net("fd00::/64"), ip("fd00:0:0:1::")), "outside");
  });

  test("overlaps, link-local addresses, ordering", () => {
    assert.equal(overlaps(net("10.0.0.0/16"), net("10.0.5.0/24")), true);
    assert.equal(overlaps(net("10.0.0.0/24"), net("10.0.1.0/24")), false);
    assert.equal(overlaps(net("10.0.0.0/24"), net("::/0")), false);
    assert.equal(isLinkLocal(ip("fe80::1")), true);
    assert.equal(isLinkLocal(ip("febf::1")), true);
    assert.equal(isLinkLocal(ip("fec0::1")), false);
    assert.equal(isLinkLocal(ip("169.254.1.1")), true);
    assert.equal(isLinkLocal(ip("10.0.0.1")), false);
    assert.equal(compareIp(ip("10.0.0.2"), ip("10.0.0.10")), -1);
    assert.equal(compareIp(ip("10.0.0.2"), ip("10.0.0.2")), 0);
    assert.equal(compareIp(ip("::1"), ip("10.0.0.1")), 1, "IPv4 sorts before IPv6");
  });

  test("a round trip through the canonical form keeps every address", () => {
    // A small seeded walk over both families.
    let seed = 12345n;
    const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n));
    for (let i = 0; i < 500; i++) {
      const value = ((next() << 64n) | next()) & (i % 3 === 0 ? 0xffffn << BigInt(16 * (i % 8)) : (1n << 128n) - 1n);
      const a = { family: 6 as const, value };
      assert.equal(parseIp(formatIp(a))?.value, value, formatIp(a));
      const b = { family: 4 as const, value: value & 0xffffffffn };
      assert.equal(parseIp(formatIp(b))?.value, b.value);
    }
  });
});
