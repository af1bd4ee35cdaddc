/**
 * Layered merging of variables, PRODUCT.md's rules: maps merge key by key at every depth; lists and scalars
 * replace; a key a level does not mention never changes what a lower level set; `null` sets null; `"!key"`
 * removes the key unless a higher level sets it again. Inputs are never mutated; untouched subtrees are shared.
 */
export type Data = Record<string, unknown>;

/** Which level set each value: a number covers the whole subtree, a map tells key by key. */
export type OriginTree = number | OriginMap;
export interface OriginMap {
  [key: string]: OriginTree;
}

export interface Layer {
  value: Data;
  origins?: OriginMap;
}

export function isMap(v: unknown): v is Data {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

const REMOVE = "!";

/** Merge `overlay` (set by level `level`) over `base`. Origins are tracked only when `base.origins` exists. */
export function mergeLayer(base: Layer, overlay: Data, level: number): Layer {
  const value: Data = { ...base.value };
  const origins: OriginMap | undefined = base.origins ? { ...base.origins } : undefined;
  const keys = Object.keys(overlay);
  // Removals first: a level may remove an inherited key and set it again.
  for (const key of keys) {
    if (!key.startsWith(REMOVE)) continue;
    delete value[key.slice(1)];
    if (origins) delete origins[key.slice(1)];
  }
  for (const key of keys) {
    if (key.startsWith(REMOVE)) continue;
    const next = overlay[key];
    const prev = value[key];
    if (isMap(next) && isMap(prev)) {
      const sub = mergeLayer({ value: prev, origins: origins ? expand(origins[key], prev) : undefined }, next, level);
      value[key] = sub.value;
      // A map emptied by removals is a leaf now: it is traced to this level, not to nobody.
      if (origins) origins[key] = Object.keys(sub.value).length ? sub.origins! : level;
    } else {
      value[key] = withoutRemovals(next);
      if (origins) origins[key] = level;
    }
  }
  return { value, origins };
}

function expand(tree: OriginTree | undefined, value: Data): OriginMap {
  if (typeof tree === "object") return tree;
  const map: OriginMap = {};
  for (const key of Object.keys(value)) map[key] = tree ?? -1;
  return map;
}

/** A map placed wholesale (nothing below it to merge with) still must not carry `!` markers. */
function withoutRemovals(v: unknown): unknown {
  if (!isMap(v)) return v;
  let out: Data | undefined;
  for (const key of Object.keys(v)) {
    const child = v[key];
    const cleaned = key.startsWith(REMOVE) ? undefined : withoutRemovals(child);
    if (key.startsWith(REMOVE) || cleaned !== child) {
      out ??= { ...v };
      if (key.startsWith(REMOVE)) delete out[key];
      else out[key] = cleaned;
    }
  }
  return out ?? v;
}

export interface Leaf {
  path: string[];
  level: number;
}

/** Every resolved leaf (scalar, list, null or empty map) with the level that set it. */
export function leaves(value: Data, origins: OriginMap, prefix: string[] = [], out: Leaf[] = []): Leaf[] {
  for (const key of Object.keys(value)) {
    const v = value[key];
    const o = origins[key] ?? -1;
    const path = [...prefix, key];
    if (isMap(v) && Object.keys(v).length > 0) leaves(v, typeof o === "number" ? expand(o, v) : o, path, out);
    else out.push({ path, level: typeof o === "number" ? o : -1 });
  }
  return out;
}

/** A readable path: `maas.region`, with unusual keys quoted (`labels["a.b"]`). */
export function pathKey(path: readonly string[]): string {
  return path.map((k, i) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? (i ? `.${k}` : k) : `[${JSON.stringify(k)}]`)).join("");
}
