/**
 * Reactions, read from validated `reaction` documents and checked against the site: unique names, a deployment
 * that exists, targets that match, a `when` that parses and reads only `event`. What they do with events is
 * server/events/reactions' business; this is what lint and the reactor both read.
 */
import { compileTemplate, TemplateSyntaxError } from "../template";
import { didYouMean } from "../template/suggest";
import type { Diagnostic } from "./diagnostics";
import type { Place, SiteModel } from "./model";
import type { ReactionSpec } from "./reaction-schemas";
import type { Resolver } from "./resolve";
import { globToRegExp, matchTarget } from "./targets";
import type { ValidDoc } from "./validate";
import { durationMs } from "./workflow-schemas";
import type { Workflows } from "./workflows";

export interface ReactionDef extends Place {
  name: string;
  enabled: boolean;
  /** The event name glob, as written and compiled. */
  event: { glob: string; pattern: RegExp };
  labels: { key: string; glob: string; pattern: RegExp }[];
  /** The condition's expression (without braces), if any. */
  when?: string;
  limit: { minOccurrences: number; withinMs?: number; reReactDelayMs?: number; waitForMore?: { timeoutMs: number; resetOnMore: boolean } };
  run: { deployment: string; targetsFromLabel?: string; targets?: string[] };
  approval: "auto" | "required";
}

/** What `event` holds in a reaction's `when` and in the templates of the runs it starts. */
export const EVENT_FIELDS = ["name", "labels", "data", "occurrences"] as const;

/** A condition as written (`event.x > 1` or `{{ event.x > 1 }}`) as the expression alone. */
export function conditionExpression(when: string): string {
  return when.trim().replace(/^\{\{([\s\S]*)\}\}$/, "$1").trim();
}

/** The template that renders "1" when the condition holds (the engine's `when` works the same way). */
export function conditionSource(when: string): string {
  return `{% if ${conditionExpression(when)} %}1{% endif %}`;
}

export function buildReactions(docs: readonly ValidDoc[], model: SiteModel, resolver: Resolver, workflows: Workflows): { reactions: Map<string, ReactionDef>; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const reactions = new Map<string, ReactionDef>();
  const firsts = new Map<string, Place>();
  for (const { src, kind, value, invalid } of docs) {
    if (kind !== "reaction") continue;
    const spec = value.spec as ReactionSpec;
    // A spec with a bad field is left out, but its other fields are still checked: one lint pass says everything.
    if (typeof spec.name === "string") {
      const first = firsts.get(spec.name);
      if (first) {
        diagnostics.push(src.diagnostic(["spec", "name"], "error", `duplicate reaction '${spec.name}' (first defined at ${first.src.where(["spec", "name"])})`));
        continue;
      }
      firsts.set(spec.name, { src, path: ["spec"] });
    }
    diagnostics.push(...checkReferences({ src, path: ["spec"] }, spec, model, resolver, workflows));
    if (invalid.has("spec")) continue;
    reactions.set(spec.name, {
      src,
      path: ["spec"],
      name: spec.name,
      enabled: spec.enabled ?? true,
      event: { glob: spec.on.event, pattern: globToRegExp(spec.on.event) },
      labels: Object.entries(spec.on.labels ?? {}).map(([key, v]) => ({ key, glob: String(v), pattern: globToRegExp(String(v)) })),
      when: spec.when === undefined ? undefined : conditionExpression(spec.when),
      limit: {
        minOccurrences: spec.limit?.min_occurrences ?? 1,
        withinMs: spec.limit?.within === undefined ? undefined : durationMs(spec.limit.within),
        reReactDelayMs: spec.limit?.re_react_delay === undefined ? undefined : durationMs(spec.limit.re_react_delay),
        waitForMore: spec.limit?.wait_for_more && { timeoutMs: durationMs(spec.limit.wait_for_more.timeout), resetOnMore: spec.limit.wait_for_more.reset_on_more ?? false },
      },
      run: { deployment: spec.run.deployment, targetsFromLabel: spec.run.targets_from_label, targets: spec.run.targets },
      approval: spec.approval ?? "required",
    });
  }
  return { reactions, diagnostics };
}

/** What a spec names must exist (checked on whichever of its fields have the right type). */
function checkReferences(at: Place, spec: Partial<ReactionSpec>, model: SiteModel, resolver: Resolver, workflows: Workflows): Diagnostic[] {
  const out: Diagnostic[] = [];
  const run = (spec.run ?? {}) as Partial<ReactionSpec["run"]>;
  if (typeof run.deployment === "string" && !workflows.deployments.has(run.deployment)) {
    out.push(at.src.diagnostic(["spec", "run", "deployment"], "error", `deployment '${run.deployment}' does not exist${didYouMean(run.deployment, workflows.deployments.keys())}`));
  }
  if (Array.isArray(run.targets)) {
    run.targets.forEach((t, i) => {
      if (typeof t === "string" && matchTarget(model, resolver, t).length === 0) out.push(at.src.diagnostic(["spec", "run", "targets", i], "error", `target '${t}' matches no host`));
    });
  }
  const limit = (spec.limit ?? {}) as Partial<ReactionSpec["limit"] & object>;
  if (typeof limit.min_occurrences === "number" && limit.min_occurrences > 1 && limit.within === undefined) {
    out.push(at.src.diagnostic(["spec", "limit", "min_occurrences"], "warning", "min_occurrences without 'within' counts every occurrence since the last reaction, however old; give a window such as within: 5m"));
  }
  if (typeof spec.when === "string") out.push(...checkWhen(at, spec.when));
  return out;
}

/** `when` must parse and read only `event`'s fields. */
function checkWhen(def: Place, written: string): Diagnostic[] {
  const where = ["spec", "when"];
  let refs;
  try {
    refs = compileTemplate(conditionSource(written)).references();
  } catch (e) {
    if (!(e instanceof TemplateSyntaxError)) throw e;
    return [def.src.diagnostic(where, "error", `when: ${e.reason}`)];
  }
  const out: Diagnostic[] = [];
  for (const ref of refs) {
    if (ref.guarded) continue;
    const [root, field] = ref.path;
    if (root !== "event") {
      out.push(def.src.diagnostic(where, "error", `when: '${String(root)}' is undefined${didYouMean(String(root), ["event"])}; a reaction's condition sees only event (${EVENT_FIELDS.join(", ")})`));
    } else if (typeof field === "string" && !(EVENT_FIELDS as readonly string[]).includes(field)) {
      out.push(def.src.diagnostic(where, "error", `when: 'event.${field}' is undefined${didYouMean(field, EVENT_FIELDS)}; event has ${EVENT_FIELDS.join(", ")}`));
    }
  }
  return out;
}
