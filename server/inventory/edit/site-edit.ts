/**
 * Hosts, groups and variables changed in the site's own YAML: the file and document that declare the thing are
 * edited in place (./splice.ts), so a save through these functions changes only the lines of the change.
 * Refusals are what the model would refuse (duplicates, unknown groups or profiles, bad names), said before
 * anything is written, with the place of the existing definition as file:line:col.
 */
import { isMap, isScalar, isSeq } from "yaml";
import { InvalidInputError, NotFoundError } from "../../errors";
import { ALL, type Data, type Place } from "../model";
import { NAME_PATTERN } from "../names";
import type { Site } from "../site";
import type { SiteFile } from "../source";
import { didYouMean } from "../../template/suggest";
import { mapLines, DEFAULT_STYLE } from "./render";
import { YamlText, type Path } from "./splice";

export type Level = "host" | "group" | "profile";
export type Labels = Record<string, string | number | boolean>;

export interface HostFields {
  profile?: string | null;
  labels?: Labels | null;
  connection?: Data | null;
  data?: Data | null;
  /** Groups the host is directly a member of (`all` holds every host and is not listed). */
  groups?: string[] | null;
}
export interface NewHost extends HostFields {
  name: string;
  /** The file to declare it in (default: where the last host is, else the first inventory document). */
  file?: string;
}

export interface GroupFields {
  members?: string[] | null;
  children?: string[] | null;
  /** The group whose `children` list this one (null: none, a top-level group). */
  parent?: string | null;
  connection?: Data | null;
  data?: Data | null;
}
export interface NewGroup extends GroupFields {
  name: string;
  file?: string;
}

/** Files changed by an edit, in the form a save takes, and a one-line description of it. */
export interface SiteEdit {
  changes: SiteFile[];
  message: string;
}

const NEW_FILE = "inventory.yml";
const INVENTORY_HEADER = { kind: "inventory", api_version: "v1beta1" };

/** The site's files as an edit goes: each step re-reads the file it changes. */
class Workspace {
  private readonly files: Map<string, string>;
  private readonly changed = new Set<string>();

  constructor(readonly site: Site) {
    this.files = new Map(site.files.map((f) => [f.path, f.content]));
  }

  text(file: string): YamlText {
    return new YamlText(file, this.files.get(file) ?? "");
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  write(file: string, content: string) {
    if (this.files.get(file) === content) return;
    this.files.set(file, content);
    this.changed.add(file);
  }

  edit(file: string, change: (text: YamlText) => string) {
    this.write(file, change(this.text(file)));
  }

  result(message: string): SiteEdit {
    return { message, changes: [...this.changed].map((path) => ({ path, content: this.files.get(path)! })) };
  }
}

function checkName(what: string, name: string, field: string) {
  if (!NAME_PATTERN.test(name)) throw new InvalidInputError(`${field}: ${what} name '${name}' must start with a letter or digit and hold only letters, digits, '.', '_' or '-'`);
}

const where = (place: Place) => place.src.where([...place.path, "name"]);

function requireHost(site: Site, name: string) {
  const host = site.model.hosts.get(name);
  if (!host) throw new NotFoundError(`no host '${name}' in the site${didYouMean(name, site.model.hosts.keys())}`);
  return host;
}

function requireGroup(site: Site, name: string, field?: string) {
  const group = site.model.groups.get(name);
  if (group) return group;
  const message = `no group '${name}' in the site${didYouMean(name, site.model.groups.keys())}`;
  throw field ? new InvalidInputError(`${field}: ${message}`) : new NotFoundError(message);
}

function requireProfile(site: Site, name: string, field?: string) {
  const profile = site.model.profiles.get(name);
  if (profile) return profile;
  const message = `no profile '${name}' in the site${didYouMean(name, site.model.profiles.keys())}`;
  throw field ? new InvalidInputError(`${field}: ${message}`) : new NotFoundError(message);
}

/** Keys of the items of the list at `path` whose values are flow (true) or block (false) collections. */
function siblingFlow(text: YamlText, doc: number, path: Path): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const seq = text.node(doc, path);
  if (!isSeq(seq)) return out;
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    for (const pair of item.items) {
      if ((isMap(pair.value) || isSeq(pair.value)) && isScalar(pair.key) && !out.has(String(pair.key.value))) out.set(String(pair.key.value), Boolean(pair.value.flow));
    }
  }
  return out;
}

/** Index of `value` in the list at `path`, or -1. */
function indexIn(text: YamlText, doc: number, path: Path, value: string): number {
  const seq = text.node(doc, path);
  return isSeq(seq) ? seq.items.findIndex((i) => isScalar(i) && String(i.value) === value) : -1;
}

/** Where a new entry of `field` ("hosts" or "groups") goes: after the last one, else in the first inventory document. */
function placeFor(ws: Workspace, field: "hosts" | "groups", file: string | undefined, last: Place | undefined): { file: string; doc: number } | { file: string; doc: null } {
  const inventories = ws.site.docs.filter((d) => {
    const kind = (d.toJS() as { kind?: unknown } | null)?.kind;
    return typeof kind === "string" && (kind === "inventory" || kind.startsWith("inventory."));
  });
  if (file !== undefined) {
    if (!/^[^/.][^\0]*\.ya?ml$/.test(file) || file.split("/").some((s) => s === "" || s.startsWith("."))) throw new InvalidInputError(`file: '${file}' is not a site document path (a relative path ending in .yml or .yaml)`);
    const here = inventories.find((d) => d.file === file);
    if (here) return { file, doc: here.index };
    if (ws.has(file)) throw new InvalidInputError(`file: '${file}' holds no inventory document to add ${field} to`);
    return { file, doc: null };
  }
  if (last && ws.has(last.src.file)) return { file: last.src.file, doc: last.src.index };
  const first = inventories[0];
  if (first) return { file: first.file, doc: first.index };
  return { file: NEW_FILE, doc: null };
}

function addEntry(ws: Workspace, field: "hosts" | "groups", entry: Data, at: { file: string; doc: number | null }) {
  if (at.doc === null) {
    const lines = mapLines({ ...INVENTORY_HEADER, spec: { [field]: [entry] } }, 0, DEFAULT_STYLE).join("\n") + "\n";
    const old = ws.has(at.file) ? ws.text(at.file).content : "";
    ws.write(at.file, old ? `${old.replace(/\n?$/, "\n")}---\n${lines}` : lines);
    return;
  }
  const doc = at.doc;
  ws.edit(at.file, (t) => t.appendIn(doc, ["spec", field], entry, t.style(siblingFlow(t, doc, ["spec", field]))));
}

/** Set each given field (null removes it) of the entry at `place`, keeping the siblings' flow/block style. */
function setFields(ws: Workspace, place: Place, fields: Record<string, unknown>) {
  const list = place.path.slice(0, -1);
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    ws.edit(place.src.file, (t) =>
      value === null ? t.deleteIn(place.src.index, [...place.path, key]) : t.setIn(place.src.index, [...place.path, key], value, t.style(siblingFlow(t, place.src.index, list))),
    );
  }
}

function addToList(ws: Workspace, place: Place, field: "members" | "children", name: string) {
  ws.edit(place.src.file, (t) => (indexIn(t, place.src.index, [...place.path, field], name) >= 0 ? t.content : t.appendIn(place.src.index, [...place.path, field], name)));
}

function removeFromList(ws: Workspace, place: Place, field: "members" | "children", name: string) {
  ws.edit(place.src.file, (t) => {
    let content = t.content;
    // Listed twice is a warning of the model's, not a reason to leave one behind.
    for (let text = t, i = indexIn(text, place.src.index, [...place.path, field], name); i >= 0; i = indexIn(text, place.src.index, [...place.path, field], name)) {
      content = text.deleteIn(place.src.index, [...place.path, field, i]);
      text = new YamlText(t.file, content);
    }
    return content;
  });
}

function checkGroups(site: Site, groups: readonly string[], field: string) {
  groups.forEach((g, i) => {
    if (g === ALL) throw new InvalidInputError(`${field}[${i}]: every host is in 'all'; it is not listed`);
    requireGroup(site, g, `${field}[${i}]`);
  });
}

function hostEntry(input: NewHost): Data {
  const entry: Data = { name: input.name };
  for (const key of ["profile", "labels", "connection", "data"] as const) if (input[key] !== undefined && input[key] !== null) entry[key] = input[key];
  return entry;
}

export function addHost(site: Site, input: NewHost): SiteEdit {
  checkName("host", input.name, "name");
  const existing = site.model.hosts.get(input.name);
  if (existing) throw new InvalidInputError(`name: host '${input.name}' already exists (${where(existing)})`);
  if (input.profile) requireProfile(site, input.profile, "profile");
  checkGroups(site, input.groups ?? [], "groups");
  const ws = new Workspace(site);
  addEntry(ws, "hosts", hostEntry(input), placeFor(ws, "hosts", input.file, [...site.model.hosts.values()].at(-1)));
  for (const g of input.groups ?? []) addToList(ws, site.model.groups.get(g)!, "members", input.name);
  return ws.result(`add host ${input.name}`);
}

export function updateHost(site: Site, name: string, patch: HostFields): SiteEdit {
  const host = requireHost(site, name);
  if (patch.profile) requireProfile(site, patch.profile, "profile");
  const ws = new Workspace(site);
  if (patch.groups !== undefined) {
    const wanted = patch.groups ?? [];
    checkGroups(site, wanted, "groups");
    const current = site.model.directGroups.get(name) ?? [];
    for (const g of current) if (!wanted.includes(g)) removeFromList(ws, site.model.groups.get(g)!, "members", name);
    for (const g of wanted) if (!current.includes(g)) addToList(ws, site.model.groups.get(g)!, "members", name);
  }
  setFields(ws, host, { profile: patch.profile, labels: patch.labels, connection: patch.connection, data: patch.data });
  return ws.result(`update host ${name}`);
}

export function deleteHost(site: Site, name: string): SiteEdit {
  const host = requireHost(site, name);
  const ws = new Workspace(site);
  // From every member list that names it (the model's lists drop unknown names; the files' do not).
  for (const group of site.model.groups.values()) removeFromList(ws, group, "members", name);
  ws.edit(host.src.file, (t) => t.deleteIn(host.src.index, host.path));
  return ws.result(`delete host ${name}`);
}

function checkGroupFields(site: Site, name: string, fields: GroupFields) {
  (fields.members ?? []).forEach((m, i) => {
    if (!site.model.hosts.has(m)) throw new InvalidInputError(`members[${i}]: no host '${m}' in the site${didYouMean(m, site.model.hosts.keys())}`);
  });
  (fields.children ?? []).forEach((c, i) => {
    if (c === name || c === ALL) throw new InvalidInputError(`children[${i}]: '${c}' cannot be a child of '${name}'`);
    requireGroup(site, c, `children[${i}]`);
    const other = site.model.parentOf.get(c);
    if (other !== undefined && other !== name) throw new InvalidInputError(`children[${i}]: group '${c}' is already a child of '${other}'; a group has one parent`);
  });
  if (fields.parent) {
    if (fields.parent === name) throw new InvalidInputError(`parent: a group cannot be its own parent`);
    requireGroup(site, fields.parent, "parent");
  }
}

export function addGroup(site: Site, input: NewGroup): SiteEdit {
  checkName("group", input.name, "name");
  const existing = site.model.groups.get(input.name);
  if (existing) throw new InvalidInputError(`name: group '${input.name}' already exists (${where(existing)})`);
  checkGroupFields(site, input.name, input);
  const entry: Data = { name: input.name };
  for (const key of ["members", "children", "connection", "data"] as const) if (input[key] !== undefined && input[key] !== null) entry[key] = input[key];
  const ws = new Workspace(site);
  addEntry(ws, "groups", entry, placeFor(ws, "groups", input.file, [...site.model.groups.values()].at(-1)));
  if (input.parent && input.parent !== ALL) addToList(ws, site.model.groups.get(input.parent)!, "children", input.name);
  return ws.result(`add group ${input.name}`);
}

export function updateGroup(site: Site, name: string, patch: GroupFields): SiteEdit {
  const group = requireGroup(site, name);
  checkGroupFields(site, name, patch);
  const ws = new Workspace(site);
  if (patch.parent !== undefined) {
    const current = site.model.parentOf.get(name);
    if (current !== (patch.parent ?? undefined)) {
      if (current) removeFromList(ws, site.model.groups.get(current)!, "children", name);
      if (patch.parent && patch.parent !== ALL) addToList(ws, site.model.groups.get(patch.parent)!, "children", name);
    }
  }
  setFields(ws, group, { members: patch.members, children: patch.children, connection: patch.connection, data: patch.data });
  return ws.result(`update group ${name}`);
}

export function deleteGroup(site: Site, name: string): SiteEdit {
  const group = requireGroup(site, name);
  const ws = new Workspace(site);
  for (const other of site.model.groups.values()) if (other !== group) removeFromList(ws, other, "children", name);
  ws.edit(group.src.file, (t) => t.deleteIn(group.src.index, group.path));
  return ws.result(`delete group ${name}`);
}

// Variables: a key path (dotted) under the `data` of a host, a group or a profile.

function placeOf(site: Site, level: Level, name: string): Place & { data?: Data } {
  if (level === "host") return requireHost(site, name);
  if (level === "group") return requireGroup(site, name);
  return requireProfile(site, name);
}

export function keyPath(key: string): string[] {
  const parts = key.split(".");
  if (!key || parts.some((p) => p === "")) throw new InvalidInputError(`key: '${key}' is not a key path (names separated by dots, e.g. ntp.servers)`);
  return parts;
}

/** The value a level sets for `key` (not the resolved one), and where; `found: false` when it sets none. */
export function getVar(site: Site, level: Level, name: string, key: string): { found: boolean; value: unknown; where: string | null } {
  const place = placeOf(site, level, name);
  let value: unknown = place.data;
  for (const part of keyPath(key)) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !(part in value)) return { found: false, value: null, where: null };
    value = (value as Data)[part];
  }
  return { found: true, value, where: place.src.where([...place.path, "data", ...keyPath(key)], true) };
}

export function setVar(site: Site, level: Level, name: string, key: string, value: unknown): SiteEdit {
  const place = placeOf(site, level, name);
  const ws = new Workspace(site);
  // A host's or group's new `data` is written as its siblings write theirs.
  const list = level === "profile" ? undefined : place.path.slice(0, -1);
  ws.edit(place.src.file, (t) => t.setIn(place.src.index, [...place.path, "data", ...keyPath(key)], value, t.style(list ? siblingFlow(t, place.src.index, list) : undefined)));
  return ws.result(`set ${key} on ${level} ${name}`);
}

export function deleteVar(site: Site, level: Level, name: string, key: string): SiteEdit {
  if (!getVar(site, level, name, key).found) throw new NotFoundError(`${level} '${name}' sets no variable '${key}'`);
  const place = placeOf(site, level, name);
  const ws = new Workspace(site);
  ws.edit(place.src.file, (t) => t.deleteIn(place.src.index, [...place.path, "data", ...keyPath(key)]));
  return ws.result(`delete ${key} from ${level} ${name}`);
}
