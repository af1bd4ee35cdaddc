/** Which files differ between two revisions of a site, for the History tab and approval reviews. */
export type Change = "added" | "removed" | "modified";

export interface FileChange {
  path: string;
  change: Change;
  before: string;
  after: string;
}

export function changedFiles(before: readonly { path: string; content: string }[], after: readonly { path: string; content: string }[]): FileChange[] {
  const a = new Map(before.map((f) => [f.path, f.content]));
  const b = new Map(after.map((f) => [f.path, f.content]));
  const out: FileChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = a.get(path);
    const now = b.get(path);
    if (was === now) continue;
    out.push({ path, change: was === undefined ? "added" : now === undefined ? "removed" : "modified", before: was ?? "", after: now ?? "" });
  }
  return out;
}

export const CHANGE_MARK: Record<Change, string> = { added: "+", removed: "−", modified: "~" };

/** "+3 −1" line counts of a change, by a simple line-set comparison (enough for a summary chip). */
export function lineDelta(c: FileChange): { added: number; removed: number } {
  const before = c.before ? c.before.split("\n") : [];
  const after = c.after ? c.after.split("\n") : [];
  const count = (lines: string[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const a = count(before);
  const b = count(after);
  let added = 0;
  let removed = 0;
  for (const [l, n] of b) added += Math.max(0, n - (a.get(l) ?? 0));
  for (const [l, n] of a) removed += Math.max(0, n - (b.get(l) ?? 0));
  return { added, removed };
}
