/**
 * Every run, host and step has its own URL:
 *   /sites/SLUG/runs/ID
 *   /sites/SLUG/runs/ID/hosts/HOST
 *   /sites/SLUG/runs/ID/hosts/HOST/steps/STEP      (a step id may hold "/": BLUEPRINT/STEP, one path segment each)
 */
const enc = (s: string) => encodeURIComponent(s);

export function runHref(slug: string, id: number, host?: string | null, step?: string | null): string {
  let href = `/sites/${enc(slug)}/runs/${id}`;
  if (host) {
    href += `/hosts/${enc(host)}`;
    if (step) href += `/steps/${step.split("/").map(enc).join("/")}`;
  }
  return href;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The host and step a run URL points at (the part after /runs/ID). */
export function parseRunPath(pathname: string, id: number): { host: string | null; step: string | null } {
  const parts = pathname.split("/");
  const at = parts.findIndex((p, i) => p === String(id) && parts[i - 1] === "runs");
  const rest = at >= 0 ? parts.slice(at + 1).filter((p) => p !== "") : [];
  if (rest[0] !== "hosts" || !rest[1]) return { host: null, step: null };
  const host = decode(rest[1]);
  const step = rest[2] === "steps" && rest.length > 3 ? rest.slice(3).map(decode).join("/") : null;
  return { host, step };
}
