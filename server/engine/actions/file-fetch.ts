import { randomBytes } from "node:crypto";
import { MAX_FETCH_BYTES, sizeBytes } from "../../inventory";
import type { Action } from "./types";
import { shq } from "./shell";

interface Params {
  path: string;
  max_size?: number | string;
  directory?: boolean;
}

const DEFAULT_MAX = 1024 * 1024;

/**
 * `file.fetch`: a file, or a directory as a gzipped tar, read from the host into the run (the engine keeps it with
 * the run for `file.managed` `from:`). Refused above `max_size` before anything is read. Changes nothing: `ok`.
 */
export const fileFetch: Action = async ({ conn, params, become, signal }) => {
  const p = params as unknown as Params;
  const max = Math.min(p.max_size === undefined ? DEFAULT_MAX : sizeBytes(p.max_size), MAX_FETCH_BYTES);
  const path = shq(p.path);
  let out = "";
  const probe = await conn.exec(`if [ -d ${path} ]; then echo directory; elif [ -f ${path} ]; then echo file; else echo none; fi`, { signal, become, onStdout: (s) => (out += s) });
  const kind = out.trim();
  if (probe.exitCode !== 0 || kind === "none") return { status: "failed", message: `${p.path} does not exist (or is not a file or directory)` };
  if (p.directory === true && kind !== "directory") return { status: "failed", message: `${p.path} is not a directory` };
  if (p.directory === false && kind !== "file") return { status: "failed", message: `${p.path} is not a file` };
  const tmp = `/tmp/.flightdeck-fetch-${randomBytes(8).toString("hex")}.tar.gz`;
  const source = kind === "directory" ? tmp : p.path;
  try {
    if (kind === "directory") {
      let err = "";
      const tar = await conn.exec(`umask 077 && tar -czf ${shq(tmp)} -C ${path} .`, { signal, become, onStderr: (s) => (err += s) });
      if (tar.exitCode !== 0) return { status: "failed", message: `cannot archive ${p.path}: ${err.trim().slice(0, 300) || `exit code ${tar.exitCode}`}` };
    }
    let size = "";
    const stat = await conn.exec(`stat -c %s ${shq(source)}`, { signal, become, onStdout: (s) => (size += s) });
    const bytes = Number(size.trim());
    if (stat.exitCode !== 0 || !Number.isFinite(bytes)) return { status: "failed", message: `cannot read the size of ${p.path}` };
    if (bytes > max) return { status: "failed", message: `${p.path} is ${bytes} bytes${kind === "directory" ? " as a gzipped tar" : ""}, over max_size (${max} bytes)` };
    const content = await conn.getFile(source, { become, signal });
    if (content === null) return { status: "failed", message: `${p.path} disappeared while it was fetched` };
    if (content.length > max) return { status: "failed", message: `${p.path} grew to ${content.length} bytes while it was fetched, over max_size (${max} bytes)` };
    return { status: "ok", message: `fetched ${kind === "directory" ? "directory" : "file"} ${p.path} (${content.length} bytes)`, artifact: { type: kind === "directory" ? "directory" : "file", content } };
  } finally {
    if (kind === "directory") await conn.exec(`rm -f ${shq(tmp)}`, { signal: AbortSignal.timeout(10_000), become }).catch(() => undefined);
  }
};
