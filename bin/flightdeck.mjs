#!/usr/bin/env node
// `flightdeck serve` starts the dashboard (`serve --no-worker`: without executing runs, PostgreSQL only);
// `flightdeck worker` a run worker (PostgreSQL) and `flightdeck migrate` the database's migrations, both from the
// TypeScript sources through tsx (no Next build needed, and the database drivers stay out of the CLI's bundle);
// every other command runs the CLI, from the bundle when it is up to date with the sources (a fast start), else
// from the TypeScript sources through tsx.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

if (process.argv[2] === "serve") serve(process.argv.slice(3));
else if (process.argv[2] === "worker") await fromSources("server/cli/worker.ts", "runWorker", process.argv.slice(3));
else if (process.argv[2] === "migrate") await fromSources("server/cli/migrate.ts", "runMigrate", process.argv.slice(3));
else await cli();

/**
 * Runs scripts/start.sh (install and build when needed, then `exec` the server) and stays its proxy: the
 * child leads its own process group, and SIGINT, SIGTERM and SIGHUP sent to this process go to that whole
 * group (the server, or npm and next while building), so a supervisor that stops `flightdeck serve` stops the
 * server and frees its port. Being outside the terminal's foreground group, the child gets Ctrl+C once, from
 * here. This process then exits as the child did.
 */
function serve(args) {
  const unknown = args.find((a) => a !== "--no-worker");
  if (unknown) {
    console.error(`flightdeck serve: unknown option '${unknown}' (serve takes --no-worker: dashboard only, runs executed by \`flightdeck worker\` processes)`);
    process.exit(2);
  }
  const child = spawn("bash", [`${root}scripts/start.sh`, ...args], { stdio: ["ignore", "inherit", "inherit"], detached: true });
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
  const forward = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone: its exit is on its way.
    }
  };
  for (const signal of signals) process.on(signal, forward);
  child.on("error", (e) => {
    console.error(`flightdeck: cannot start scripts/start.sh: ${e.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    for (const s of signals) process.off(s, forward);
    // Killed by a signal: die of the same one, so whoever started us sees it (128 + n in a shell).
    if (signal) process.kill(process.pid, signal);
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
}

/** A command of the server's own (a worker handles its own signals: SIGTERM lets running runs finish within the grace period). */
async function fromSources(module, entry, args) {
  // Where `serve` runs (scripts/start.sh cds there): the same ./data and migrations whatever the caller's directory.
  process.chdir(root);
  const { register } = await import("tsx/esm/api");
  register();
  (await import(pathToFileURL(`${root}server/stdio.ts`).href)).survivePipeLoss();
  const loaded = await import(pathToFileURL(`${root}${module}`).href);
  process.exit(await loaded[entry](args));
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

async function cli() {
  const bundle = `${root}dist/flightdeck.mjs`;
  const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > newest(`${root}server`)) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(`${root}server/cli/entry.ts`).href);
  }
}
