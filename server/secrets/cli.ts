/**
 * `flightdeck secrets ...`: a site's secrets file from the command line, with the same identities as `sops`
 * (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt, and the server's when FLIGHTDECK_DATA is set).
 * Nothing is written unless the whole operation succeeded; values are never printed except by `get`.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  findIdentities,
  openForEdit,
  readSecretsFile,
  recipientOf,
  rotate,
  secretKeyNames,
  secretRecipients,
  secretValue,
  SecretsError,
  setRecipients,
  withSecret,
  writeSecretsFile,
  type IdentitySet,
  type IdentitySource,
} from "./index";
import { SecretsUsageError } from "./errors";
import { siteSecretsFile, sopsConfigRecipients, updateSopsConfigRecipients, writeFileAtomic, type SiteSecretsFile } from "./site";

export const SECRETS_USAGE = `usage: flightdeck secrets <command> SITE [options]

commands (the site's secrets.yml, a sops file encrypted to age recipients):
  keys SITE                               the key names (no identity needed)
  get SITE KEY                            print one decrypted value
  set SITE KEY [VALUE] [--json] [--from-file PATH] [--recipient R]...
                                          set a value (read from stdin when VALUE is not given);
                                          --json parses VALUE as JSON; --recipient for a new file
  rm SITE KEY                             remove a key
  edit SITE [--recipient R]...            edit the decrypted file in $EDITOR, re-encrypt on save
  rotate SITE                             new data key: every value re-encrypted
  recipients SITE [--add R]... [--remove R]...
                                          list, or change, who can decrypt (re-wraps the data key)

KEY is a dotted path: maas.dc1_key. Identities: SOPS_AGE_KEY (identity lines), SOPS_AGE_KEY_FILE (a file),
~/.config/sops/age/keys.txt, and the server's (FLIGHTDECK_DATA/age-identity.txt). A passphrase-protected
identity file is unlocked with FLIGHTDECK_AGE_PASSPHRASE or a prompt on a terminal.`;

/** Bad usage of `flightdeck secrets`: exit 2 with the usage. */
class UsageError extends SecretsUsageError {
  constructor(message: string) {
    super(message, SECRETS_USAGE);
  }
}

export interface SecretsIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env?: Record<string, string | undefined>;
  stdin?: NodeJS.ReadStream;
}

export async function secretsCommand(argv: string[], io: SecretsIo): Promise<number> {
  const [command, ...args] = argv;
  const env = io.env ?? process.env;
  switch (command) {
    case "keys":
      return keys(args, io);
    case "get":
      return get(args, io, env);
    case "set":
      return set(args, io, env);
    case "rm":
      return rm(args, io, env);
    case "edit":
      return edit(args, io, env);
    case "rotate":
      return rotateCommand(args, io, env);
    case "recipients":
      return recipients(args, io, env);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.out(SECRETS_USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown secrets command '${command}'`);
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parse(args: string[], positionals: string[], options: Options = {}) {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const min = positionals.filter((p) => !p.endsWith("?")).length;
  if (parsed.positionals.length < min) throw new UsageError(`missing ${positionals[parsed.positionals.length]!.replace("?", "")}`);
  if (parsed.positionals.length > positionals.length) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.length]}'`);
  return parsed;
}

function siteFile(dir: string): SiteSecretsFile {
  return siteSecretsFile(dir);
}

function existing(file: SiteSecretsFile): string {
  if (!file.exists) throw new SecretsError({ file: file.path }, "no such secrets file (create it with `flightdeck secrets set` or `flightdeck secrets edit`)");
  return readFileSync(file.path, "utf8");
}

/** The identities of the environment; passphrase-protected files ask FLIGHTDECK_AGE_PASSPHRASE, then the terminal. */
export function cliIdentities(env: Record<string, string | undefined>, stdin: NodeJS.ReadStream = process.stdin): IdentitySet {
  return findIdentities({
    env,
    dataDir: env.FLIGHTDECK_DATA || undefined,
    passphrase: async (source: IdentitySource) => {
      if (env.FLIGHTDECK_AGE_PASSPHRASE !== undefined) return env.FLIGHTDECK_AGE_PASSPHRASE;
      return promptHidden(`passphrase for ${source.label}: `, stdin);
    },
  });
}

/** A line typed on the terminal without echo; undefined when there is no terminal. */
export function promptHidden(question: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (!stdin.isTTY) return Promise.resolve(undefined);
  process.stderr.write(question);
  return new Promise((resolve) => {
    let typed = "";
    const finish = (value: string | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return finish(typed);
        if (ch === "\u0003" || ch === "\u0004") return finish(undefined);
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

function keys(args: string[], io: SecretsIo): number {
  const { positionals } = parse(args, ["SITE"]);
  const file = siteFile(positionals[0]!);
  for (const key of secretKeyNames(existing(file), file.name)) io.out(key);
  return 0;
}

function display(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

async function get(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { positionals } = parse(args, ["SITE", "KEY"]);
  const file = siteFile(positionals[0]!);
  const { values } = await readSecretsFile(existing(file), cliIdentities(env, io.stdin), { file: file.name });
  io.out(display(secretValue(values, positionals[1]!, file.name)));
  return 0;
}

async function readValue(positional: string | undefined, fromFile: string | undefined, json: boolean, key: string, io: SecretsIo): Promise<unknown> {
  if (positional !== undefined && fromFile !== undefined) throw new UsageError("give VALUE or --from-file, not both");
  let text: string;
  if (positional !== undefined) text = positional;
  else if (fromFile !== undefined) {
    try {
      text = readFileSync(fromFile, "utf8");
    } catch (e) {
      throw new UsageError(`--from-file ${fromFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else {
    const stdin = io.stdin ?? process.stdin;
    if (stdin.isTTY) {
      const typed = await promptHidden(`value for ${key}: `, stdin);
      if (typed === undefined) throw new UsageError("no value given");
      text = typed;
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      if (!chunks.length) throw new UsageError(`no value for '${key}': give VALUE, --from-file PATH, or pipe it on stdin`);
      text = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
    }
  }
  if (!json) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`--json: the value is not JSON (${(e as Error).message})`);
  }
}

/** Recipients for a new file: --recipient, else the .sops.yaml rule, else the keys this command can decrypt with. */
async function newFileRecipients(file: SiteSecretsFile, given: string[], identities: IdentitySet, io: SecretsIo): Promise<string[]> {
  if (given.length) return given;
  const config = sopsConfigRecipients(file.path);
  if (config) {
    io.err(`flightdeck: ${file.name}: encrypting to the recipients of ${config.config}`);
    return config.recipients;
  }
  const own = await Promise.all(identities.sources.flatMap((s) => s.identities).map(recipientOf));
  if (!own.length) {
    throw new SecretsError({ file: file.path }, "no recipients for a new secrets file: give --recipient age1... (the server's public key, and yours), or a .sops.yaml creation rule");
  }
  io.err(`flightdeck: ${file.name}: encrypting to your own identities (${own.join(", ")}); add the server's with \`flightdeck secrets recipients --add\``);
  return [...new Set(own)];
}

async function set(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { values: flags, positionals } = parse(args, ["SITE", "KEY", "VALUE?"], {
    json: { type: "boolean" },
    "from-file": { type: "string" },
    recipient: { type: "string", multiple: true },
  });
  const file = siteFile(positionals[0]!);
  const key = positionals[1]!;
  const given = (flags.recipient as string[] | undefined) ?? [];
  if (file.exists && given.length) throw new UsageError(`${file.name} exists: change its recipients with \`flightdeck secrets recipients --add\``);
  const value = await readValue(positionals[2], flags["from-file"] as string | undefined, !!flags.json, key, io);
  const identities = cliIdentities(env, io.stdin);
  let text: string;
  if (file.exists) {
    const previous = readFileSync(file.path, "utf8");
    const { values } = await readSecretsFile(previous, identities, { file: file.name });
    const next = withSecret(values, key, value, file.name);
    if (sameData(values, next)) {
      io.err(`flightdeck: ${file.name}: '${key}' already has this value; nothing written`);
      return 0;
    }
    text = await writeSecretsFile(previous, next, null, identities, { file: file.name });
  } else {
    const recipients = await newFileRecipients(file, given, identities, io);
    text = await writeSecretsFile(null, withSecret({}, key, value, file.name), recipients, undefined, { file: file.name });
  }
  writeFileAtomic(file.path, text);
  io.err(`flightdeck: ${file.name}: set '${key}'`);
  return 0;
}

async function rm(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { positionals } = parse(args, ["SITE", "KEY"]);
  const file = siteFile(positionals[0]!);
  const key = positionals[1]!;
  const previous = existing(file);
  const identities = cliIdentities(env, io.stdin);
  const { values } = await readSecretsFile(previous, identities, { file: file.name });
  const next = withSecret(values, key, undefined, file.name);
  writeFileAtomic(file.path, await writeSecretsFile(previous, next, null, identities, { file: file.name }));
  io.err(`flightdeck: ${file.name}: removed '${key}'`);
  return 0;
}

async function edit(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { values: flags, positionals } = parse(args, ["SITE"], { recipient: { type: "string", multiple: true } });
  const file = siteFile(positionals[0]!);
  const given = (flags.recipient as string[] | undefined) ?? [];
  if (file.exists && given.length) throw new UsageError(`${file.name} exists: change its recipients with \`flightdeck secrets recipients --add\``);
  const identities = cliIdentities(env, io.stdin);
  const session = file.exists
    ? await openForEdit(readFileSync(file.path, "utf8"), identities, { file: file.name })
    : await openForEdit(null, undefined, { file: file.name, recipients: await newFileRecipients(file, given, identities, io) });
  const editor = env.VISUAL || env.EDITOR || "vi";
  // The plaintext lives in a private directory only while the editor runs.
  const dir = mkdtempSync(join(tmpdir(), "flightdeck-secrets-"));
  chmodSync(dir, 0o700);
  const path = join(dir, file.name);
  try {
    writeFileSync(path, session.plaintext, { mode: 0o600 });
    const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "sh", path], { stdio: "inherit", env: env as NodeJS.ProcessEnv });
    if (r.error) throw new SecretsError({ file: file.name }, `cannot run the editor '${editor}': ${r.error.message}; nothing written`);
    if (r.status !== 0) throw new SecretsError({ file: file.name }, `the editor '${editor}' exited with status ${r.status ?? r.signal}; nothing written`);
    const edited = readFileSync(path, "utf8");
    const text = await session.save(edited);
    if (text === null) {
      io.err(`flightdeck: ${file.name}: unchanged; nothing written`);
      return 0;
    }
    writeFileAtomic(file.path, text);
    io.err(`flightdeck: ${file.name}: saved`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rotateCommand(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { positionals } = parse(args, ["SITE"]);
  const file = siteFile(positionals[0]!);
  const previous = existing(file);
  const text = await rotate(previous, cliIdentities(env, io.stdin), { file: file.name });
  writeFileAtomic(file.path, text);
  io.err(`flightdeck: ${file.name}: new data key; every value re-encrypted for ${secretRecipients(text, file.name).length} recipients`);
  return 0;
}

async function recipients(args: string[], io: SecretsIo, env: Record<string, string | undefined>): Promise<number> {
  const { values: flags, positionals } = parse(args, ["SITE"], { add: { type: "string", multiple: true }, remove: { type: "string", multiple: true } });
  const file = siteFile(positionals[0]!);
  const previous = existing(file);
  const current = secretRecipients(previous, file.name);
  const add = ((flags.add as string[] | undefined) ?? []).map((r) => r.trim());
  const remove = ((flags.remove as string[] | undefined) ?? []).map((r) => r.trim());
  if (!add.length && !remove.length) {
    for (const r of current) io.out(r);
    return 0;
  }
  for (const r of remove) if (!current.includes(r)) throw new SecretsError({ file: file.name }, `'${r}' is not a recipient of this file (recipients: ${current.join(", ")})`);
  const next = [...current.filter((r) => !remove.includes(r)), ...add.filter((r) => !current.includes(r))];
  if (!next.length) throw new SecretsError({ file: file.name }, "cannot remove every recipient: nobody could decrypt the file");
  const text = await setRecipients(previous, next, cliIdentities(env, io.stdin), { file: file.name });
  if (text === previous) {
    io.err(`flightdeck: ${file.name}: recipients unchanged; nothing written`);
    return 0;
  }
  writeFileAtomic(file.path, text);
  const config = updateSopsConfigRecipients(file.path, next);
  io.err(`flightdeck: ${file.name}: data key re-wrapped for ${next.length} recipients${config ? ` (and ${config} updated)` : ""}`);
  if (remove.length) io.err(`flightdeck: a removed recipient may still know the data key: run \`flightdeck secrets rotate\` to change it`);
  return 0;
}

/** Deep equality of decrypted values (Dates by time, bigints by value). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return typeof a === "number" && typeof b === "number" ? Object.is(a, b) || a === b : a === b;
}
