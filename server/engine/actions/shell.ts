/** POSIX shell single-quoting: the one safe way to put a value into a command line. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function stringEnv(env: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!env) return undefined;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/**
 * Like `shq`, but `${FD_SECRET_n}` references stay expandable (double-quoted): a secret reaches the command
 * through its environment, never as text on its command line.
 */
export function shqExpanding(s: string): string {
  return s
    .split(/(\$\{FD_SECRET_[0-9]+\})/)
    .map((part, i) => (i % 2 ? `"${part}"` : part ? shq(part) : ""))
    .join("") || "''";
}

/** The step's env param with its secret values added. */
export function commandEnv(env: Record<string, unknown> | undefined, secretEnv: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!secretEnv || !Object.keys(secretEnv).length) return stringEnv(env);
  return { ...stringEnv(env), ...secretEnv };
}
