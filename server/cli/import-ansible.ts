/**
 * `flightdeck import ansible PATH -o SITE_DIR`: an Ansible inventory (a file or directory, with group_vars/ and
 * host_vars/) as a new Flightdeck site. Nothing is written unless the whole import succeeded: the site is built
 * in a temporary directory beside SITE_DIR and renamed into place; an existing non-empty SITE_DIR is refused.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { importAnsible } from "../ansible/import";
import { formatProblem, type Problem } from "../ansible/inventory/errors";
import { passwordFromFile, type VaultSecret } from "../ansible/vault";
import { errorCode, InvalidInputError } from "../errors";
import { UsageError } from "./errors";
import type { Io } from "./main";

export const IMPORT_USAGE = `usage: flightdeck import ansible PATH -o SITE_DIR [--vault-password-file F]... [--vault-id [LABEL@]F]...
                                 [--age-recipient age1...]...

  PATH is what ansible-inventory -i takes for a static inventory: an INI or YAML file, or a directory of them, with
  group_vars/ and host_vars/ beside the file (or inside the directory). Every host of the new site resolves to
  exactly the variables and groups ansible-inventory --list gives it. SITE_DIR must not exist or be empty.

  --vault-password-file F   a vault password file (as ansible-inventory takes it); vaulted values and files become
                            secret: references, their values going to the site's secrets.yml
  --vault-id [LABEL@]F      the same, with a vault-id label
  --age-recipient R         who can decrypt secrets.yml (repeatable; give the server's public key and yours);
                            default: the recipients of a .sops.yaml rule above SITE_DIR, else your own age identities`;

export async function importCommand(argv: string[], io: Io): Promise<number> {
  const [format, ...args] = argv;
  if (format === "help" || format === "--help" || format === "-h") {
    io.out(IMPORT_USAGE);
    return 0;
  }
  if (format !== "ansible") throw new UsageError(format === undefined ? "import what? (flightdeck import ansible PATH -o SITE_DIR)" : `cannot import '${format}': only 'ansible' is supported`);
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      "vault-password-file": { type: "string", multiple: true },
      "vault-id": { type: "string", multiple: true },
      "age-recipient": { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) throw new UsageError(positionals.length ? "give exactly one Ansible inventory PATH" : "missing the Ansible inventory PATH");
  if (!values.output) throw new UsageError("missing -o SITE_DIR (where the new site is written)");
  const path = positionals[0]!;
  const target = resolve(values.output);
  checkTarget(target, values.output);

  const vault = [
    ...(values["vault-password-file"] ?? []).map((file) => readPassword(file, "default")),
    ...(values["vault-id"] ?? []).map((spec) => {
      const at = spec.indexOf("@");
      return at < 0 ? readPassword(spec, "default") : readPassword(spec.slice(at + 1), spec.slice(0, at) || "default");
    }),
  ];

  let result;
  try {
    result = await importAnsible(path, {
      vault,
      label: path,
      encryptSecrets: async (secrets) => {
        const recipients = await secretRecipients(target, values["age-recipient"] ?? [], io);
        const { writeSecretsFile } = await import("../secrets");
        return writeSecretsFile(null, secrets, recipients, undefined, { file: "secrets.yml" });
      },
    });
  } catch (e) {
    const problems = (e as { problems?: Problem[] }).problems;
    if (errorCode(e) && Array.isArray(problems)) {
      for (const p of problems) io.err(formatProblem({ ...p, message: `error: ${p.message}` }));
      io.err(`flightdeck: nothing was written to ${values.output}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in the Ansible inventory`);
      return 1;
    }
    throw e;
  }
  for (const w of result.warnings) io.err(formatProblem({ ...w, message: `warning: ${w.message}` }));
  writeSite(target, result.files);
  const notes = [`${result.hosts} hosts`, `${result.groups} groups`];
  if (result.secrets) notes.push(`${result.secrets} secrets in secrets.yml`);
  if (result.corrections) notes.push(`${result.corrections} values set on hosts where Flightdeck's precedence differs from Ansible's`);
  io.err(`flightdeck: imported ${path} into ${values.output}: ${notes.join(", ")}`);
  return 0;
}

function checkTarget(target: string, shown: string): void {
  const st = statSync(target, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) throw new UsageError(`${shown} exists and is not a directory`);
  if (readdirSync(target).length) throw new UsageError(`${shown} is not empty: import into a new directory`);
}

function readPassword(file: string, id: string): VaultSecret {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`vault password file ${file}: no such file`);
  }
  // Ansible would run an executable password file; an import never runs programs it is handed.
  if (st.mode & 0o111) throw new UsageError(`vault password file ${file} is executable (a password script): run it yourself and give its output, e.g. --vault-password-file <(${file})`);
  return { id, password: passwordFromFile(readFileSync(file), file) };
}

/** Who secrets.yml is encrypted to: --age-recipient, else a .sops.yaml rule, else the identities at hand. */
async function secretRecipients(target: string, given: string[], io: Io): Promise<string[]> {
  if (given.length) return given;
  const { sopsConfigRecipients } = await import("../secrets/site");
  const config = sopsConfigRecipients(join(target, "secrets.yml"));
  if (config) {
    io.err(`flightdeck: secrets.yml: encrypting to the recipients of ${config.config}`);
    return config.recipients;
  }
  const { cliIdentities } = await import("../secrets/cli");
  const { recipientOf } = await import("../secrets");
  const identities = cliIdentities(io.env ?? process.env);
  const own = [...new Set(await Promise.all(identities.sources.flatMap((s) => s.identities).map(recipientOf)))];
  if (!own.length) throw new UsageError("the inventory has vaulted values: give --age-recipient age1... (the server's public key, and yours) to encrypt secrets.yml");
  io.err(`flightdeck: secrets.yml: encrypting to your own identities (${own.join(", ")}); add the server's with \`flightdeck secrets recipients --add\``);
  return own;
}

/** Write the files into a temporary directory beside the target, then rename it into place. */
function writeSite(target: string, files: Map<string, string>): void {
  const temp = join(dirname(target), `.${basename(target)}.import-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  try {
    mkdirSync(temp, { recursive: true });
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(temp, rel)), { recursive: true });
      writeFileSync(join(temp, rel), content);
    }
    if (statSync(target, { throwIfNoEntry: false })) rmdirSync(target); // empty (checked): replaced by the new site
    renameSync(temp, target);
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw new InvalidInputError(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
