import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import type { Action } from "./types";
import { commandEnv, shq, shqExpanding } from "./shell";

interface Params {
  content?: string;
  path?: string;
  args?: string[];
  interpreter?: string;
  env?: Record<string, unknown>;
  cwd?: string;
}

/** `script.run`: upload a script (mode 0700, a fresh name), run it with quoted args, always remove it. */
export const scriptRun: Action = async ({ conn, params, secretEnv, become, siteDir, signal, onStdout, onStderr }) => {
  const p = params as unknown as Params;
  let content = p.content;
  if (content === undefined) {
    if (!siteDir) return { status: "failed", message: "script files are read from the site directory, which this run does not have; inline the script with `content`" };
    const file = resolve(siteDir, p.path!);
    const rel = relative(siteDir, file);
    if (rel.startsWith("..") || isAbsolute(rel)) return { status: "failed", message: `${p.path} is outside the site directory` };
    content = await readFile(file, "utf8").catch(() => undefined);
    if (content === undefined) return { status: "failed", message: `cannot read ${p.path} in the site directory` };
  }
  const remote = `/tmp/.flightdeck-${randomBytes(8).toString("hex")}`;
  await conn.putFile(remote, content, { mode: 0o700, signal });
  try {
    const command = [p.interpreter ?? "/bin/sh", remote, ...(p.args ?? [])].map((a, i) => (i === 0 ? a : shqExpanding(a))).join(" ");
    const r = await conn.exec(command, { signal, become, env: commandEnv(p.env, secretEnv), cwd: p.cwd, onStdout, onStderr });
    if (r.exitCode === 0) return { status: "changed", exitCode: 0 };
    return { status: "failed", exitCode: r.exitCode, message: r.signal ? `ended by signal ${r.signal}` : `exit code ${r.exitCode}` };
  } finally {
    // Cleanup must run even when the step was cancelled, so it gets its own short deadline.
    await conn.exec(`rm -f ${shq(remote)}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  }
};
