/**
 * One Ansible import in a thread of its own (server/workers/ansible-import.ts starts it and bounds its time and
 * memory): the inventory is read from the server's disk or from an archive's files held in memory, imported by
 * server/ansible/import.ts, and its vaulted values written to secrets.yml for the server's age recipients. The
 * vault password stays in this thread and in no message, log or error.
 */
import { posix } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { errorCode } from "../errors";
import { importAnsible } from "../ansible/import";
import { AnsibleInventoryError, type Problem } from "../ansible/inventory/errors";
import { diskFs, type InventoryFs } from "../ansible/inventory/read";
import type { AnsibleImportReply, AnsibleImportRequest } from "./ansible-import";

/** An archive's files as a read-only file system rooted at "." (problems then name paths inside the archive). */
export function memoryFs(files: readonly { path: string; content: string }[]): InventoryFs {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const children = new Map<string, Set<string>>([[".", new Set()]]);
  for (const path of byPath.keys()) {
    let at = path;
    while (at !== ".") {
      const parent = posix.dirname(at);
      if (!children.has(parent)) children.set(parent, new Set());
      children.get(parent)!.add(posix.basename(at));
      at = parent;
    }
  }
  const norm = (p: string) => posix.normalize(p).replace(/\/+$/, "") || ".";
  return {
    kind: (p) => (byPath.has(norm(p)) ? "file" : children.has(norm(p)) ? "dir" : undefined),
    list: (p) => [...(children.get(norm(p)) ?? [])],
    read: (p) => Buffer.from(byPath.get(norm(p)) ?? "", "utf8"),
    // An archive's modes are not kept; an inventory script still shows itself by its #! line.
    executable: () => false,
  };
}

/**
 * Where the inventory is in an archive: the path asked for; else, when the archive is one folder, that folder;
 * and a folder whose only file is the inventory (`hosts.ini` beside group_vars/) means that file, since Ansible
 * skips .ini files inside an inventory directory.
 */
export function inventoryPath(fs: InventoryFs, asked: string | undefined): string {
  if (asked) {
    const path = posix.normalize(asked.replace(/^\/+/, ""));
    if (path.startsWith("..") || fs.kind(path) === undefined) throw new AnsibleInventoryError([{ file: asked, line: 1, col: 1, message: "no such file or folder in the archive" }]);
    return path;
  }
  let root = ".";
  for (;;) {
    const names = fs.list(root).filter((n) => !n.startsWith("."));
    const only = names.length === 1 ? posix.join(root, names[0]!) : undefined;
    if (only && fs.kind(only) === "dir" && names[0] !== "group_vars" && names[0] !== "host_vars") root = only;
    else break;
  }
  const files = fs.list(root).filter((n) => !n.startsWith(".") && fs.kind(posix.join(root, n)) === "file");
  return files.length === 1 ? posix.join(root, files[0]!) : root;
}

/** The CLI's words, said as the dialog asks for it. */
const forDialog = (message: string) => message.replace(/give --vault-password-file/g, "give the vault password");

/**
 * A folder found empty because its inventory is an .ini file (Ansible skips those inside an inventory directory):
 * the reader only warns about them, so the refusal says what to import instead.
 */
function iniHints(e: AnsibleInventoryError, req: AnsibleImportRequest): Problem[] {
  const empty = e.problems.find((p) => p.message.startsWith("no inventory file was found here"));
  if (!empty) return [];
  const fs = "files" in req.source ? memoryFs(req.source.files) : diskFs;
  if (fs.kind(empty.file) !== "dir") return [];
  const inArchive = "files" in req.source;
  return fs
    .list(empty.file)
    .filter((n) => n.endsWith(".ini") && fs.kind(posix.join(empty.file, n)) === "file")
    .map((n) => {
      const file = posix.join(empty.file, n);
      return { file, line: 1, col: 1, message: `skipped: Ansible ignores .ini files inside an inventory directory; import the file itself (${inArchive ? `inventory path ${file}` : file})` };
    });
}

async function run(req: AnsibleImportRequest): Promise<AnsibleImportReply> {
  try {
    const fs = "files" in req.source ? memoryFs(req.source.files) : diskFs;
    const path = "files" in req.source ? inventoryPath(fs, req.source.inventory) : req.source.path;
    const result = await importAnsible(path, {
      fs,
      label: req.label,
      vault: req.vaultPassword ? [{ id: "default", password: Buffer.from(req.vaultPassword) }] : [],
      encryptSecrets: async (values) => {
        if (!req.recipients.length) throw new AnsibleInventoryError([{ file: path, line: 1, col: 1, message: "the inventory has vaulted values, and the server's age identity is locked: unlock it (Secrets page) or start the server with FLIGHTDECK_AGE_PASSPHRASE" }]);
        const { writeSecretsFile } = await import("../secrets");
        return writeSecretsFile(null, values, req.recipients, undefined, { file: "secrets.yml" });
      },
    });
    const files = [...result.files].map(([p, content]) => ({ path: p, content }));
    return { ok: true, result: { files, warnings: result.warnings.map((w) => ({ ...w, message: forDialog(w.message) })), hosts: result.hosts, groups: result.groups, secrets: result.secrets, corrections: result.corrections } };
  } catch (e) {
    if (e instanceof AnsibleInventoryError) return { ok: false, problems: [...e.problems, ...iniHints(e, req)].map((p) => ({ ...p, message: forDialog(p.message) })) };
    const code = errorCode(e);
    if (code) return { ok: false, code, message: (e as Error).message };
    return { ok: false, message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as AnsibleImportRequest).then((reply) => port.postMessage(reply));
}
