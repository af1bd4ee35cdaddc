#!/usr/bin/env node
// `flightdeck serve` starts the dashboard; every other command runs the CLI, from the bundle when it is
// up to date with the sources (a fast start), else from the TypeScript sources through tsx.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

if (process.argv[2] === "serve") {
  const r = spawnSync("bash", [`${root}scripts/start.sh`], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const bundle = `${root}dist/flightdeck.mjs`;
const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built > newest(`${root}server`)) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(`${root}server/cli/entry.ts`).href);
}
