/**
 * The dashboard's view of a site's secrets file: key names and recipients without any private key; set,
 * remove and reveal one value with the server's identity. Every change is a new site revision whose message
 * names the key, never the value.
 */
import { MissingKeyError } from "./errors";
import { readSecretsFile, secretKeyNames, secretRecipients, secretValue, withSecret, writeSecretsFile, type Identities } from "./index";

export const SECRETS_PATHS = ["secrets.yml", "secrets.yaml"];

export interface SecretsFileView {
  path: string | null;
  keys: string[];
  recipients: string[];
}

export function secretsPath(files: readonly { path: string }[]): string | null {
  return files.find((f) => SECRETS_PATHS.includes(f.path))?.path ?? null;
}

export function viewSecrets(files: readonly { path: string; content: string }[]): SecretsFileView {
  const path = secretsPath(files);
  const text = files.find((f) => f.path === path)?.content;
  if (!path || text === undefined) return { path: null, keys: [], recipients: [] };
  const all = secretKeyNames(text, path);
  // Values only: a map's own path (`db` above `db.password`) is not a secret of its own.
  const keys = all.filter((k) => !all.some((other) => other.startsWith(`${k}.`)));
  return { path, keys, recipients: secretRecipients(text, path) };
}

/** The new text of the secrets file with `key` set (or removed, with `undefined`); a new file for `recipients`. */
export async function editSecret(
  previous: { path: string; content: string } | null,
  key: string,
  value: string | undefined,
  identities: Identities,
  recipients: readonly string[],
): Promise<{ path: string; content: string }> {
  const path = previous?.path ?? "secrets.yml";
  if (!previous) {
    if (value === undefined) throw new MissingKeyError({ file: path }, `no secrets file, so no key '${key}' to remove`);
    return { path, content: await writeSecretsFile(null, withSecret({}, key, value, path), recipients, identities, { file: path }) };
  }
  const current = await readSecretsFile(previous.content, identities, { file: path });
  if (value === undefined && !current.keys.includes(key)) throw new MissingKeyError({ file: path }, `no key '${key}' to remove`);
  let values = withSecret(current.values, key, value, path);
  // Removing the last key of a map removes the map too (`db.password` gone leaves no empty `db`).
  for (let parts = key.split(".").slice(0, -1); value === undefined && parts.length; parts = parts.slice(0, -1)) {
    let at: unknown = values;
    for (const p of parts) at = (at as Record<string, unknown> | undefined)?.[p];
    if (!at || typeof at !== "object" || Object.keys(at).length) break;
    values = withSecret(values, parts.join("."), undefined, path);
  }
  return { path, content: await writeSecretsFile(previous.content, values, null, identities, { file: path }) };
}

export async function revealSecret(file: { path: string; content: string }, key: string, identities: Identities): Promise<string> {
  const { values } = await readSecretsFile(file.content, identities, { file: file.path });
  const v = secretValue(values, key, file.path);
  return typeof v === "string" ? v : JSON.stringify(v);
}
