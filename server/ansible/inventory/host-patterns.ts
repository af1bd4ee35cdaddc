/**
 * Host patterns as Ansible's inventory plugins expand them (parsing/utils/addresses.py parse_address and
 * plugins/inventory expand_hostname_range): `host:port`, `[v6::addr]:port`, numeric ranges `web[01:20]` (with
 * equal-width zero padding), letter ranges `[a:f]`, strides `[1:10:2]`, several ranges in one name.
 */

/** What Ansible raises for a bad range; the caller locates it. */
export class HostPatternError extends Error {
  override name = "HostPatternError";
}

/** Most hosts one pattern may expand to (Ansible has no bound; a typo such as [1:1000000] should not hang). */
export const MAX_EXPANSION = 100_000;

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const V6 = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const V4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${V4}\\.){3}${V4}$`, "i");
// As in Ansible, only the last alternative is anchored at the end (the others may match a prefix).
const IPV6 = new RegExp(
  "^(?:" +
    [
      `(?:${V6}:){7}${V6}`,
      `(?:${V6}:){1,6}:`,
      `(?:${V6}:)(?::${V6}){1,6}`,
      `(?:${V6}:){2}(?::${V6}){1,5}`,
      `(?:${V6}:){3}(?::${V6}){1,4}`,
      `(?:${V6}:){4}(?::${V6}){1,3}`,
      `(?:${V6}:){5}(?::${V6}){1,2}`,
      `(?:${V6}:){6}(?::${V6})`,
      `:(?::${V6}){1,6}`,
      `${V6}?::`,
      `(?:0:){6}(?:${V6}\\.){3}${V6}`,
      `::(?:ffff:)?(?:${V6}\\.){3}${V6}`,
      `(?:0:){5}ffff:(?:${V6}\\.){3}${V6}$`,
    ].join("|") +
    ")",
  "i",
);
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, "iu");

/** parse_address(address, allow_ranges=True): the host and port, or undefined when Ansible cannot parse it. */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  let port: number | undefined;
  // Both patterns are tried in turn, the second on what the first left (as Ansible's loop does).
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  if (IPV4.test(address) || IPV6.test(address) || HOSTNAME.test(address)) return { host: address, port };
  return undefined;
}

/** `_expand_hostpattern`: the host names a pattern stands for, and the port it gives them. */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const parsed = parseAddress(pattern);
  const name = parsed ? parsed.host : pattern;
  const port = parsed?.port;
  return { hosts: name.includes("[") ? expandHostnameRange(name) : [name], port };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Python's int() of text: optional sign, digits with single underscores between, surrounding whitespace. */
function pyInt(text: string): number {
  const m = /^\s*([+-]?)([0-9](?:_?[0-9])*)\s*$/.exec(text);
  if (!m) throw new HostPatternError(`invalid literal for int() with base 10: '${text}'`);
  return Number(m[1]! + m[2]!.replace(/_/g, ""));
}

export function expandHostnameRange(line: string, budget = { left: MAX_EXPANSION }): string[] {
  const parts = line.replace("[", "|").replace("]", "|").split("|");
  if (parts.length !== 3) throw new HostPatternError(`'${line}' is not a valid host range: one [begin:end] with nothing else in brackets`);
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError("host range must be begin:end or begin:end:step");
  let beg = bounds[0]!;
  const end = bounds[1]!;
  const step = bounds.length === 2 ? "1" : bounds[2]!;
  if (!beg) beg = "0";
  if (!end) throw new HostPatternError("host range must specify end value");
  let fill = (x: string | number) => String(x);
  if (beg[0] === "0" && beg.length > 1) {
    if (beg.length !== end.length) throw new HostPatternError("host range must specify equal-length begin and end formats");
    fill = (x) => zfill(String(x), beg.length);
  }
  let seq: (string | number)[] | undefined;
  const iBeg = LETTERS.indexOf(beg);
  const iEnd = LETTERS.indexOf(end);
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) throw new HostPatternError("host range must have begin <= end");
    let s: number | undefined;
    try {
      s = pyInt(step);
    } catch {
      s = undefined; // Python falls back to the numeric range (and fails there)
    }
    if (s !== undefined && s !== 0) seq = s > 0 ? [...LETTERS.slice(iBeg, iEnd + 1)].filter((_, k) => k % s === 0) : [];
  }
  if (!seq) {
    const from = pyInt(beg);
    const to = pyInt(end);
    const by = pyInt(step);
    if (by === 0) throw new HostPatternError("range() arg 3 must not be zero");
    const count = by > 0 ? Math.max(0, Math.ceil((to + 1 - from) / by)) : Math.max(0, Math.ceil((to + 1 - from) / by));
    if (count > budget.left) throw new HostPatternError(`the range in '${line}' expands to more than ${MAX_EXPANSION} hosts`);
    seq = [];
    for (let k = 0; k < count; k++) seq.push(from + k * by);
  }
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    if (name.includes("[")) out.push(...expandHostnameRange(name, budget));
    else {
      if (--budget.left < 0) throw new HostPatternError(`the range in '${line}' expands to more than ${MAX_EXPANSION} hosts`);
      out.push(name);
    }
  }
  return out;
}

/** Python's str.zfill: zeros after any sign. */
function zfill(s: string, width: number): string {
  const sign = s[0] === "-" || s[0] === "+" ? s[0] : "";
  const digits = sign ? s.slice(1) : s;
  return sign + digits.padStart(width - sign.length, "0");
}
