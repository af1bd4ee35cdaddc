/**
 * IPv4 and IPv6 addresses and networks, parsed strictly (no new dependency): dotted quads without leading
 * zeros, RFC 4291 text forms of IPv6 (one `::`, an IPv4 tail, no zone), and `ADDRESS/PREFIX` networks.
 * Addresses are bigints, so containment and ordering are plain comparisons; formatting is canonical
 * (RFC 5952 for IPv6), so two spellings of one address compare equal by their text too.
 */
export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface IpNetwork {
  readonly family: IpFamily;
  /** The address as written before the `/` (it may have host bits set: see `hasHostBits`). */
  readonly address: IpAddress;
  readonly prefix: number;
  /** The first and last address of the network. */
  readonly first: bigint;
  readonly last: bigint;
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

const V4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseV4(text: string): bigint | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

/** The 16-bit groups of one side of `::`; an IPv4 tail (last group only, where allowed) counts as two. */
function groups(text: string, v4Tail: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (v4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseV4(part);
      if (v4 === undefined) return undefined;
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (HEX_GROUP.test(part)) out.push(parseInt(part, 16));
    else return undefined;
  }
  return out;
}

function parseV6(text: string): bigint | undefined {
  const halves = text.split("::");
  let all: number[];
  if (halves.length === 1) {
    const g = groups(text, true);
    if (g?.length !== 8) return undefined;
    all = g;
  } else if (halves.length === 2) {
    const head = groups(halves[0]!, false);
    const tail = groups(halves[1]!, true);
    // `::` stands for at least one group of zeros.
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    all = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else return undefined;
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}

/** An IPv4 or IPv6 address, or undefined when `text` is not exactly one. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/** `ADDRESS/PREFIX`, or undefined. The prefix is required (0..32 for IPv4, 0..128 for IPv6). */
export function parseCidr(text: string): IpNetwork | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!address || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = BITS[address.family];
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const first = address.value & ~hostMask;
  return { family: address.family, address, prefix, first, last: first | hostMask };
}

/** True when the address written before the `/` is not the network's first address (10.0.0.5/24). */
export function hasHostBits(net: IpNetwork): boolean {
  return net.address.value !== net.first;
}

export function contains(net: IpNetwork, address: IpAddress): boolean {
  return address.family === net.family && address.value >= net.first && address.value <= net.last;
}

export function overlaps(a: IpNetwork, b: IpNetwork): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Where an address stands in a network: outside it, on its IPv4 network or broadcast address, or usable. */
export function placeIn(net: IpNetwork, address: IpAddress): "outside" | "network" | "broadcast" | "usable" {
  if (!contains(net, address)) return "outside";
  // IPv4 networks up to /30 reserve their first and last address; /31 (RFC 3021) and /32 do not. IPv6 has no broadcast.
  if (net.family === 4 && net.prefix <= 30) {
    if (address.value === net.first) return "network";
    if (address.value === net.last) return "broadcast";
  }
  return "usable";
}

/** fe80::/10: an IPv6 gateway is usually a router's link-local address, outside the subnet by design. */
export function isLinkLocal(address: IpAddress): boolean {
  return address.family === 6 ? address.value >> 118n === 0x3fan : address.value >> 16n === 0xa9fen;
}

export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family < b.family ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, no leading zeros, the longest zero run as `::`). */
export function formatIp(address: IpAddress): string {
  const v = address.value;
  if (address.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join(".");
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never shortened
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (part: number[]) => part.map((n) => n.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLength))}`;
}

/** The network in canonical form: its first address and prefix (10.0.0.0/24). */
export function formatNetwork(net: IpNetwork): string {
  return `${formatIp({ family: net.family, value: net.first })}/${net.prefix}`;
}
