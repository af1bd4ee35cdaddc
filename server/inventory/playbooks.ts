/**
 * The playbooks that `ansible.playbook` steps name: each must be a path inside the site, to a YAML file of its
 * Ansible content (site-files.ts), that exists. Checked with the rest of the site (synchronously, no Ansible);
 * whether the playbook itself is valid is Ansible's `--syntax-check`, run apart (server/ansible/syntax-check.ts).
 */
import { didYouMean } from "../template/suggest";
import type { Diagnostic } from "./diagnostics";
import { siteFileKind } from "./site-files";
import type { SiteFile } from "./source";
import type { Workflows } from "./workflows";

/** One step's `playbook:` and where it is written. */
export interface PlaybookRef {
  /** As written: a path relative to the site root, normally `playbooks/NAME.yml`. */
  playbook: string;
  /** The `playbook:` value in its blueprint (for diagnostics about the reference). */
  at: Omit<Diagnostic, "severity" | "message">;
  /** The blueprint and step, for messages. */
  blueprint: string;
  step: string;
}

export const PLAYBOOK_ACTION = "ansible.playbook";

/** Every `ansible.playbook` step's playbook (string values only; the params schema reports other types). */
export function playbookRefs(workflows: Pick<Workflows, "blueprints">): PlaybookRef[] {
  const refs: PlaybookRef[] = [];
  for (const bp of workflows.blueprints.values()) {
    bp.steps.forEach((step, i) => {
      // Compared as a string: the action's schema is added to workflow-schemas.ts separately.
      if ((step.action as string) !== PLAYBOOK_ACTION) return;
      const playbook = (step.params as { playbook?: unknown } | undefined)?.playbook;
      if (typeof playbook !== "string") return;
      const path = ["spec", "steps", i, "params", "playbook"];
      refs.push({ playbook, at: { file: bp.src.file, ...bp.src.spanAt(path) }, blueprint: bp.name, step: step.name });
    });
  }
  return refs;
}

/** The site path a step's playbook names, or why it cannot name one. */
export function playbookPath(playbook: string): { path: string } | { problem: string } {
  const path = playbook.replace(/^\.\//, "");
  if (!path || path.startsWith("/") || path.includes("\\") || path.split("/").some((s) => s === ".." || s === "." || s === "")) {
    return { problem: `playbook '${playbook}' must be a path inside the site, relative to its root (e.g. playbooks/site.yml)` };
  }
  return { path };
}

/** Errors at each `playbook:` that is outside the site, not Ansible content, or missing. */
export function playbookDiagnostics(files: readonly SiteFile[], workflows: Pick<Workflows, "blueprints">): Diagnostic[] {
  const out: Diagnostic[] = [];
  const paths = new Set(files.map((f) => f.path));
  const error = (ref: PlaybookRef, message: string) => out.push({ ...ref.at, severity: "error", message });
  for (const ref of playbookRefs(workflows)) {
    // A template is rendered per run: there is no one file to look for now.
    if (ref.playbook.includes("{{") || ref.playbook.includes("{%")) continue;
    const named = playbookPath(ref.playbook);
    if ("problem" in named) {
      error(ref, named.problem);
      continue;
    }
    const { path } = named;
    if (!/\.ya?ml$/i.test(path)) error(ref, `playbook '${path}' must be a YAML file (.yml or .yaml)`);
    else if (siteFileKind(path) !== "ansible") {
      const where = paths.has(path) ? "is a Flightdeck document" : "would be a Flightdeck document";
      error(ref, `playbook '${path}' ${where}, not Ansible content: keep playbooks under playbooks/ (Ansible content is playbooks/, roles/, collections/, ansible/)`);
    } else if (!paths.has(path)) {
      const candidates = [...paths].filter((p) => siteFileKind(p) === "ansible" && /\.ya?ml$/i.test(p) && !p.startsWith("roles/") && !p.startsWith("collections/"));
      error(ref, `playbook '${path}' does not exist in the site${didYouMean(path, candidates)}`);
    }
  }
  return out;
}
