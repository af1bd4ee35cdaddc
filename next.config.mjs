/** @type {import('next').NextConfig} */

// monaco-yaml's worker imports monaco's editor worker by a path that monaco-editor 0.56+'s exports map
// no longer allows; point it at the exported entry (STACK.md, trap A).
const editorWorker = "monaco-editor/esm/vs/editor/editor.worker.js";
const editorWorkerTarget = "monaco-editor/editor/editor.worker.js";

const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Native addons load from node_modules at run time instead of being bundled.
  serverExternalPackages: ["better-sqlite3", "ssh2", "cpu-features"],
  typescript: { ignoreBuildErrors: true }, // `npm test` runs tsc itself; the build need not repeat it
  // Read at run time, not imported: Flightdeck's Ansible callback plugin (server/ansible/playbook/plugin.ts finds
  // it from the project directory); traced so that a standalone output would carry it too.
  outputFileTracingIncludes: { "/**": ["./server/ansible/callback/*.py"] },
  turbopack: {
    resolveAlias: { [editorWorker]: editorWorkerTarget },
  },
  webpack: (config) => {
    config.resolve.alias = { ...config.resolve.alias, [`${editorWorker}$`]: editorWorkerTarget };
    return config;
  },
};

export default nextConfig;
