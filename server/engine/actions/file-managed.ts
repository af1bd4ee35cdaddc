import type { Action } from "./types";
import { randomBytes } from "node:crypto";
import type { Connection } from "../../transports/types";
import { shq } from "./shell";

interface Params {
  path: string;
  content?: string;
  template?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
}

function octal(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  return typeof mode === "number" ? mode : parseInt(mode, 8);
}

/**
 * `file.managed`: the file holds exactly this content (the template is rendered before, like every param),
 * with this mode and owner. Only what differs is changed; `ok` when nothing did.
 */
export const fileManaged: Action = async ({ conn, params, become, signal, fetched }) => {
  const p = params as unknown as Params;
  if (fetched?.type === "directory") return placeDirectory(conn, p, fetched.content, become, signal);
  const want: Buffer | string = fetched?.content ?? p.content ?? p.template ?? "";
  const mode = octal(p.mode);
  const current = await conn.getFile(p.path, { become, signal });
  const changes: string[] = [];
  if (current === null || (typeof want === "string" ? current.toString("utf8") !== want : !current.equals(want))) {
    await conn.putFile(p.path, want, { mode, owner: p.owner, group: p.group, become, signal });
    changes.push(current === null ? "created" : "content updated");
  } else if (mode !== undefined || p.owner || p.group) {
    // Same content: check only the attributes the step names.
    let out = "";
    const stat = await conn.exec(`stat -c '%a %U %G' ${shq(p.path)}`, { signal, become, onStdout: (s) => (out += s) });
    if (stat.exitCode !== 0) return { status: "failed", message: `cannot stat ${p.path}` };
    const [m, u, g] = out.trim().split(" ");
    if (mode !== undefined && parseInt(m ?? "", 8) !== mode) {
      const r = await conn.exec(`chmod ${mode.toString(8)} ${shq(p.path)}`, { signal, become });
      if (r.exitCode !== 0) return { status: "failed", message: `chmod failed on ${p.path}` };
      changes.push(`mode ${m} -> ${mode.toString(8)}`);
    }
    if ((p.owner && p.owner !== u) || (p.group && p.group !== g)) {
      const r = await conn.exec(`chown ${shq(`${p.owner ?? u}:${p.group ?? g}`)} ${shq(p.path)}`, { signal, become });
      if (r.exitCode !== 0) return { status: "failed", message: `chown failed on ${p.path}` };
      changes.push(`owner ${u}:${g} -> ${p.owner ?? u}:${p.group ?? g}`);
    }
  }
  return changes.length ? { status: "changed", message: `${p.path}: ${changes.join(", ")}` } : { status: "ok", message: `${p.path} is up to date` };
};

/**
 * A fetched directory (a gzipped tar) placed under `path`: `ok` when every file of it is already there the same
 * (GNU tar's compare), extracted otherwise. Files under `path` that the tar does not hold are left alone.
 */
async function placeDirectory(conn: Connection, p: Params, tar: Buffer, become: boolean | string | undefined, signal: AbortSignal) {
  const tmp = `/tmp/.flightdeck-place-${randomBytes(8).toString("hex")}.tar.gz`;
  await conn.putFile(tmp, tar, { mode: 0o600, signal });
  try {
    const dir = shq(p.path);
    const same = await conn.exec(`test -d ${dir} && tar -dzf ${shq(tmp)} -C ${dir} >/dev/null 2>&1`, { signal, become });
    if (same.exitCode === 0 && !p.owner && !p.group) return { status: "ok" as const, message: `${p.path} is up to date` };
    let err = "";
    const owner = p.owner || p.group ? ` && chown -R ${shq(`${p.owner ?? ""}${p.group ? `:${p.group}` : ""}`)} ${dir}` : "";
    const r = await conn.exec(`mkdir -p ${dir} && tar -xzf ${shq(tmp)} -C ${dir} --no-same-owner${owner}`, { signal, become, onStderr: (s) => (err += s) });
    if (r.exitCode !== 0) return { status: "failed" as const, message: `cannot place the directory at ${p.path}: ${err.trim().slice(0, 300) || `exit code ${r.exitCode}`}` };
    return same.exitCode === 0 ? { status: "ok" as const, message: `${p.path} is up to date` } : { status: "changed" as const, message: `${p.path}: placed ${tar.length} bytes (gzipped tar)` };
  } finally {
    await conn.exec(`rm -f ${shq(tmp)}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  }
}
