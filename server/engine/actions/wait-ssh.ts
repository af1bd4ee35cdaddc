/**
 * wait.ssh: keep trying the host's connection until it answers (a machine MAAS just deployed is still booting),
 * then leave that connection to the next steps. A wrong host key ends the wait at once: it is never retried
 * into acceptance.
 */
import { durationMs } from "../../inventory";
import { HostKeyError, UnreachableError } from "../../transports/types";
import { pause } from "../concurrency";
import { formatDuration } from "../duration";
import type { ControllerAction } from "./controller";

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_INTERVAL_MS = 5_000;
const ATTEMPT_TIMEOUT_MS = 10_000;

export const waitSsh: ControllerAction = async (ctx) => {
  const timeoutMs = ctx.params.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationMs(ctx.params.timeout as string | number);
  const intervalMs = ctx.params.interval === undefined ? DEFAULT_INTERVAL_MS : durationMs(ctx.params.interval as string | number);
  const started = Date.now();
  const deadline = started + timeoutMs;
  ctx.progress("waiting for the host to answer");
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.connect(Math.max(1000, Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now())));
      const waited = Math.round((Date.now() - started) / 100) / 10;
      ctx.onStdout(`connected on attempt ${attempt} after ${waited} s\n`);
      return { status: "ok", message: `answered after ${waited} s` };
    } catch (e) {
      if (e instanceof HostKeyError || !(e instanceof UnreachableError)) throw e;
      if (ctx.signal.aborted) throw e;
      const left = deadline - Date.now();
      if (left <= 0) throw new UnreachableError(`${ctx.host} did not answer within ${formatDuration(timeoutMs)} (${attempt} attempts; last: ${e.message})`);
      ctx.onStdout(`attempt ${attempt}: ${e.message}; trying again in ${Math.round(Math.min(intervalMs, left) / 100) / 10} s\n`);
      await pause(Math.min(intervalMs, left), ctx.signal);
    }
  }
};
