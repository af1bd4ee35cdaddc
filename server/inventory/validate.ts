/**
 * Schema validation of parsed documents: which kind each is, and every zod issue turned into a located,
 * human message ("unknown field 'memebers' (did you mean 'members'?)").
 */
import { z } from "zod";
import type { Diagnostic } from "./diagnostics";
import { API_VERSION, DOCUMENT_KINDS, KIND_LIST, kindOf, KNOWN_KIND_NAMES, type DocumentKind } from "./schemas";
import type { Path, SourceDoc } from "./source";
import { didYouMean } from "../template/suggest";

export interface ValidDoc {
  src: SourceDoc;
  kind: DocumentKind;
  value: Record<string, unknown>;
  /** Paths (as "spec.hosts.3") under which some issue was found: those entries are left out of the model. */
  invalid: Set<string>;
}

export function validateDocs(docs: readonly SourceDoc[]): { valid: ValidDoc[]; diagnostics: Diagnostic[] } {
  const valid: ValidDoc[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const src of docs) {
    let value: unknown;
    try {
      value = src.toJS();
    } catch (e) {
      // yaml refuses aliases that expand without bound ("billion laughs"): bad input, so a diagnostic.
      diagnostics.push(src.diagnostic([], "error", `YAML: ${e instanceof Error ? e.message : String(e)}`));
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document
    if (typeof value !== "object" || Array.isArray(value)) {
      diagnostics.push(src.diagnostic([], "error", "a document must be a map with kind, api_version and spec"));
      continue;
    }
    const record = value as Record<string, unknown>;
    if ("sops" in record && !("kind" in record)) continue; // a sops-encrypted secrets file, read by the secrets module
    const kindValue = record.kind;
    if (typeof kindValue !== "string") {
      diagnostics.push(src.diagnostic(["kind"], "error", `missing 'kind' (one of: ${KIND_LIST})`));
      continue;
    }
    const kind = kindOf(kindValue);
    if (!kind) {
      diagnostics.push(
        src.diagnostic(["kind"], "error", `unknown kind '${kindValue}'${didYouMean(kindValue, KNOWN_KIND_NAMES)}; expected one of: ${KIND_LIST}`),
      );
      continue;
    }
    const result = DOCUMENT_KINDS[kind].schema.safeParse(value);
    const invalid = new Set<string>();
    let envelopeBroken = false;
    for (const issue of result.success ? [] : result.error.issues) {
      for (const p of describeIssue(record, DOCUMENT_KINDS[kind].schema, issue)) diagnostics.push(src.diagnostic(p.path, "error", p.message, p.key));
      const item = itemPath(issue.path);
      if (item) invalid.add(item);
      else envelopeBroken = true;
    }
    if (!envelopeBroken) valid.push({ src, kind, value: record, invalid });
  }
  return { valid, diagnostics };
}

/** Issues inside one host/group entry (spec.hosts.N...) only invalidate that entry; a bad list, the list. */
function itemPath(path: readonly PropertyKey[]): string | undefined {
  if (path[0] === "spec" && (path[1] === "hosts" || path[1] === "groups")) {
    return typeof path[2] === "number" ? `spec.${path[1]}.${path[2]}` : `spec.${path[1]}`;
  }
  if (path[0] === "spec" && path.length >= 2 && path[1] !== "name") return "spec"; // a profile's body
  return undefined;
}

/** A schema problem before it is placed in a file: the path it concerns (its key, with `key`) and the message. */
export interface Problem {
  path: Path;
  message: string;
  key?: boolean;
}

/** One zod issue of `value` against `schema` as human messages (documents here; host design data in ./design). */
export function describeIssue(value: unknown, schema: z.ZodType, issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const field = path.length ? String(path[path.length - 1]) : "document";
  // The plain value, not `doc.getIn`: that returns YAML nodes for collections, and a list is not "a map".
  const got = valueAt(value, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(schema, path, value);
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown field '${key}'${didYouMean(key, known)}${known.length ? `; allowed: ${known.filter((k) => !k.startsWith("!")).join(", ")}` : ""}`,
        key: true,
      }));
    }
    case "invalid_type": {
      const described = describeValue(got);
      if (described === "nothing") {
        const parent = path.slice(0, -1);
        const where = parent.length ? ` in ${pathText(parent)}` : "";
        return [{ path: parent, message: `missing required field '${field}'${where}`, key: true }];
      }
      return [{ path, message: `'${field}' must be ${article(issue.expected)}, not ${described}` }];
    }
    case "invalid_value": {
      if (field === "api_version" && path.length === 1) {
        return [{ path, message: got === undefined ? `missing 'api_version' (expected ${API_VERSION})` : `unknown api_version ${JSON.stringify(got)} (expected ${API_VERSION})` }];
      }
      const allowed = issue.values.map(String);
      return [{ path, message: `'${field}' must be one of: ${allowed.join(", ")}; got ${JSON.stringify(got)}${didYouMean(String(JSON.stringify(got)).replace(/"/g, ""), allowed)}` }];
    }
    case "invalid_union": {
      if ("discriminator" in issue && issue.discriminator) return [discriminatorProblem(schema, value, path, issue.discriminator)];
      const expected = unionTypes(issue);
      if (expected) return [{ path, message: `'${field}' must be ${expected}, not ${describeValue(got)}` }];
      return [{ path, message: `'${field}': ${unionMessage(issue)}` }];
    }
    case "invalid_key": {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [{ path, message: `key '${field}' ${lowerFirst(inner)}`, key: true }];
    }
    default:
      return [{ path, message: `'${field}' ${lowerFirst(issue.message)}` }];
  }
}

/** When no branch accepts the value's type at all, the types they expect: "a string, a number or a boolean". */
function unionTypes(issue: z.core.$ZodIssueInvalidUnion): string | undefined {
  const types: string[] = [];
  for (const branch of issue.errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== "invalid_type" || only.path.length) return undefined;
    if (!types.includes(only.expected)) types.push(only.expected);
  }
  const names = types.map(article);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names[0];
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const messages = issue.errors.flat().map((e) => e.message);
  return messages.find((m) => !m.startsWith("Invalid input")) ?? "has an invalid value";
}

function lowerFirst(s: string): string {
  return s.startsWith("must") ? s : `is invalid: ${s.charAt(0).toLowerCase()}${s.slice(1)}`;
}

function article(type: string): string {
  const name = type === "record" || type === "object" ? "map" : type === "array" ? "list" : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const segment of path) v = v !== null && typeof v === "object" ? (v as Record<string | number, unknown>)[segment] : undefined;
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i ? `.${p}` : p)).join("");
}

/** The field names a strict object at `path` allows, for "did you mean". */
function knownKeys(schema: z.ZodType, path: Path, value: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  for (const [i, segment] of path.entries()) {
    s = unwrap(s);
    if (s instanceof z.ZodDiscriminatedUnion) s = unionBranch(s, valueAt(value, path.slice(0, i)));
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(segment)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
  }
  s = unwrap(s);
  if (s instanceof z.ZodDiscriminatedUnion) s = unionBranch(s, valueAt(value, path));
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** A step whose `action` is missing or unknown: name the choices. */
function discriminatorProblem(schema: z.ZodType, value: unknown, path: Path, key: string): Problem {
  const at = path[path.length - 1] === key ? path.slice(0, -1) : path;
  let s: z.ZodType | undefined = schema;
  for (const segment of at) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(segment)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
  }
  s = unwrap(s);
  const choices = s instanceof z.ZodDiscriminatedUnion ? (s.options as z.ZodObject[]).flatMap((o) => [...((o.shape as Record<string, z.ZodType>)[key]?._zod.values ?? [])].map(String)) : [];
  const got = valueAt(value, [...at, key]);
  if (got === undefined) return { path: at, message: `missing required field '${key}' (one of: ${choices.join(", ")})`, key: true };
  return { path: [...at, key], message: `unknown ${key} ${JSON.stringify(got)}${didYouMean(typeof got === "string" ? got : JSON.stringify(got), choices)}; one of: ${choices.join(", ")}` };
}

/** The branch of a discriminated union (a step's `action`) that a value selects. */
function unionBranch(union: z.ZodDiscriminatedUnion, value: unknown): z.ZodType | undefined {
  const key = union.def.discriminator;
  const tag = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return (union.options as z.ZodType[]).find((o) => o instanceof z.ZodObject && (o.shape as Record<string, z.ZodType>)[key]?.safeParse(tag).success);
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}
