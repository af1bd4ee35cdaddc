/**
 * Generated inventories (fixed seeds): groups in a random graph (several parents, priorities, depths), hosts in
 * several groups, the same few variable names set as scalars, lists and dicts at every layer (inventory vars,
 * group_vars files and directories, host lines, host_vars), connection variables among them. Each is imported and
 * must resolve, host by host, to exactly what ansible-inventory --list prints.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { run } from "../../server/cli/main";
import { ansibleInventory, ansibleMissing, assertSameInventory, flightdeckAsAnsible } from "./support";

const skip = ansibleMissing();
const temp = mkdtempSync(join(tmpdir(), "flightdeck-import-gen-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** mulberry32: a small deterministic generator. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const KEYS = ["color", "size", "users", "limits", "tags", "ansible_port", "ansible_user", "mode"];

function generate(seed: number, dir: string): string {
  const r = random(seed);
  const value = (key: string, who: string): unknown => {
    if (key === "ansible_port") return r.chance(0.8) ? 2000 + r.int(100) : `${2000 + r.int(100)}`;
    if (key === "ansible_user") return `user-${who}`;
    switch (r.int(5)) {
      case 0:
        return `${key}-${who}`;
      case 1:
        return r.int(1000);
      case 2:
        return [who, r.int(10)];
      case 3:
        return Object.fromEntries(["a", "b", "c"].filter(() => r.chance(0.6)).map((k) => [k, `${who}-${k}`]));
      default:
        return { nested: { [r.pick(["x", "y"])]: who }, n: r.int(5) };
    }
  };
  const vars = (who: string, n: number) => Object.fromEntries(Array.from({ length: n }, () => r.pick(KEYS)).map((k) => [k, value(k, who)]));

  const groupCount = 14;
  const groups = Array.from({ length: groupCount }, (_, i) => `g${i}`);
  const parents = new Map<string, string[]>();
  groups.forEach((g, i) => {
    const ps = new Set<string>();
    if (i > 0 && r.chance(0.7)) ps.add(groups[r.int(i)]!);
    if (i > 1 && r.chance(0.25)) ps.add(groups[r.int(i)]!);
    parents.set(g, [...ps]);
  });
  const members = new Map<string, Record<string, unknown>>(groups.map((g) => [g, {}]));
  const topHosts: Record<string, unknown> = {};
  for (let h = 0; h < 60; h++) {
    const name = `h${h}`;
    if (r.chance(0.1)) {
      topHosts[name] = r.chance(0.5) ? vars(name, 1) : null;
      continue;
    }
    const n = 1 + r.int(3);
    for (let k = 0; k < n; k++) members.get(r.pick(groups))![name] = r.chance(0.3) ? vars(name, 1 + r.int(2)) : null;
  }
  const defined = new Set<string>();
  const groupData = (g: string): Record<string, unknown> => {
    const children: Record<string, unknown> = {};
    for (const c of groups) if (parents.get(c)!.includes(g)) children[c] = defined.has(c) ? null : groupData(c);
    defined.add(g);
    const data: Record<string, unknown> = {};
    if (Object.keys(members.get(g)!).length) data.hosts = members.get(g);
    const v = vars(g, r.int(4));
    if (r.chance(0.3)) v.ansible_group_priority = 1 + r.int(3);
    if (Object.keys(v).length) data.vars = v;
    if (Object.keys(children).length) data.children = children;
    return data;
  };
  const top: Record<string, unknown> = {};
  for (const g of groups) if (!parents.get(g)!.length) top[g] = groupData(g);
  const all = { all: { vars: vars("all", 3), hosts: topHosts, children: top } };
  mkdirSync(join(dir, "group_vars"), { recursive: true });
  mkdirSync(join(dir, "host_vars"), { recursive: true });
  writeFileSync(join(dir, "hosts.yml"), stringify(all));
  for (const g of ["all", ...groups]) {
    if (!r.chance(0.5)) continue;
    if (r.chance(0.3)) {
      mkdirSync(join(dir, "group_vars", g));
      writeFileSync(join(dir, "group_vars", g, "10.yml"), stringify(vars(`${g}-file1`, 2)));
      writeFileSync(join(dir, "group_vars", g, "20.json"), JSON.stringify(vars(`${g}-file2`, 2)));
    } else writeFileSync(join(dir, "group_vars", `${g}.yml`), stringify(vars(`${g}-file`, 1 + r.int(3))));
  }
  for (let h = 0; h < 60; h += 1 + r.int(6)) writeFileSync(join(dir, "host_vars", `h${h}.yaml`), stringify(vars(`h${h}-file`, 1 + r.int(2))));
  return join(dir, "hosts.yml");
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`generated inventory, seed ${seed}`, { skip }, async () => {
    const source = generate(seed, join(temp, `inv-${seed}`));
    const site = join(temp, `site-${seed}`);
    const err: string[] = [];
    const code = await run(["import", "ansible", source, "-o", site], { out: () => {}, err: (t) => err.push(t), env: {} });
    assert.equal(code, 0, err.join("\n"));
    assertSameInventory(await flightdeckAsAnsible(site), ansibleInventory(source), `seed ${seed}`);
  });
}
