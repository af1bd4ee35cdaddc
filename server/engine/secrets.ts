/**
 * Secrets at run time. A host's vars hold references (`secret:some.key`, `env:NAME`); templates see each one as
 * the shell text `${FD_SECRET_n}`, so a rendered command carries a variable reference, never the value. A step
 * whose rendered params contain such a reference gets the value in its environment (which the transports send
 * through stdin, never on a command line); params that are not command lines (file content, env, cwd...) get
 * the value itself. The secrets file is decrypted once per run, and only when a step first needs it.
 */
import { envRefusal } from "../inventory/policy";
import type { IdentitySet } from "../secrets/keys";
import type { MaskingSink } from "./masking";

export interface SecretsSource {
  /** The site's secrets file (`secrets.yml`), when it has one. */
  file?: { name: string; text: string };
  /** The identities that may open it (asked for only when a `secret:` reference is used). */
  identities: () => IdentitySet | Promise<IdentitySet>;
  /** Where `env:NAME` values come from (the server's or the CLI's environment). */
  env: Record<string, string | undefined>;
  /** On a server: the only names `env:` may read (FLIGHTDECK_ENV_ALLOW). Absent: any (the CLI). */
  envAllow?: readonly string[];
  /** Values masked in every event and output of the run whether a step uses them or not (the server's own keys). */
  alwaysMasked?: readonly { value: string; label: string }[];
}

const SECRET = "secret:";
const ENV = "env:";
const PLACEHOLDER = /\$\{FD_SECRET_([0-9]+)\}/g;

/** `secret:x` or `env:X` written as a whole value, or undefined. */
export function referenceOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if ((value.startsWith(SECRET) && value.length > SECRET.length) || (value.startsWith(ENV) && value.length > ENV.length)) return value;
  return undefined;
}

export class RunSecrets {
  private readonly ids = new Map<string, number>();
  private readonly refs: string[] = [];
  private readonly values = new Map<number, string>();
  private decrypted: Promise<Record<string, unknown>> | undefined;

  constructor(
    private readonly source: SecretsSource | undefined,
    private readonly sink: MaskingSink,
  ) {
    for (const { value, label } of source?.alwaysMasked ?? []) sink.add(value, label);
  }

  /** Data with every reference replaced by its `${FD_SECRET_n}` placeholder (what templates see). */
  placeholders<T>(data: T): T {
    const walk = (v: unknown): unknown => {
      const ref = referenceOf(v);
      if (ref !== undefined) return `\${FD_SECRET_${this.idOf(ref)}}`;
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
      return v;
    };
    return walk(data) as T;
  }

  /** The placeholder ids found in rendered data. */
  used(data: unknown): number[] {
    const found = new Set<number>();
    const walk = (v: unknown) => {
      if (typeof v === "string") for (const m of v.matchAll(PLACEHOLDER)) found.add(Number(m[1]));
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
    };
    walk(data);
    return [...found].filter((id) => id >= 1 && id <= this.refs.length);
  }

  /**
   * The environment a step needs for the placeholders in its params (`FD_SECRET_n` -> value). Throws a message
   * naming the reference (never a value) when one cannot be resolved.
   */
  async environment(ids: readonly number[]): Promise<Record<string, string>> {
    const env: Record<string, string> = {};
    for (const id of ids) env[`FD_SECRET_${id}`] = await this.value(id);
    return env;
  }

  /** Data with placeholders replaced by the values themselves (for params that never reach a command line). */
  reveal<T>(data: T, env: Record<string, string>): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return v.replace(PLACEHOLDER, (whole, n: string) => env[`FD_SECRET_${n}`] ?? whole);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, walk(c)]));
      return v;
    };
    return walk(data) as T;
  }

  /** One reference's value, resolved (and registered for masking) on first use. */
  async resolve(ref: string): Promise<string> {
    return this.value(this.idOf(ref));
  }

  private idOf(ref: string): number {
    let id = this.ids.get(ref);
    if (id === undefined) {
      this.refs.push(ref);
      id = this.refs.length;
      this.ids.set(ref, id);
    }
    return id;
  }

  private async value(id: number): Promise<string> {
    const known = this.values.get(id);
    if (known !== undefined) return known;
    const ref = this.refs[id - 1]!;
    let value: string;
    if (ref.startsWith(ENV)) {
      const name = ref.slice(ENV.length);
      const refused = envRefusal(name, { envAllow: this.source?.envAllow });
      if (refused) throw new Error(refused);
      const v = this.source?.env[name];
      if (v === undefined) throw new Error(`'${ref}': the environment variable ${name} is not set${this.source ? "" : " (this run has no environment for env: references)"}`);
      value = v;
    } else {
      const key = ref.slice(SECRET.length);
      const { secretValue } = await import("../secrets");
      const v = secretValue(await this.decrypt(), key, this.source?.file?.name);
      if (v instanceof Date) value = v.toISOString();
      else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") value = String(v);
      else throw new Error(`'${ref}' is ${v === null ? "null" : "a map or list"}, not a value a step can use`);
    }
    // Registered before any step sees it, so output that contains it is masked from the first byte.
    this.sink.add(value, `'${ref}'`);
    this.values.set(id, value);
    return value;
  }

  private decrypt(): Promise<Record<string, unknown>> {
    this.decrypted ??= (async () => {
      const source = this.source;
      const file = source?.file;
      if (!source || !file) throw new Error("the site has no secrets.yml, so secret: references cannot be resolved");
      const { readSecretsFile } = await import("../secrets");
      const content = await readSecretsFile(file.text, await source.identities(), { file: file.name });
      return content.values;
    })();
    return this.decrypted;
  }
}
