/**
 * Flightdeck's own events, from the process that executes a run: a step failed (`flightdeck/failure/step`), a
 * host unreachable (`flightdeck/host/unreachable`), a run finished (`flightdeck/run/finished`). They enter the
 * site's event stream through the hub like any other (stored, reacted to, shown live), but never slow or fail
 * the run: the sink only queues them, and a flush records the queue one event after another off the run's path;
 * an event that cannot be recorded is logged and dropped.
 */
import type { EngineEvent, EventSink, OutputChunk } from "../engine";
import { EVENT_LIMITS, type SiteEventInput } from "./types";
import { hubDeps, recordEvent, type HubDeps } from "./hub";

/** What the labels say of the run an event comes from. */
export interface OwnRun {
  id: number;
  site: string;
  deployment: string;
  requestedBy: string;
}

/** Events queued beyond this are dropped (said once in the log): a run failing everywhere must not fill memory. */
const MAX_QUEUED = 1000;

export class OwnEvents {
  private queue: { site: string; input: SiteEventInput }[] = [];
  private flushing: Promise<void> | undefined;
  private dropped = 0;

  constructor(
    private readonly hub: HubDeps,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  /** A sink that passes everything to `sink` and queues the run's own events. */
  tap(run: OwnRun, sink: EventSink): EventSink {
    const unreachable = new Set<string>();
    return {
      event: (event: EngineEvent) => {
        sink.event(event);
        const input = ownEvent(run, event, unreachable);
        if (input) this.push(run.site, input);
      },
      output: (chunk: OutputChunk) => sink.output(chunk),
    };
  }

  private push(site: string, input: SiteEventInput) {
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.log(`flightdeck events: more than ${MAX_QUEUED} waiting to be recorded; dropping the newest`);
      return;
    }
    this.queue.push({ site, input });
    // Off the run's path: the next turn of the event loop, not the engine's call.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Records everything queued (tests await it; the queue also drains by itself). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        try {
          await recordEvent(this.hub, item.site, "flightdeck", "flightdeck", item.input);
        } catch (e) {
          this.log(`flightdeck event ${item.input.name} of site ${item.site} not recorded: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      this.dropped = 0;
      this.flushing = undefined;
    }
  }
}

const BY_STORE = new WeakMap<object, OwnEvents>();

/** The process's recorder of own events for a store (one queue per store, so events keep their order). */
export function ownEventsOf(svc: Parameters<typeof hubDeps>[0]): OwnEvents {
  let own = BY_STORE.get(svc.store);
  if (!own) BY_STORE.set(svc.store, (own = new OwnEvents(hubDeps(svc))));
  return own;
}

/** The own event an engine event is, if any (`unreachable`: hosts already said unreachable in this run). */
export function ownEvent(run: OwnRun, event: EngineEvent, unreachable: Set<string>): SiteEventInput | undefined {
  const labels = (more: Record<string, string>) => clip({ run: String(run.id), deployment: run.deployment, requested_by: run.requestedBy, ...more });
  if (event.type === "step.status" && event.status === "failed") {
    return {
      name: "flightdeck/failure/step",
      labels: labels({ host: event.host, step: event.step }),
      data: { message: event.message ?? null, exitCode: event.exitCode ?? null, attempt: event.attempt ?? null },
    };
  }
  if ((event.type === "step.status" || event.type === "host.status") && event.status === "unreachable" && !unreachable.has(event.host)) {
    unreachable.add(event.host);
    return { name: "flightdeck/host/unreachable", labels: labels({ host: event.host }), data: { message: event.message ?? null } };
  }
  if (event.type === "run.finished") {
    return { name: "flightdeck/run/finished", labels: labels({ status: event.status }), data: { message: event.message ?? null } };
  }
  return undefined;
}

/** Labels within the event limits (a step name may be long). */
function clip(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, v.slice(0, EVENT_LIMITS.labelValueChars)]));
}
