import type { Action } from "./types";
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
export const fileManaged: Action = async ({ conn, params, become, signal }) => {
  const p = params as unknown as Params;
  const want = p.content ?? p.template ?? "";
  const mode = octal(p.mode);
  const current = await conn.getFile(p.path, { become, signal });
  const changes: string[] = [];
  if (current === null || current.toString("utf8") !== want) {
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
