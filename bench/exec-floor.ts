/**
 * The ssh floor of `npm run bench -- exec`: one connection per host (Flightdeck's ssh transport, so known_hosts
 * is checked as in a run), every host at once, the same `true` commands one after another on each, and nothing
 * else: no site, no plan, no events. `floor()` runs it in the calling process; bench/exec.ts also bundles this
 * file and runs it as a fresh node process (reading {hosts, steps} as JSON on stdin), so the floor pays the same
 * process start and cold JIT as `flightdeck exec` does.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { sshTransport } from "../server/transports/ssh";
import type { ConnectionSettings } from "../server/transports/types";

export async function floor(hosts: readonly ConnectionSettings[], steps: number): Promise<void> {
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // one signal for every host, as in a run
  await Promise.all(
    hosts.map(async (settings) => {
      const c = await sshTransport.connect(settings, { signal });
      try {
        for (let k = 0; k < steps; k++) if ((await c.exec("true", { signal })).exitCode !== 0) throw new Error(`floor: \`true\` failed on ${settings.host}`);
      } finally {
        await c.close();
      }
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { hosts, steps } = JSON.parse(readFileSync(0, "utf8")) as { hosts: ConnectionSettings[]; steps: number };
  await floor(hosts, steps).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
