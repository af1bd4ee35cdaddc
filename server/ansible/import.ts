/**
 * Importing an Ansible inventory as a Flightdeck site: one inventory document (groups with members, children,
 * data and connection; hosts with connection and data) and, for vaulted values, `secrets.yml` with `secret:`
 * references in their place, such that `flightdeck resolve` gives every host exactly the variables and groups
 * `ansible-inventory --list` gives it.
 *
 * Ansible and Flightdeck resolve differently (Ansible: all groups' inventory vars below all group_vars files,
 * groups sorted by depth, priority and name, dicts replaced whole; Flightdeck: one level per group in tree order,
 * maps merged), so the site is built in three passes:
 * 1. structure: groups in Ansible's order; a group with several parents is the child of its first, and its hosts
 *    are direct members of the others, so membership is Ansible's;
 * 2. a draft: each group's data is its inventory vars then its group_vars files; a value that no host of the group
 *    gets from it in Ansible is left out (with a comment); a dict that would merge with a lower level's dict is
 *    preceded by its `!key` removal, which makes Flightdeck replace it as Ansible does;
 * 3. the draft is resolved with Flightdeck's own resolver and compared with Ansible's result; every top-level key
 *    that still differs is set on the host, with a comment saying why. The result is resolved once more and must
 *    match exactly, or nothing is written.
 */
import { relative } from "node:path";
import { Document, isMap, isPair, isScalar, isSeq, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { loadSite, type Site } from "../inventory";
import { NAME_PATTERN } from "../inventory/names";
import { vaultDecrypt, VaultError, type VaultSecret } from "./vault";
import { AnsibleInventoryError, type Problem, type Where } from "./inventory/errors";
import { ALL, UNGROUPED, type AnsibleGroup, type AnsibleHost } from "./inventory/model";
import { ansibleHostVars, INTERNAL_VARS, readAnsibleInventory, sortGroups, type AnsibleSource, type HostVar, type InventoryFs } from "./inventory/read";
import { resolvePlain } from "./inventory/pyyaml";
import { isVarMap, Secret, sameValue, setKey, valueWhere, type Value, type VarMap } from "./inventory/values";

/** Ansible connection variables and the Flightdeck connection field each becomes. */
export const CONNECTION_VARS: Record<string, "address" | "port" | "user" | "key_file" | "transport"> = {
  ansible_host: "address",
  ansible_port: "port",
  ansible_user: "user",
  ansible_ssh_private_key_file: "key_file",
  ansible_connection: "transport",
};
const FIELD_VAR = Object.fromEntries(Object.entries(CONNECTION_VARS).map(([k, v]) => [v, k])) as Record<string, string>;

export interface ImportOptions {
  fs?: InventoryFs;
  /** Vault passwords (with their vault-id labels), tried in order. */
  vault?: readonly VaultSecret[];
  /**
   * Encrypts the secrets file: given the secret values (a nested map), returns the text of `secrets.yml`.
   * Needed only when the inventory has vaulted values.
   */
  encryptSecrets?: (values: Record<string, unknown>) => Promise<string>;
  /** How the source is named in the written file's header (default: the path). */
  label?: string;
}

export interface ImportResult {
  /** Site files: relative path -> content. */
  files: Map<string, string>;
  warnings: Problem[];
  hosts: number;
  groups: number;
  secrets: number;
  /** Top-level values set on hosts because Flightdeck's precedence alone would differ. */
  corrections: number;
}

/** A variable of a level, in reference form (secrets are `secret:` strings). */
interface LevelVar {
  value: Value;
  where: Where;
}

interface Level {
  name: string;
  vars: Map<string, LevelVar>;
  /** Data keys removed before setting (`"!key": ~`): dicts that would otherwise merge with a lower level's. */
  removals: Set<string>;
  /** Connection fields removed (`"!port": ~`), so the built-in default applies as in Ansible. */
  fieldRemovals: Set<string>;
  /** Keys left out, with where they were set: no host of the group gets them from it in Ansible. */
  dropped: Map<string, Where>;
  /** Host corrections: variable -> comment. */
  corrections: Map<string, string>;
  /** Host corrections of connection fields removed: field -> comment. */
  fieldCorrections: Map<string, string>;
  sources: Set<string>;
}

/** Read the inventory at `path` and build the site's files. Throws AnsibleInventoryError with every problem. */
export async function importAnsible(path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const source = readAnsibleInventory(path, { fs: options.fs, vault: options.vault });
  return new Importer(source, options).run();
}

class Importer {
  private readonly problems: Problem[] = [];
  private readonly warnings: Problem[];
  /** Each secret's key in secrets.yml (null: it could not be decrypted, and a problem says so once). */
  private readonly secretKeys = new Map<Secret, string | null>();
  private readonly secretValues: VarMap = {};
  private readonly usedKeys = new Set<string>();
  private readonly groups: AnsibleGroup[];
  private readonly hosts: AnsibleHost[];
  /** The inventory's directory: comments name files relative to it. */
  private readonly base: string;

  constructor(
    private readonly source: AnsibleSource,
    private readonly options: ImportOptions,
  ) {
    this.warnings = [...source.warnings];
    // Ansible's order, which is also the order the groups are written in.
    const all = source.inventory.groups.get(ALL)!;
    this.groups = [all, ...sortGroups([...source.inventory.groups.values()].filter((g) => g !== all))];
    this.hosts = [...source.inventory.hosts.values()];
    this.base = source.base;
  }

  private rel(file: string): string {
    return relative(this.base, file) || file;
  }

  async run(): Promise<ImportResult> {
    this.checkNames();
    const truth = new Map<string, Map<string, LevelVar & { hv: HostVar }>>();
    const groupLevels = new Map<string, Level>();
    const hostLevels = new Map<string, Level>();
    for (const g of this.groups) groupLevels.set(g.name, this.groupLevel(g));
    for (const h of this.hosts) {
      hostLevels.set(h.name, this.hostLevel(h));
      const vars = new Map<string, LevelVar & { hv: HostVar }>();
      for (const [k, hv] of ansibleHostVars(this.source, h)) vars.set(k, { value: this.refs(hv.value, secretPath(hv, k)), where: hv.where, hv });
      truth.set(h.name, vars);
    }
    this.problems.push(...this.source.vaultProblems);
    if (this.problems.length) throw new AnsibleInventoryError(sortProblems(this.problems));

    const structure = this.structure();
    const skeleton = loadSite([{ path: "inventory.yml", content: this.render(structure, groupLevels, hostLevels, true) }]);
    const order = new Map<string, string[]>();
    for (const h of this.hosts) {
      const groups = skeleton.resolver.groupsOf(h.name);
      order.set(h.name, groups);
      const expected = [...h.groups].map((g) => g.name).sort();
      if ([...groups].sort().join("\n") !== expected.join("\n")) throw new Error(`internal: the groups of host ${h.name} differ from Ansible's`);
    }

    this.dropDeadValues(groupLevels, truth);
    this.addRemovals(groupLevels, hostLevels, order);
    this.warnConnectionValues(groupLevels, hostLevels);

    const secretsText = Object.keys(this.secretValues).length ? await this.encryptSecrets() : undefined;
    const siteFiles = (inventory: string) => {
      const files = [{ path: "inventory.yml", content: inventory }];
      if (secretsText !== undefined) files.push({ path: "secrets.yml", content: secretsText });
      return files;
    };

    let inventory = this.render(structure, groupLevels, hostLevels);
    const corrections = this.correct(loadSite(siteFiles(inventory)), truth, hostLevels);
    if (corrections) {
      inventory = this.render(structure, groupLevels, hostLevels);
      // The written site, resolved once more, must be Ansible's exactly.
      const again = this.correct(loadSite(siteFiles(inventory)), truth, hostLevels);
      if (again) throw new Error(`internal: ${again} values still differ from Ansible's after correction`);
    }

    const files = new Map<string, string>([["inventory.yml", inventory]]);
    if (secretsText !== undefined) files.set("secrets.yml", secretsText);
    return { files, warnings: this.warnings, hosts: this.hosts.length, groups: this.groups.length, secrets: this.usedKeys.size, corrections };
  }

  // ------------------------------------------------------------------------------------------ names

  private checkNames(): void {
    for (const g of this.groups) {
      if (!NAME_PATTERN.test(g.name)) this.problems.push({ ...g.where!, message: `group name '${g.name}' cannot be a Flightdeck name (letters, digits, '.', '_' and '-', starting with a letter or digit): rename the group` });
    }
    for (const h of this.hosts) {
      if (!NAME_PATTERN.test(h.name)) this.problems.push({ ...h.where, message: `host name '${h.name}' cannot be a Flightdeck name (letters, digits, '.', '_' and '-', starting with a letter or digit): rename it and set ansible_host to the address` });
    }
  }

  /**
   * What Flightdeck would read differently, anywhere in a value: a key with a leading '!' (a removal), and text
   * starting `secret:` or `env:` (references to a secret or an environment variable).
   */
  private checkValue(value: Value, where: Where): void {
    if (typeof value === "string") {
      const prefix = /^(secret|env):/.exec(value)?.[1];
      if (prefix) this.problems.push({ ...where, message: `the value '${value}' would be read by Flightdeck as a reference to ${prefix === "secret" ? "a secret" : "an environment variable"}, not as text` });
    } else if (Array.isArray(value)) for (const v of value) this.checkValue(v, valueWhere.get(value) ?? where);
    else if (isVarMap(value)) {
      const at = valueWhere.get(value) ?? where;
      for (const [k, v] of Object.entries(value)) {
        if (k.startsWith("!")) this.problems.push({ ...at, message: `the key '${k}' cannot be held by Flightdeck, which reads a leading '!' as "remove this key": rename it` });
        this.checkValue(v, at);
      }
    }
  }

  // ------------------------------------------------------------------------------------------ levels

  private level(name: string): Level {
    return { name, vars: new Map(), removals: new Set(), fieldRemovals: new Set(), dropped: new Map(), corrections: new Map(), fieldCorrections: new Map(), sources: new Set() };
  }

  private put(level: Level, prefix: string, owner: string, key: string, value: Value, where: Where): void {
    if (INTERNAL_VARS.has(key)) {
      this.warnings.push({ ...where, message: `'${key}' is not imported: Ansible sets it itself and ansible-inventory does not show it` });
      return;
    }
    if (key.startsWith("!")) {
      this.problems.push({ ...where, message: `the variable name '${key}' cannot be held by Flightdeck, which reads a leading '!' as "remove this key": rename it` });
      return;
    }
    this.checkValue(value, where);
    level.vars.set(key, { value: this.refs(value, [prefix, owner, key]), where });
    level.sources.add(where.file);
  }

  private groupLevel(g: AnsibleGroup): Level {
    const level = this.level(g.name);
    for (const [k, v] of g.vars) this.put(level, "group", g.name, k, v.value, v.where);
    for (const f of this.source.groupFiles.get(g.name) ?? []) for (const [k, v] of f.vars) this.put(level, "group_vars", g.name, k, v.value, v.where);
    return level;
  }

  private hostLevel(h: AnsibleHost): Level {
    const level = this.level(h.name);
    for (const [k, v] of h.vars) this.put(level, "host", h.name, k, v.value, v.where);
    for (const f of this.source.hostFiles.get(h.name) ?? []) for (const [k, v] of f.vars) this.put(level, "host_vars", h.name, k, v.value, v.where);
    return level;
  }

  // ------------------------------------------------------------------------------------------ secrets

  /** A value with every Secret replaced by its `secret:` reference (allocating keys and decrypting as needed). */
  private refs(value: Value, path: string[]): Value {
    if (value instanceof Secret) {
      const known = this.secretKeys.get(value);
      if (known !== undefined) return `secret:${known ?? ""}`;
      const plain = this.plain(value);
      if (plain === undefined) {
        this.secretKeys.set(value, null);
        return "secret:";
      }
      const key = this.allocate(path);
      this.secretKeys.set(value, key);
      this.storeSecret(key, plain);
      return `secret:${key}`;
    }
    if (Array.isArray(value)) return value.map((v, i) => this.refs(v, [...path, String(i)]));
    if (isVarMap(value)) {
      const out: VarMap = {};
      for (const [k, v] of Object.entries(value)) setKey(out, k, this.refs(v, [...path, k]));
      if (valueWhere.has(value)) valueWhere.set(out, valueWhere.get(value)!);
      return out;
    }
    return value;
  }

  /** The plaintext of a secret (nested secrets decrypted too); undefined, with a problem, when it cannot be had. */
  private plain(secret: Secret): Value | undefined {
    if (secret.plain !== undefined) return this.reveal(secret.plain);
    const vault = this.options.vault ?? [];
    if (!vault.length) {
      this.problems.push({ ...secret.where, message: "vault-encrypted value (!vault): give --vault-password-file to import it as a secret" });
      return undefined;
    }
    try {
      const bytes = vaultDecrypt(secret.ciphertext!, vault).plaintext;
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch (e) {
      if (e instanceof VaultError) this.problems.push({ ...secret.where, message: `vault: ${e.message}` });
      else if (e instanceof TypeError) this.problems.push({ ...secret.where, message: "vault: the decrypted value is not UTF-8 text" });
      else throw e;
      return undefined;
    }
  }

  private reveal(value: Value): Value | undefined {
    if (value instanceof Secret) return this.plain(value);
    if (Array.isArray(value)) return value.map((v) => this.reveal(v) ?? null);
    if (isVarMap(value)) {
      const out: VarMap = {};
      for (const [k, v] of Object.entries(value)) setKey(out, k, this.reveal(v) ?? null);
      return out;
    }
    return value;
  }

  /** A dotted key for secrets.yml from a value's path, unique, and never a prefix of another key. */
  private allocate(path: string[]): string {
    const base = path.map((p) => p.replace(/[^A-Za-z0-9_-]/g, "_") || "_").join(".");
    let key = base;
    for (let n = 2; this.clashes(key); n++) key = `${base}_${n}`;
    this.usedKeys.add(key);
    return key;
  }

  private clashes(key: string): boolean {
    for (const used of this.usedKeys) if (used === key || used.startsWith(`${key}.`) || key.startsWith(`${used}.`)) return true;
    return false;
  }

  private storeSecret(key: string, value: Value): void {
    const parts = key.split(".");
    let at = this.secretValues;
    for (const part of parts.slice(0, -1)) {
      if (!isVarMap(at[part])) setKey(at, part, {});
      at = at[part] as VarMap;
    }
    setKey(at, parts[parts.length - 1]!, value);
  }

  private async encryptSecrets(): Promise<string> {
    if (!this.options.encryptSecrets) throw new AnsibleInventoryError([{ file: this.source.path, line: 1, col: 1, message: "the inventory has vaulted values, and no way to encrypt secrets.yml was given" }]);
    return this.options.encryptSecrets(this.secretValues);
  }

  // ------------------------------------------------------------------------------------------ structure

  /** Each group's first parent holds it as a child; hosts join other parents' groups directly. */
  private structure(): { children: Map<string, string[]>; members: Map<string, string[]> } {
    const primary = new Map<AnsibleGroup, AnsibleGroup>();
    for (const g of this.groups) {
      const parent = g.parents.find((p) => p.name !== ALL);
      if (parent) primary.set(g, parent);
    }
    const children = new Map<string, string[]>();
    for (const g of this.groups) {
      const p = primary.get(g);
      if (p) children.set(p.name, [...(children.get(p.name) ?? []), g.name]);
    }
    const members = new Map<string, string[]>(this.groups.map((g) => [g.name, []]));
    for (const h of this.hosts) {
      const direct = [...h.groups].filter((g) => g.hosts.includes(h) && g.name !== ALL);
      const covered = new Set<AnsibleGroup>();
      const cover = (g: AnsibleGroup) => {
        for (let at: AnsibleGroup | undefined = g; at && !covered.has(at); at = primary.get(at)) covered.add(at);
      };
      direct.forEach(cover);
      // Groups Ansible gives the host that the first-parent tree does not: deepest first, each covering its chain.
      const missing = [...h.groups].filter((g) => g.name !== ALL && !covered.has(g)).sort((a, b) => b.depth - a.depth);
      const extra = missing.filter((g) => {
        if (covered.has(g)) return false;
        cover(g);
        return true;
      });
      for (const g of [...direct, ...extra]) members.get(g.name)!.push(h.name);
    }
    return { children, members };
  }

  // ------------------------------------------------------------------------------------------ draft

  /** A group's value that no host of the group gets from it in Ansible (a higher layer always wins) is left out. */
  private dropDeadValues(levels: Map<string, Level>, truth: Map<string, Map<string, { hv: HostVar }>>): void {
    for (const g of this.groups) {
      const level = levels.get(g.name)!;
      const hosts = g.allHosts();
      if (!hosts.length) continue;
      for (const [key, v] of level.vars) {
        const used = hosts.some((h) => {
          const hv = truth.get(h.name)!.get(key)?.hv;
          return hv !== undefined && (hv.layer === "group" || hv.layer === "group_vars") && hv.owner === g.name;
        });
        if (!used) {
          level.vars.delete(key);
          level.dropped.set(key, v.where);
        }
      }
    }
  }

  /** `!key` wherever a dict would otherwise merge with a dict a lower level set for the same host. */
  private addRemovals(groups: Map<string, Level>, hosts: Map<string, Level>, order: Map<string, string[]>): void {
    const bySet = new Map<string, Set<string>>(); // group set -> keys holding a map so far, per level done
    for (const h of this.hosts) {
      const chain = order.get(h.name)!;
      const setKeyName = chain.join("\0");
      let below = bySet.get(setKeyName);
      if (!below) {
        below = new Set<string>();
        for (const name of chain) {
          const level = groups.get(name);
          if (!level) continue;
          for (const [k, v] of level.vars) {
            if (isVarMap(v.value) && below.has(k)) level.removals.add(k);
          }
          for (const [k, v] of level.vars) {
            if (isVarMap(v.value)) below.add(k);
            else below.delete(k);
          }
        }
        bySet.set(setKeyName, below);
      }
      const level = hosts.get(h.name)!;
      for (const [k, v] of level.vars) if (isVarMap(v.value) && below.has(k)) level.removals.add(k);
    }
  }

  private warnConnectionValues(groups: Map<string, Level>, hosts: Map<string, Level>): void {
    for (const level of [...groups.values(), ...hosts.values()]) {
      for (const [k, v] of level.vars) {
        if (k in CONNECTION_VARS && connectionValue(k, v.value) === undefined) {
          this.warnings.push({ ...v.where, message: `${k} stays a variable: ${whyNotConnection(k, v.value)}` });
        }
        if (k === "ansible_ssh_host" || k === "ansible_ssh_port" || k === "ansible_ssh_user") {
          this.warnings.push({ ...v.where, message: `${k} stays a variable: Flightdeck reads only ${k.replace("_ssh", "")} for its connection` });
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ corrections

  /** Compare every host with Ansible; set what differs on the host. Returns how many values were corrected. */
  private correct(site: Site, truth: Map<string, Map<string, LevelVar & { hv: HostVar }>>, hosts: Map<string, Level>): number {
    this.lint(site);
    let count = 0;
    for (const h of this.hosts) {
      const resolved = site.resolver.resolve(h.name, true);
      const level = hosts.get(h.name)!;
      // What Flightdeck must give: Ansible's variables, the mappable connection ones as connection fields.
      const wantData = new Map<string, LevelVar & { hv: HostVar }>();
      const wantField = new Map<string, { value: string | number; variable: string; truth: LevelVar & { hv: HostVar } }>();
      for (const [k, w] of truth.get(h.name)!) {
        const mapped = connectionValue(k, w.value);
        if (mapped !== undefined) wantField.set(CONNECTION_VARS[k]!, { value: mapped, variable: k, truth: w });
        else wantData.set(k, w);
      }
      for (const key of new Set([...wantData.keys(), ...Object.keys(resolved.vars)])) {
        const w = wantData.get(key);
        const have = Object.hasOwn(resolved.vars, key) ? (resolved.vars[key] as Value) : undefined;
        if (w !== undefined && have !== undefined && sameValue(w.value, have)) continue;
        count++;
        if (w === undefined) {
          level.removals.add(key);
          level.corrections.set(key, `Ansible does not give this host '${key}' as a variable`);
          continue;
        }
        level.vars.set(key, { value: w.value, where: w.where });
        if (isVarMap(w.value) && isVarMap(have)) level.removals.add(key);
        level.corrections.set(key, correctionNote(w.hv, describeOrigin(key, resolved.origins), (f) => this.rel(f)));
      }
      for (const field of Object.keys(FIELD_VAR)) {
        const origin = resolved.origins.connection[field];
        const have = origin && origin.level !== "default" ? resolved.connection[field] : undefined;
        const w = wantField.get(field);
        if (w !== undefined && have === w.value) continue;
        if (w === undefined && have === undefined) continue;
        count++;
        if (w === undefined) {
          level.fieldRemovals.add(field);
          const variable = FIELD_VAR[field]!;
          level.fieldCorrections.set(
            field,
            truth.get(h.name)!.has(variable)
              ? `this host's ${variable} cannot be a connection field (it stays a variable), so the ${field} a group sets must not apply: Flightdeck's default does`
              : `Ansible gives this host no ${variable}: Flightdeck's default applies`,
          );
          continue;
        }
        level.vars.set(w.variable, { value: w.truth.value, where: w.truth.where });
        level.corrections.set(w.variable, correctionNote(w.truth.hv, describeOrigin(w.variable, resolved.origins), (f) => this.rel(f)));
      }
    }
    return count;
  }

  /** Lint errors of the written site are located problems (they would be a Flightdeck meaning Ansible lacks). */
  private lint(site: Site): void {
    const errors = site.diagnostics.filter((d) => d.severity === "error");
    if (errors.length) throw new AnsibleInventoryError(errors.map((d) => ({ file: d.file, line: d.line, col: d.col, message: `the imported site would not pass lint: ${d.message}` })));
  }

  // ------------------------------------------------------------------------------------------ output

  private render(structure: { children: Map<string, string[]>; members: Map<string, string[]> }, groups: Map<string, Level>, hosts: Map<string, Level>, skeleton = false): string {
    const groupList: VarMap[] = [];
    for (const g of this.groups) {
      const level = groups.get(g.name)!;
      const members = structure.members.get(g.name) ?? [];
      const children = structure.children.get(g.name) ?? [];
      if (g.name === UNGROUPED && !members.length && !level.vars.size && !children.length) continue;
      const entry: VarMap = { name: g.name };
      if (members.length && g.name !== ALL) entry.members = members;
      if (children.length && g.name !== ALL) entry.children = children;
      if (!skeleton) Object.assign(entry, split(level));
      if (g.name === ALL && Object.keys(entry).length === 1) continue;
      groupList.push(entry);
    }
    const hostList: VarMap[] = this.hosts.map((h) => ({ name: h.name, ...(skeleton ? {} : split(hosts.get(h.name)!)) }));
    const doc = new Document({ kind: "inventory", api_version: "v1beta1", spec: { groups: groupList, hosts: hostList } });
    doc.commentBefore = [
      ` Imported from the Ansible inventory ${this.options.label ?? this.source.path} by \`flightdeck import ansible\`.`,
      " Groups are listed in Ansible's order (depth, ansible_group_priority, name). Each group's data is its inventory",
      " vars, then its group_vars files. Where Flightdeck's own precedence (groups in tree order, maps merged) would give",
      " a host another value than ansible-inventory --list does, the value is set on the host, with a comment.",
    ].join("\n");
    if (!skeleton) this.annotate(doc, groups, hosts);
    quoteAmbiguous(doc.contents);
    return doc.toString({ lineWidth: 0, nullStr: "~", flowCollectionPadding: false, indentSeq: false });
  }

  private annotate(doc: Document, groups: Map<string, Level>, hosts: Map<string, Level>): void {
    const groupSeq = doc.getIn(["spec", "groups"], true) as YAMLSeq<YAMLMap>;
    for (const item of groupSeq.items) {
      const name = String(item.get("name"));
      const level = groups.get(name)!;
      for (const key of ["members", "children"]) {
        const seq = item.get(key, true) as YAMLSeq | undefined;
        if (seq && seq.items.length <= 8) seq.flow = true;
      }
      const notes: string[] = [];
      if (level.sources.size) notes.push(` from ${[...level.sources].map((f) => this.rel(f)).join(", ")}`);
      if (level.dropped.size) {
        notes.push(` not set here (no host of the group gets it from here in Ansible: a higher layer always wins):`);
        for (const [k, w] of level.dropped) notes.push(`   ${k} (${this.rel(w.file)}:${w.line})`);
      }
      if (notes.length) {
        item.commentBefore = notes.join("\n");
        item.spaceBefore = item !== groupSeq.items[0];
      }
      this.annotateLevel(item, level);
    }
    const hostSeq = doc.getIn(["spec", "hosts"], true) as YAMLSeq<YAMLMap>;
    for (const item of hostSeq.items) this.annotateLevel(item, hosts.get(String(item.get("name")))!);
  }

  private annotateLevel(item: YAMLMap, level: Level): void {
    for (const section of ["data", "connection"] as const) {
      const map = item.get(section, true) as YAMLMap | undefined;
      if (!map) continue;
      for (const pair of map.items as Pair<Scalar, Scalar>[]) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const bare = key.replace(/^!/, "");
        if (section === "connection") {
          if (key.startsWith("!")) (pair.value as Scalar).comment = ` ${level.fieldCorrections.get(bare) ?? ""}`;
          else if (level.corrections.has(FIELD_VAR[bare] ?? "")) pair.key.commentBefore = ` ${level.corrections.get(FIELD_VAR[bare]!)!}`;
          continue;
        }
        const why = level.corrections.get(bare);
        if (key.startsWith("!")) {
          (pair.value as Scalar).comment = why && !level.vars.has(bare) ? ` ${why}` : " Ansible replaces a dict whole; Flightdeck would merge it with the one set below";
        } else if (why) pair.key.commentBefore = ` ${why}`;
      }
    }
  }
}

/**
 * Text that YAML 1.1 readers (Ansible's among them) would take for something else (`yes`, `0777`, `2024-01-15`,
 * `~`) is written quoted: Flightdeck reads it as text either way, people and other tools then do too.
 */
function quoteAmbiguous(node: unknown): void {
  if (isScalar(node)) {
    if (typeof node.value === "string" && node.type !== "BLOCK_LITERAL" && resolvePlain(node.value) !== "str") node.type = "QUOTE_DOUBLE";
  } else if (isMap(node) || isSeq(node)) {
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        quoteAmbiguous(item.key);
        quoteAmbiguous(item.value);
      } else quoteAmbiguous(item);
    }
  }
}

function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}

/** A level's variables as Flightdeck `data` and `connection` (removals first, so they read before the value). */
function split(level: Level): { data?: VarMap; connection?: VarMap } {
  const data: VarMap = {};
  const connection: VarMap = {};
  for (const k of level.removals) setKey(data, `!${k}`, null);
  for (const f of level.fieldRemovals) setKey(connection, `!${f}`, null);
  for (const [k, v] of level.vars) {
    const mapped = connectionValue(k, v.value);
    if (mapped !== undefined) setKey(connection, CONNECTION_VARS[k]!, mapped);
    else setKey(data, k, v.value);
  }
  const out: { data?: VarMap; connection?: VarMap } = {};
  if (Object.keys(connection).length) out.connection = connection;
  if (Object.keys(data).length) out.data = data;
  return out;
}

/** The connection field value an Ansible variable's value becomes, or undefined when it stays a variable. */
export function connectionValue(variable: string, value: Value): string | number | undefined {
  const field = CONNECTION_VARS[variable];
  if (!field) return undefined;
  if (field === "port") return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535 ? value : undefined;
  if (typeof value !== "string" || !value || value.startsWith("secret:") || /\{\{|\{%/.test(value)) return undefined;
  if (field === "transport") return value === "ssh" || value === "local" ? value : undefined;
  return value;
}

function whyNotConnection(variable: string, value: Value): string {
  const field = CONNECTION_VARS[variable]!;
  if (typeof value === "string" && value.startsWith("secret:")) return "it is vaulted, and Flightdeck's connection takes it in clear";
  if (typeof value === "string" && /\{\{|\{%/.test(value)) return `it is a Jinja template, which Flightdeck does not render${field === "address" ? " (Flightdeck connects to the host's name)" : ""}`;
  if (field === "port") return `${JSON.stringify(value)} is not a port number (1 to 65535, unquoted): Flightdeck connects on port 22 unless another level gives a port`;
  if (field === "transport") return `Flightdeck connects over ssh or local only, not ${JSON.stringify(value)} (it uses ssh)`;
  return `${JSON.stringify(value)} is not a non-empty text`;
}

function correctionNote(hv: HostVar, flightdeck: string, rel: (file: string) => string): string {
  return `set here: Ansible gives this host the value of ${describeSource(hv, rel)}, where Flightdeck's group order alone would give ${flightdeck}`;
}

function describeSource(hv: HostVar, rel: (file: string) => string): string {
  const at = `${rel(hv.where.file)}:${hv.where.line}`;
  switch (hv.layer) {
    case "group":
      return `group '${hv.owner}' in the inventory (${at})`;
    case "group_vars":
      return `the group_vars of '${hv.owner}' (${at})`;
    case "host":
      return `the host's inventory line (${at})`;
    case "host_vars":
      return `host_vars (${at})`;
  }
}

function describeOrigin(key: string, origins: { vars: Record<string, { source: string; level: string }>; connection: Record<string, { source: string; level: string }> }): string {
  const field = CONNECTION_VARS[key];
  const origin = field ? origins.connection[field] : Object.entries(origins.vars).find(([path]) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`) || path.startsWith(`["${key}"]`))?.[1];
  if (!origin) return "no value";
  return origin.level === "all" ? "the 'all' group's" : `that of group '${origin.source}'`;
}

/** Where a host variable's value sits in the secrets file. */
function secretPath(hv: HostVar, key: string): string[] {
  return [hv.layer, hv.owner, key];
}
