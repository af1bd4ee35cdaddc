/**
 * One problem, shown once. monaco-yaml checks the file against the site's JSON Schema, which is generated from
 * the same zod schemas the server lints with (server/inventory/json-schema.ts), and parses with the same `yaml`:
 * so every problem it finds, the server finds too, at the same line and column, in better words ("unknown
 * field 'xmembers' (did you mean 'members'?)" against "Property xmembers is not allowed."). That holds for
 * unknown properties, wrong types, missing required properties, enum and const values, patterns, lengths,
 * minimum/maximum, item counts, and YAML syntax errors; test/components/editor-duplicates.test.ts checks it
 * by running both on broken documents.
 *
 * monaco-yaml's markers stay useful where the server has nothing on that line: they come a moment earlier,
 * before the server's lint answers. Pure (no Monaco), so node --test can check it.
 */

/** Where a marker starts (Monaco's IMarkerData and IMarker both have it). */
export interface MarkerStart {
  startLineNumber: number;
}

/**
 * monaco-yaml's markers without those on a line where a server marker starts. By line rather than by exact
 * range: on a document the server finds broken YAML in, monaco-yaml also reports schema problems of the tree
 * it recovered (`Missing property "name"` next to "sequence item without - indicator"); those are noise.
 */
export function withoutServerDuplicates<T extends MarkerStart>(yaml: readonly T[], server: readonly MarkerStart[]): T[] {
  if (server.length === 0) return [...yaml];
  const lines = new Set(server.map((m) => m.startLineNumber));
  return yaml.filter((m) => !lines.has(m.startLineNumber));
}
