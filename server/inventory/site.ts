/** A loaded site: its documents, model, diagnostics and resolver. Loading never throws on bad input. */
import type { SiteDesign } from "./design";
import { buildDesign } from "./design-check";
import { sortDiagnostics, type Diagnostic } from "./diagnostics";
import { buildModel, type SiteModel } from "./model";
import { playbookDiagnostics } from "./playbooks";
import { Resolver, siblingConflicts, type ExplainedHost, type ResolvedHost } from "./resolve";
import { secretReferenceDiagnostics } from "./secret-refs";
import { buildReactions, type ReactionDef } from "./reactions";
import { parseSite, type SiteFile, type SourceDoc } from "./source";
import { validateDocs } from "./validate";
import { buildWorkflows, type Workflows } from "./workflows";
import { buildSchedules, type SiteSchedules } from "../schedules/lint";

export interface Site {
  files: readonly SiteFile[];
  docs: readonly SourceDoc[];
  model: SiteModel;
  diagnostics: Diagnostic[];
  resolver: Resolver;
  workflows: Workflows;
  /** MAAS regions, networks and hardware profiles (empty maps when the site has no design documents). */
  design: SiteDesign;
  /** Reaction documents by name (server/events/reactions acts on them). */
  reactions: Map<string, ReactionDef>;
  /** Schedules and maintenance windows (server/schedules). */
  schedules: SiteSchedules;
}

export function loadSite(files: readonly SiteFile[]): Site {
  const parsed = parseSite(files);
  const validated = validateDocs(parsed.docs);
  const built = buildModel(validated.valid);
  const resolver = new Resolver(built.model);
  const { diagnostics: workflowDiagnostics, ...workflows } = buildWorkflows(validated.valid, built.model, resolver);
  const design = buildDesign(validated.valid, built.model, resolver);
  const { diagnostics: scheduleDiagnostics, ...schedules } = buildSchedules(validated.valid, workflows, built.model, resolver);
  const reactions = buildReactions(validated.valid, built.model, resolver, workflows);
  const diagnostics = sortDiagnostics([
    ...parsed.diagnostics,
    ...validated.diagnostics,
    ...built.diagnostics,
    ...siblingConflicts(built.model, resolver),
    ...workflowDiagnostics,
    ...design.diagnostics,
    ...scheduleDiagnostics,
    ...reactions.diagnostics,
    ...secretReferenceDiagnostics(files, built.model, design.secretReferences),
    ...playbookDiagnostics(files, workflows),
  ]);
  return { files, docs: parsed.docs, model: built.model, diagnostics, resolver, workflows, design: design.design, reactions: reactions.reactions, schedules };
}

/** Every host resolved (it needs only the model and the resolver of a site). */
export function resolveAll(site: Pick<Site, "model" | "resolver">): Record<string, ResolvedHost>;
export function resolveAll(site: Pick<Site, "model" | "resolver">, explain: true): Record<string, ExplainedHost>;
export function resolveAll(site: Pick<Site, "model" | "resolver">, explain = false): Record<string, ResolvedHost | ExplainedHost> {
  const out: Record<string, ResolvedHost | ExplainedHost> = {};
  for (const name of site.model.hosts.keys()) out[name] = explain ? site.resolver.resolve(name, true) : site.resolver.resolve(name);
  return out;
}
