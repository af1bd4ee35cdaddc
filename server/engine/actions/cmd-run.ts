import type { Action } from "./types";
import { commandEnv, shqExpanding } from "./shell";

interface Params {
  cmd: string;
  creates?: string;
  unless?: string;
  env?: Record<string, unknown>;
  cwd?: string;
}

/** `cmd.run`: run a shell command, unless `creates` exists or `unless` succeeds. */
export const cmdRun: Action = async ({ conn, params, secretEnv, become, signal, onStdout, onStderr }) => {
  const p = params as unknown as Params;
  const env = commandEnv(p.env, secretEnv);
  const quiet = { signal, become, env, cwd: p.cwd };
  if (p.creates) {
    const test = await conn.exec(`test -e ${shqExpanding(p.creates)}`, quiet);
    if (test.exitCode === 0) return { status: "ok", message: `${p.creates} exists` };
  }
  if (p.unless) {
    const check = await conn.exec(p.unless, { ...quiet, onStdout, onStderr });
    if (check.exitCode === 0) return { status: "ok", message: "`unless` succeeded" };
  }
  const r = await conn.exec(p.cmd, { ...quiet, onStdout, onStderr });
  if (r.exitCode === 0) return { status: "changed", exitCode: 0 };
  return { status: "failed", exitCode: r.exitCode, message: r.signal ? `ended by signal ${r.signal}` : `exit code ${r.exitCode}` };
};
