/**
 * The ssh floor: connect to N real sshd hosts on loopback (test/fleet) and run M `true` commands on each over
 * one connection per host, all hosts at once. What any engine run on that fleet cannot beat.
 *
 *   node --import tsx bench/ssh-floor.ts [--hosts 50] [--commands 10] [--runs 3]
 *
 * Exports `description` and `run(args)` like the other benchmarks of bench/run.ts.
 */
import { setMaxListeners } from "node:events";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { sshTransport } from "../server/transports/ssh";
import type { Connection } from "../server/transports/types";
import { startFleet } from "../test/fleet/fleet";

export const description = "ssh: connect to 50 loopback sshd hosts and run 10 `true` on each, one connection per host";

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { hosts: { type: "string", default: "50" }, commands: { type: "string", default: "10" }, runs: { type: "string", default: "3" } } });
  const hosts = Math.max(1, Number(values.hosts) || 50);
  const commands = Math.max(1, Number(values.commands) || 10);
  const runs = Math.max(1, Number(values.runs) || 3);
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // one signal for every host, as in a run

  const t = performance.now();
  const fleet = await startFleet({ hosts, logLevel: "ERROR" });
  const fleetMs = performance.now() - t;
  let wrong = 0;
  const rows: { connect: number; commands: number; total: number; perCommand: number }[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      const conns: Connection[] = await Promise.all(fleet.hosts.map((_, i) => sshTransport.connect(fleet.settings(i, { connect_timeout: 30 }), { signal })));
      const connected = performance.now();
      const perCommand: number[] = [];
      await Promise.all(
        conns.map(async (c) => {
          for (let k = 0; k < commands; k++) {
            const t0 = performance.now();
            const res = await c.exec("true", { signal });
            perCommand.push(performance.now() - t0);
            if (res.exitCode !== 0) wrong++;
          }
        }),
      );
      const done = performance.now();
      await Promise.all(conns.map((c) => c.close()));
      rows.push({ connect: connected - started, commands: done - connected, total: done - started, perCommand: median(perCommand) });
    }
  } finally {
    await fleet.stop();
  }

  const f = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
  console.log(`ssh floor: ${hosts} hosts x ${commands} \`true\`, one connection per host (fleet started in ${fleetMs.toFixed(0)} ms)`);
  console.log(`machine: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log("run   connect-all   commands-all          total   median per command");
  rows.forEach((row, i) => console.log(`${String(i + 1).padStart(3)}   ${f(row.connect)}     ${f(row.commands)}      ${f(row.total)}   ${f(row.perCommand)}`));
  console.log(
    `median total ${median(rows.map((r) => r.total)).toFixed(0)} ms (connect ${median(rows.map((r) => r.connect)).toFixed(0)} ms, ` +
      `commands ${median(rows.map((r) => r.commands)).toFixed(0)} ms)`,
  );
  if (wrong > 0) {
    console.error(`ssh floor: ${wrong} commands did not exit 0`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv.slice(2));
}
