// Bundles the CLI into one ES module so `flightdeck` starts in tens of milliseconds instead of going
// through a TypeScript loader on every run.
import { build } from "esbuild";

await build({
  entryPoints: ["server/cli/entry.ts"],
  outfile: "dist/flightdeck.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "bundle",
  // Native addons load from node_modules at run time.
  external: ["ssh2", "cpu-features", "better-sqlite3"],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: "warning",
});
