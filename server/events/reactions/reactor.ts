/**
 * What events cause: each event is matched against the reactions of its site's newest revision; for each match
 * the limiter decides (in one transaction on the reaction's state, so a decision to fire is taken once across
 * processes) and a fire requests a run of the reaction's deployment, approved by Flightdeck itself when the
 * reaction says `approval: auto` and the site allows it. Due `wait_for_more` waits fire from `fireDueWaits`
 * (./loop.ts calls it). Every decision is said in the event's outcome, never thrown.
 */
import { AuditLog } from "../../auth/audit";
import type { TemplateEvent } from "../../engine/render";
import { selectHosts, type Site } from "../../inventory";
import { conditionSource, type ReactionDef } from "../../inventory/reactions";
import type { RunService } from "../../runs/service";
import { notify } from "../../notify";
import { loadRevision } from "../../site-cache";
import type { Store } from "../../store/types";
import { compileTemplate, TemplateError, type Template } from "../../template";
import { updateOutcome, type HubDeps } from "../hub";
import type { EventOutcome, ReactionKey, StoredEvent } from "../types";
import { claimWait, duration, occur, type Condition, type Decision } from "./limiter";
import { hostFromLabel, matches } from "./match";

export interface ReactorDeps {
  store: Pick<Store, "sites" | "events" | "audit" | "runs" | "notifications">;
  runner: Pick<RunService, "launch">;
  /** How outcomes decided later (a wait that fired) reach the event and the Events page. */
  hub: HubDeps;
  /** The clock (tests inject one). */
  now?: () => number;
  log?: (line: string) => void;
}

/** Who requests a reaction's runs (its runs' requestedBy, the audit's actor). */
export const reactionActor = (name: string) => `reaction:${name}`;

export class Reactor {
  private readonly audit: AuditLog;
  private readonly conditions = new Map<string, Template>();

  constructor(private readonly deps: ReactorDeps) {
    this.audit = new AuditLog(deps.store.audit);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The reactor the hub calls for each new event: one outcome per reaction it matched. */
  readonly react = async (event: StoredEvent): Promise<EventOutcome[]> => {
    const { site } = await loadRevision(this.deps.store.sites, event.site);
    const outcomes: EventOutcome[] = [];
    for (const def of site.reactions.values()) {
      if (!matches(def, event)) continue;
      // A reaction is not fed by the events of its own runs (a run finished that reacts by running again, forever).
      if (event.source === "flightdeck" && event.labels.requested_by === reactionActor(def.name)) {
        outcomes.push({ reaction: def.name, result: "no_match", detail: "an event of a run this reaction requested" });
        continue;
      }
      outcomes.push(await this.handle(site, def, event).catch((e: unknown) => ({ reaction: def.name, result: "error" as const, detail: message(e) })));
    }
    return outcomes;
  };

  private async handle(site: Site, def: ReactionDef, event: StoredEvent): Promise<EventOutcome> {
    const host = this.targetHost(site, def, event);
    if (typeof host === "object") return { reaction: def.name, result: "error", detail: host.error };
    const key: ReactionKey = { site: event.site, reaction: def.name, key: host ?? "" };
    const now = this.now();
    const condition = this.condition(def, event);
    const decision = await this.deps.store.events.updateReactionState(key, (current) => {
      const { state, decision } = occur(current, def.limit, event.id, now, condition);
      return { state, result: decision };
    });
    if (decision.kind === "fire") return this.fire(site, def, event, host, decision.occurrences);
    if (decision.kind === "waiting" && decision.replaced !== undefined) await this.superseded(event.site, def.name, decision.replaced, event.id);
    return outcomeOf(def, decision);
  }

  /** The event a wait would have fired for no longer waits (a newer one does): its outcome stops counting down. */
  private async superseded(site: string, reaction: string, id: number, by: number) {
    try {
      const old = await this.deps.store.events.get(site, id);
      const outcome = old.outcome.map((o): EventOutcome => (o.reaction === reaction && o.result === "waiting" ? { reaction, result: "matched", detail: `counted; the wait for more continues with event #${by}` } : o));
      await updateOutcome(this.deps.hub, old, outcome);
    } catch (e) {
      this.deps.log?.(`reaction ${reaction}: cannot update event ${id}: ${message(e)}`);
    }
  }

  /** The host `targets_from_label` names (undefined: the reaction has none), or why there is none. */
  private targetHost(site: Site, def: ReactionDef, event: StoredEvent): string | undefined | { error: string } {
    const label = def.run.targetsFromLabel;
    if (label === undefined) return undefined;
    const value = event.labels[label];
    if (value === undefined) return { error: `the event has no label '${label}' (targets_from_label)` };
    return hostFromLabel(site, value) ?? { error: `label ${label}='${value}' names no host of the site (by name or address)` };
  }

  private condition(def: ReactionDef, event: StoredEvent): Condition {
    const when = def.when;
    if (when === undefined) return () => true;
    let template = this.conditions.get(when);
    return (occurrences) => {
      try {
        if (!template) {
          template = compileTemplate(conditionSource(when));
          if (this.conditions.size > 500) this.conditions.clear();
          this.conditions.set(when, template);
        }
        return template.render({ event: templateEvent(event, occurrences) }) === "1";
      } catch (e) {
        if (e instanceof TemplateError) return { error: `when: ${e.message}` };
        throw e;
      }
    };
  }

  /** Requests the reaction's run for `event` (and approves it when the reaction and the site say so). */
  private async fire(site: Site, def: ReactionDef, event: StoredEvent, host: string | undefined, occurrences: number): Promise<EventOutcome> {
    const { runner } = this.deps;
    const actor = reactionActor(def.name);
    let limit: string[] | undefined = def.run.targets && selectHosts(site.model, site.resolver, def.run.targets);
    if (host !== undefined) {
      if (limit && !limit.includes(host)) return { reaction: def.name, result: "error", detail: `host '${host}' is not among the reaction's targets (${def.run.targets!.join(", ")})` };
      limit = [host];
    }
    const approval = await this.approval(def, event.site);
    let runId: number;
    try {
      runId = await runner.launch({
        site: event.site,
        deployment: def.run.deployment,
        requestedBy: actor,
        requestedById: null,
        reason: `reaction ${def.name} on event #${event.id}`,
        limit,
        event: templateEvent(event, occurrences),
        approvedAs: approval.auto ? { by: actor, message: `approved automatically: reaction ${def.name} says approval: auto and the site allows it` } : undefined,
      });
    } catch (e) {
      return { reaction: def.name, result: "error", detail: `fired, but the run could not be requested: ${message(e)}` };
    }
    await this.audit.record({ name: actor }, { action: "run.requested", site: event.site, target: `run ${runId}`, detail: { deployment: def.run.deployment, reaction: def.name, event: event.id } });
    if (approval.auto) await this.audit.record({ name: actor }, { action: "run.approved", site: event.site, target: `run ${runId}`, detail: { automatic: true, reaction: def.name } });
    // Never throws: a notification that cannot be queued is logged, the run stands.
    await notify({ store: this.deps.store, now: this.deps.now, log: this.deps.log }, { site: event.site, kind: "reaction_fired", run: runId, reaction: { name: def.name, event: { id: event.id, name: event.name } } });
    const requested = `requested run #${runId} of ${def.run.deployment}${host ? ` on ${host}` : ""}`;
    return { reaction: def.name, result: "fired", runId, detail: requested + approval.detail };
  }

  /**
   * Whether the reaction's run is approved as it is requested (`approval: auto` on a site whose event settings
   * allow it), and how the outcome says what happens to it. A site that needs no approval runs it either way.
   */
  private async approval(def: ReactionDef, site: string): Promise<{ auto: boolean; detail: string }> {
    const { store } = this.deps;
    if ((await store.sites.get(site)).approvalsRequired === 0) return { auto: false, detail: "" };
    if (def.approval !== "auto") return { auto: false, detail: "; it waits for reviewers" };
    if (!(await store.events.settings(site)).allowAutoApproval) return { auto: false, detail: "; approval: auto, but the site's event settings do not allow automatic approval: it waits for reviewers" };
    return { auto: true, detail: ", approved automatically" };
  }

  /**
   * Fires the `wait_for_more` waits due at `now` (each claimed in one transaction: it fires once whatever the
   * number of processes) and rewrites the outcome of the event each fired for. Returns how many fired here.
   */
  async fireDueWaits(now: number): Promise<number> {
    const { store } = this.deps;
    let fired = 0;
    for (const due of await store.events.dueWaits(now)) {
      try {
        const key: ReactionKey = { site: due.site, reaction: due.reaction, key: due.key };
        const { site } = await loadRevision(store.sites, due.site);
        const def = site.reactions.get(due.reaction);
        const claim = await store.events.updateReactionState(key, (current) => {
          const c = claimWait(current, due.waitUntil, now);
          // A reaction removed (or disabled) since: its wait ends without a run.
          if (c.fire && (!def || !def.enabled)) return { state: { ...c.state!, lastFiredAt: current!.lastFiredAt }, result: { ...c.fire, gone: true } };
          return { state: c.state, result: c.fire && { ...c.fire, gone: false } };
        });
        if (!claim) continue;
        const event = await store.events.get(due.site, claim.eventId);
        let outcome: EventOutcome;
        if (claim.gone || !def) outcome = { reaction: due.reaction, result: "error", detail: "the reaction was removed or disabled while it waited for more" };
        else {
          const host = this.targetHost(site, def, event);
          outcome = typeof host === "object" ? { reaction: def.name, result: "error", detail: host.error } : await this.fire(site, def, event, host, claim.occurrences);
          if (outcome.result === "fired") fired++;
        }
        const others = event.outcome.filter((o) => o.reaction !== due.reaction);
        await updateOutcome(this.deps.hub, event, [...others, outcome]);
      } catch (e) {
        this.deps.log?.(`reaction ${due.reaction} (site ${due.site}): its wait could not fire: ${message(e)}`);
      }
    }
    return fired;
  }
}

function outcomeOf(def: ReactionDef, d: Exclude<Decision, { kind: "fire" }>): EventOutcome {
  const reaction = def.name;
  switch (d.kind) {
    case "condition_false":
      return { reaction, result: "condition_false", detail: `when (${def.when}) is false with ${d.occurrences} occurrence${d.occurrences === 1 ? "" : "s"}` };
    case "condition_error":
      return { reaction, result: "error", detail: d.error };
    case "counted": {
      const within = def.limit.withinMs === undefined ? " since the last reaction" : ` within ${duration(def.limit.withinMs)}`;
      return { reaction, result: "matched", detail: `held by min_occurrences: ${d.occurrences} of ${d.needed}${within}` };
    }
    case "held":
    case "waiting":
      return { reaction, result: d.kind, until: d.until, detail: d.detail };
  }
}

/** `event` as templates see it. */
export function templateEvent(event: StoredEvent, occurrences: number): TemplateEvent {
  return { name: event.name, labels: event.labels, data: event.data, occurrences };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
