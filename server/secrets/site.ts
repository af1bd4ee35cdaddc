/**
 * A site's secrets on disk: `secrets.yml` (or `secrets.yaml`) at the site root, the recipients a `.sops.yaml`
 * creation rule lists for it (the file sops itself reads), and atomic writes.
 */
import { existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLSeq } from "yaml";
import { SecretsError } from "./errors";

export const SECRETS_FILE_NAMES = ["secrets.yml", "secrets.yaml"] as const;

export interface SiteSecretsFile {
  /** Absolute path. */
  path: string;
  /** The name relative to the site (`secrets.yml`). */
  name: string;
  exists: boolean;
}

/** The site's secrets file: the existing `secrets.yml` or `secrets.yaml`, else where a new one goes. */
export function siteSecretsFile(siteDir: string): SiteSecretsFile {
  for (const name of SECRETS_FILE_NAMES) {
    const path = join(siteDir, name);
    if (existsSync(path)) return { path, name, exists: true };
  }
  return { path: join(siteDir, SECRETS_FILE_NAMES[0]), name: SECRETS_FILE_NAMES[0], exists: false };
}

/** Write a file through a temporary file and a rename, so readers never see half of it; the mode is kept. */
export function writeFileAtomic(path: string, text: string, mode?: number): void {
  const existing = statSync(path, { throwIfNoEntry: false });
  const tmp = join(dirname(path), `.${relative(dirname(path), path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: mode ?? (existing ? existing.mode & 0o777 : 0o644) });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new SecretsError({ file: path }, `cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

const CONFIG_NAMES = [".sops.yaml", ".sops.yml"];

/** The nearest `.sops.yaml` at or above `dir` (sops looks upward from where it runs). */
export function findSopsConfig(dir: string): string | undefined {
  let at = resolve(dir);
  for (let i = 0; i < 100; i++) {
    for (const name of CONFIG_NAMES) {
      const path = join(at, name);
      if (existsSync(path)) return path;
    }
    const parent = dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
  return undefined;
}

interface RuleMatch {
  config: string;
  doc: ReturnType<typeof parseDocument>;
  rule: ReturnType<typeof parseDocument>["contents"];
}

function matchingRule(secretsPath: string): RuleMatch | undefined {
  const config = findSopsConfig(dirname(secretsPath));
  if (!config) return undefined;
  const doc = parseDocument(readFileSync(config, "utf8"));
  if (doc.errors.length) throw new SecretsError({ file: config }, `YAML syntax: ${doc.errors[0]!.message.split("\n")[0]}`);
  const rules = isMap(doc.contents) ? doc.contents.get("creation_rules", true) : undefined;
  if (!isSeq(rules)) return undefined;
  const rel = relative(dirname(config), secretsPath).split(sep).join("/");
  for (const rule of rules.items) {
    if (!isMap(rule)) continue;
    const regex = rule.get("path_regex");
    if (typeof regex === "string") {
      let re: RegExp;
      try {
        re = new RegExp(regex);
      } catch {
        throw new SecretsError({ file: config }, `path_regex '${regex}' is not a valid regular expression`);
      }
      if (!re.test(rel) && !re.test(secretsPath)) continue;
    }
    return { config, doc, rule: rule as RuleMatch["rule"] };
  }
  return undefined;
}

function ageList(value: unknown): string[] {
  if (typeof value === "string") return value.split(",").map((r) => r.trim()).filter(Boolean);
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === "string").map((r) => r.trim()).filter(Boolean);
  return [];
}

/** The age recipients the `.sops.yaml` creation rule for this secrets file lists, with the config's path. */
export function sopsConfigRecipients(secretsPath: string): { config: string; recipients: string[] } | undefined {
  const match = matchingRule(secretsPath);
  if (!match || !isMap(match.rule)) return undefined;
  const recipients = ageList((match.rule.toJSON() as { age?: unknown } | undefined)?.age);
  return recipients.length ? { config: match.config, recipients } : undefined;
}

/**
 * Keep the `.sops.yaml` creation rule of this secrets file in step with its recipients (so `sops` run by an
 * operator encrypts to the same keys). Only a rule that already lists age recipients is changed; its comments and
 * style are kept. Returns the config's path when it was changed.
 */
export function updateSopsConfigRecipients(secretsPath: string, recipients: readonly string[]): string | undefined {
  const match = matchingRule(secretsPath);
  if (!match || !isMap(match.rule)) return undefined;
  const node = match.rule.get("age", true);
  const current = ageList((match.rule.toJSON() as { age?: unknown } | undefined)?.age);
  if (!current.length || (current.length === recipients.length && current.every((r, i) => r === recipients[i]))) return undefined;
  if (isSeq(node)) {
    const seq = new YAMLSeq();
    seq.items = recipients.map((r) => new Scalar(r));
    match.rule.set("age", seq);
  } else {
    const scalar = new Scalar(recipients.join(","));
    if (isScalar(node)) {
      scalar.commentBefore = node.commentBefore;
      scalar.comment = node.comment;
    }
    match.rule.set("age", scalar);
  }
  writeFileAtomic(match.config, match.doc.toString());
  return match.config;
}
