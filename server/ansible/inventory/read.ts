/**
 * Reading a static Ansible inventory as `ansible-inventory -i PATH --list` (2.14, default configuration) does:
 *
 * - PATH is a file, or a directory whose entries are read in byte order, recursively, skipping what
 *   inventory/manager.py ignores (hidden names, `group_vars`, `host_vars`, `vars_plugins`, and names ending in
 *   INVENTORY_IGNORE_EXTS: .pyc .pyo .swp .bak ~ .rpm .md .txt .rst .orig .ini .cfg .retry; yes, `.ini` files
 *   inside an inventory directory are skipped by Ansible).
 * - Each file goes to the first plugin that takes it, in Ansible's order: `yaml` (.yml/.yaml/.json or no
 *   extension), then `ini`. Executable scripts (`#!`) and plugin configurations (`plugin:` at the top) are dynamic
 *   inventories and are refused; so is TOML.
 * - `group_vars/` and `host_vars/` beside the file (or inside the directory) are read by host_group_vars.py's
 *   rules: for a name, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists; a directory is read
 *   whole (sorted, recursively, hidden and `~` files skipped, files with no extension or one of those three).
 *   Playbook-adjacent group_vars (the current directory's) are not read: run ansible-inventory elsewhere to compare.
 * - Vault: fully encrypted files are decrypted with the given passwords; inline `!vault` values stay `Secret`s.
 *
 * Every problem is collected, located, and thrown together as an AnsibleInventoryError; vaulted files that could
 * not be opened are left out and listed in `vaultProblems` (the importer names them with the inline values).
 */
import { readdirSync, readFileSync, statSync, accessSync, constants } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isVaultText, vaultDecrypt, VaultError, type VaultSecret } from "../vault";
import { AnsibleInventoryError, LocatedError, type Problem, type Where } from "./errors";
import { parseIni } from "./ini";
import { ALL, AnsibleInventory, type AnsibleGroup, type AnsibleHost, type Var } from "./model";
import { loadPythonJson } from "./python-json";
import { loadAnsibleYaml } from "./pyyaml";
import { isVarMap, keyWhere, Secret, valueWhere, type Value } from "./values";
import { parseYamlInventory, truthy } from "./yaml-plugin";

/** The files an inventory is read from: the disk by default; an archive's entries for an upload. */
export interface InventoryFs {
  /** What is at the path (symlinks followed); undefined when nothing is. */
  kind(path: string): "file" | "dir" | "other" | undefined;
  list(dir: string): string[];
  read(path: string): Buffer;
  executable(path: string): boolean;
}

export const diskFs: InventoryFs = {
  kind(path) {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? (st.isFile() ? "file" : st.isDirectory() ? "dir" : "other") : undefined;
  },
  list: (dir) => readdirSync(dir),
  read: (path) => readFileSync(path),
  executable(path) {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

export interface ReadOptions {
  fs?: InventoryFs;
  /** Vault passwords, tried in order. Without them, a vaulted file is a problem. */
  vault?: readonly VaultSecret[];
}

/** One group_vars/host_vars file: its variables in file order. */
export interface VarsFile {
  file: string;
  vars: Map<string, Var>;
  /** The file was vault-encrypted as a whole (its variables are `Secret`s). */
  vaulted: boolean;
}

export interface AnsibleSource {
  path: string;
  /** The directory group_vars/ and host_vars/ are read from (the path's, or the path itself). */
  base: string;
  inventory: AnsibleInventory;
  /** group_vars files of every group, in the order Ansible combines them. */
  groupFiles: Map<string, VarsFile[]>;
  hostFiles: Map<string, VarsFile[]>;
  /** What Ansible would warn about, and what it skips. */
  warnings: Problem[];
  /** Vaulted files left unread: no password was given, or none opens them (the importer reports them). */
  vaultProblems: Problem[];
}

/** Names ansible-inventory --list leaves out of hostvars (cli/inventory.py INTERNAL_VARS). */
export const INTERNAL_VARS = new Set([
  "ansible_diff_mode",
  "ansible_config_file",
  "ansible_facts",
  "ansible_forks",
  "ansible_inventory_sources",
  "ansible_limit",
  "ansible_playbook_python",
  "ansible_run_tags",
  "ansible_skip_tags",
  "ansible_verbosity",
  "ansible_version",
  "inventory_dir",
  "inventory_file",
  "inventory_hostname",
  "inventory_hostname_short",
  "groups",
  "group_names",
  "omit",
  "playbook_dir",
]);

const IGNORED = /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
const YAML_EXTS = [".yml", ".yaml", ".json"];

/** Python's os.path.splitext()[1]: the last dot's part, leading dots not counting. */
export function extname(name: string): string {
  const base = basename(name);
  const stripped = base.replace(/^\.+/, "");
  const dot = stripped.lastIndexOf(".");
  return dot <= 0 ? "" : stripped.slice(dot);
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function readAnsibleInventory(path: string, options: ReadOptions = {}): AnsibleSource {
  const reader = new Reader(options.fs ?? diskFs, options.vault ?? []);
  return reader.read(path);
}

class Reader {
  readonly problems: Problem[] = [];
  readonly warnings: Problem[] = [];
  readonly vaultProblems: Problem[] = [];
  readonly inventory = new AnsibleInventory();

  constructor(
    private readonly fs: InventoryFs,
    private readonly vault: readonly VaultSecret[],
  ) {}

  read(path: string): AnsibleSource {
    const kind = this.fs.kind(path);
    if (kind === undefined) throw new AnsibleInventoryError([{ file: path, line: 1, col: 1, message: "no such file or directory" }]);
    const parsed = this.source(path, true);
    if (!parsed && !this.problems.length) this.problems.push({ file: path, line: 1, col: 1, message: "no inventory file was found here (Ansible would use an empty inventory)" });
    this.guard({ file: path, line: 1, col: 1 }, () => this.inventory.reconcile());
    const base = kind === "dir" ? path : dirname(path);
    const groupFiles = new Map<string, VarsFile[]>();
    const hostFiles = new Map<string, VarsFile[]>();
    for (const g of this.inventory.groups.values()) groupFiles.set(g.name, this.varsFiles(join(base, "group_vars"), g.name));
    for (const h of this.inventory.hosts.values()) hostFiles.set(h.name, this.varsFiles(join(base, "host_vars"), h.name));
    this.unusedVarsFiles(join(base, "group_vars"), new Set(this.inventory.groups.keys()), "group");
    this.unusedVarsFiles(join(base, "host_vars"), new Set(this.inventory.hosts.keys()), "host");
    if (this.problems.length) throw new AnsibleInventoryError(this.problems);
    return { path, base, inventory: this.inventory, groupFiles, hostFiles, warnings: this.warnings, vaultProblems: this.vaultProblems };
  }

  private guard<T>(where: Where, run: () => T): T | undefined {
    try {
      return run();
    } catch (e) {
      if (e instanceof LocatedError) this.problems.push(e.problem);
      else if (e instanceof VaultError) this.problems.push({ ...where, message: `vault: ${e.message}` });
      else throw e;
      return undefined;
    }
  }

  /** manager.py parse_source: a directory's entries, or a file's first willing plugin. True when something parsed. */
  private source(path: string, top: boolean): boolean {
    const kind = this.fs.kind(path);
    if (kind === "dir") {
      let parsed = false;
      for (const name of this.fs.list(path).sort(byBytes)) {
        const full = join(path, name);
        if (IGNORED.test(name)) {
          if (/\.ini$/.test(name) && this.fs.kind(full) === "file") {
            this.warnings.push({ file: full, line: 1, col: 1, message: "skipped: Ansible ignores .ini files inside an inventory directory (INVENTORY_IGNORE_EXTS); give the file itself to import it" });
          }
          continue;
        }
        if (this.source(full, false)) parsed = true;
      }
      return parsed;
    }
    if (kind !== "file") {
      if (!top) this.warnings.push({ file: path, line: 1, col: 1, message: "skipped: not a readable file" });
      return false;
    }
    return this.file(path);
  }

  private file(path: string): boolean {
    const where = { file: path, line: 1, col: 1 };
    const bytes = this.fs.read(path);
    if (bytes.subarray(0, 2).toString("latin1") === "#!") {
      this.problems.push({ ...where, message: "an inventory script (a dynamic inventory): only static inventories can be imported; save its output (--list) as a JSON file and import that" });
      return false;
    }
    const ext = extname(path);
    if (ext === ".toml") {
      this.problems.push({ ...where, message: "TOML inventories are not supported: convert it to YAML or INI" });
      return false;
    }
    const content = this.decrypt(path, bytes);
    if (content === undefined) return false;
    const { text, vaulted } = content;
    const wrap = vaulted ? (v: Value, at: Where) => new Secret(at, undefined, v, path) : undefined;

    // yaml first when the extension allows it, then ini; the first that parses wins (as Ansible's plugin loop).
    const errors: { yaml?: LocatedError; ini?: LocatedError } = {};
    if (!ext || YAML_EXTS.includes(ext)) {
      try {
        parseYamlInventory(this.inventory, path, loadVarsText(text, path), (w) => this.warnings.push(w), wrap);
        return true;
      } catch (e) {
        if (!(e instanceof LocatedError)) throw e;
        errors.yaml = e;
      }
    }
    try {
      const valueProblems: Problem[] = [];
      parseIni(this.inventory, path, text, wrap, (e) => valueProblems.push(e.problem));
      this.problems.push(...valueProblems);
      return true;
    } catch (e) {
      if (!(e instanceof LocatedError)) throw e;
      errors.ini = e;
    }
    // Ansible would warn and skip the file; an import refuses it, with the error of the format it looks like.
    const chosen = errors.yaml && (YAML_EXTS.includes(ext) || looksLikeYaml(text)) ? errors.yaml : errors.ini;
    this.problems.push(chosen.problem);
    return false;
  }

  /** The file's text, decrypted when it is vaulted; undefined (and a problem) when it cannot be read. */
  private decrypt(path: string, bytes: Buffer): { text: string; vaulted: boolean } | undefined {
    const where = { file: path, line: 1, col: 1 };
    let vaulted = false;
    if (isVaultText(bytes)) {
      if (!this.vault.length) {
        this.vaultProblems.push({ ...where, message: "this file is vault-encrypted: give --vault-password-file to import it (its values become secrets)" });
        return undefined;
      }
      let plain: Buffer;
      try {
        plain = vaultDecrypt(bytes.toString("latin1"), this.vault).plaintext;
      } catch (e) {
        if (!(e instanceof VaultError)) throw e;
        this.vaultProblems.push({ ...where, message: `vault: ${e.message}` });
        return undefined;
      }
      bytes = plain;
      vaulted = true;
    }
    try {
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), vaulted };
    } catch {
      this.problems.push({ ...where, message: "this file is not UTF-8 text" });
      return undefined;
    }
  }

  /** host_group_vars.py for one name: the files, in order, each read as Ansible's loader would. */
  private varsFiles(dir: string, name: string): VarsFile[] {
    if (name.startsWith("/") || this.fs.kind(dir) !== "dir") {
      if (this.fs.kind(dir) === "file" && !this.warnedNotDir.has(dir)) {
        this.warnedNotDir.add(dir);
        this.warnings.push({ file: dir, line: 1, col: 1, message: `skipped: ${basename(dir)} is not a directory` });
      }
      return [];
    }
    const found: string[] = [];
    for (const ext of ["", ...YAML_EXTS]) {
      const full = join(dir, name + ext);
      const kind = this.fs.kind(full);
      if (kind === undefined) continue;
      if (kind === "dir") found.push(...this.dirVarsFiles(full));
      else found.push(full);
      break;
    }
    const out: VarsFile[] = [];
    for (const file of found) {
      const loaded = this.guard({ file, line: 1, col: 1 }, () => this.varsFile(file));
      if (loaded) out.push(loaded);
    }
    return out;
  }

  private readonly warnedNotDir = new Set<string>();

  private dirVarsFiles(dir: string): string[] {
    const out: string[] = [];
    for (const name of this.fs.list(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (name.startsWith(".") || name.endsWith("~")) continue;
      const full = join(dir, name);
      const ext = extname(name);
      const kind = this.fs.kind(full);
      if (kind === "dir" && !ext) out.push(...this.dirVarsFiles(full));
      else if (kind === "file" && (!ext || YAML_EXTS.includes(ext))) out.push(full);
    }
    return out;
  }

  private varsFile(file: string): VarsFile | undefined {
    const content = this.decrypt(file, this.fs.read(file));
    if (!content) return undefined;
    const data = loadVarsText(content.text, file);
    const vars = new Map<string, Var>();
    if (!truthy(data)) return { file, vars, vaulted: content.vaulted };
    const top = { file, line: 1, col: 1 };
    if (!isVarMap(data)) throw new LocatedError(valueWhereOf(data) ?? top, "a vars file must hold a map of variables");
    const keys = keyWhere.get(data);
    for (const [k, v] of Object.entries(data)) {
      const where = keys?.get(k) ?? valueWhere.get(data) ?? top;
      vars.set(k, { value: content.vaulted ? new Secret(where, undefined, v, file) : v, where });
    }
    return { file, vars, vaulted: content.vaulted };
  }

  /** group_vars/NAME files for groups the inventory does not have: Ansible never reads them; say so. */
  private unusedVarsFiles(dir: string, names: Set<string>, what: string): void {
    if (this.fs.kind(dir) !== "dir") return;
    for (const entry of this.fs.list(dir).sort(byBytes)) {
      if (entry.startsWith(".") || entry.endsWith("~")) continue;
      const full = join(dir, entry);
      const kind = this.fs.kind(full);
      const ext = extname(entry);
      const name = kind === "dir" || !YAML_EXTS.includes(ext) ? entry : entry.slice(0, -ext.length);
      if (!names.has(name) && (kind === "dir" || !ext || YAML_EXTS.includes(ext))) {
        this.warnings.push({ file: full, line: 1, col: 1, message: `not imported: the inventory has no ${what} '${name}' (Ansible does not read this file either)` });
      }
    }
  }
}

/** A file without extension whose first statement reads like YAML (`all:`), not INI (`[web]`, `host k=v`). */
function looksLikeYaml(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() && !/^\s*[#;]/.test(l));
  return first !== undefined && (/^---\s*$/.test(first) || /^[^\s[=][^=]*:(\s|$)/.test(first) || /^\s*[{]/.test(first));
}

function valueWhereOf(v: Value | undefined): Where | undefined {
  return v !== null && typeof v === "object" && !(v instanceof Secret) ? valueWhere.get(v) : undefined;
}

/** DataLoader.load: Python's json first (whatever the extension), then YAML. */
export function loadVarsText(text: string, file: string): Value | undefined {
  const json = loadPythonJson(text, file);
  if (json !== undefined) return json;
  return loadAnsibleYaml(text, file).value;
}

/** Groups in Ansible's order for variables: depth, then priority, then name (inventory/helpers.py sort_groups). */
export function sortGroups(groups: Iterable<AnsibleGroup>): AnsibleGroup[] {
  return [...groups].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Where a host variable's value came from, for messages and comments. */
export interface HostVar {
  value: Value;
  where: Where;
  /** `group NAME (inventory)`, `group_vars file`, `host NAME (inventory)`, `host_vars file`. */
  layer: "group" | "group_vars" | "host" | "host_vars";
  /** The group (for group layers) or host name. */
  owner: string;
}

/**
 * A host's variables exactly as ansible-inventory --list prints them, with where each came from: the `all`
 * group's inventory vars, the other groups' (sorted), group_vars/all, the other groups' group_vars files
 * (sorted), the host's inventory vars, its host_vars files. Each layer replaces whole top-level values.
 */
export function ansibleHostVars(source: AnsibleSource, host: AnsibleHost): Map<string, HostVar> {
  const out = new Map<string, HostVar>();
  const all = source.inventory.groups.get(ALL)!;
  const groups = sortGroups([...host.groups].filter((g) => g !== all));
  const put = (vars: Map<string, Var>, layer: HostVar["layer"], owner: string) => {
    for (const [k, v] of vars) out.set(k, { value: v.value, where: v.where, layer, owner });
  };
  for (const g of [all, ...groups]) put(g.vars, "group", g.name);
  for (const g of [all, ...groups]) for (const f of source.groupFiles.get(g.name) ?? []) put(f.vars, "group_vars", g.name);
  put(host.vars, "host", host.name);
  for (const f of source.hostFiles.get(host.name) ?? []) put(f.vars, "host_vars", host.name);
  for (const k of INTERNAL_VARS) out.delete(k);
  return out;
}

/** Every group of a host (ancestors and `all` included), sorted by name. */
export function hostGroupNames(host: AnsibleHost): string[] {
  return [...host.groups].map((g) => g.name).sort();
}
