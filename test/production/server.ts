/**
 * The production server as users run it: `node --import tsx server/main.ts` over the `next build` output, in
 * its own process, with a fresh data directory. Tests that must see what Next's bundle does (its own copy of
 * every server module) use this instead of test/api/http-server.ts, which runs the handlers in one graph.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_PASSWORD = "production-admin-pw";
const ROOT = new URL("../..", import.meta.url).pathname;

/** Why the production server cannot start here (no build yet), or undefined. */
export function productionSkipReason(): string | undefined {
  return existsSync(join(ROOT, ".next", "BUILD_ID")) ? undefined : "no production build (.next/BUILD_ID): `npm test` builds before the unit tests; run `npm run build` first";
}

export interface ProductionServer {
  url: string;
  pid: number;
  /** Everything the server printed so far, stdout and stderr together. */
  log(): string;
  close(): Promise<void>;
}

export async function startProductionServer(env: Record<string, string> = {}): Promise<ProductionServer> {
  const data = mkdtempSync(join(tmpdir(), "fd-prod-"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: data,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: "0",
      HOST: "127.0.0.1",
      FLIGHTDECK_DATA: data,
      FLIGHTDECK_DEMO: join(ROOT, "examples", "ha-kvm"),
      FLIGHTDECK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      FLIGHTDECK_LOGIN_LIMIT: "1000",
      // As `npm start` does: the demo's MAAS region reads env:MAAS_API_KEY.
      FLIGHTDECK_ENV_ALLOW: "MAAS_API_KEY",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /dashboard on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    log: () => output,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}
