"use client";

/**
 * The live state of one run in the browser. `runs.get` gives the frozen plan and the state the server folded
 * from the events up to `lastSeq`; a RunTracker goes on from there. Then the socket delivers new events,
 * which are queued and applied once per animation frame (so 1,000 hosts × 20 steps re-render the page at most 60 times a second, not once per event).
 * Events are applied strictly in `seq` order: duplicates (seq ≤ lastSeq) are ignored, and a gap (seq >
 * lastSeq + 1, e.g. after a reconnect) is filled from `runs.events({ after: lastSeq })` before going on.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { useTRPCClient, type RouterOutputs } from "~/components/trpc/react";
import { connect, watch, type FdSocket } from "~/components/trpc/socket";
import type { OutputChunk, RunEvent } from "~/server/engine/events";
// The tracker is pure and browser-safe (eslint.config.mjs allows exactly it and the event types).
import { RunTracker } from "~/server/engine/tracker";
import { RUN_ACTIVE } from "./states";

export type RunRow = RouterOutputs["runs"]["get"]["run"];
export type LiveChunk = OutputChunk & { t: number };

export interface Connection {
  state: "connecting" | "live" | "reconnecting";
  /** When the connection was lost (ms), for "reconnecting since HH:MM:SS". */
  since: number | null;
}

interface Api {
  get(id: number): Promise<RouterOutputs["runs"]["get"]>;
  events(id: number, after: number): Promise<RunEvent[]>;
}

/** Poll for missed events after this long without any (a safety net; the socket normally delivers them). */
const QUIET_MS = 10_000;

export class RunFeed {
  run: RunRow | null = null;
  /** The viewer's role on the run's site. */
  role: RouterOutputs["runs"]["get"]["role"] | null = null;
  tracker: RunTracker | null = null;
  error: unknown = null;
  lastSeq = 0;
  /** Bumps once per applied frame of events (and on connection changes): the React snapshot. */
  version = 0;
  /** Per host, bumps when one of its step or host states changed: rows re-render only then. */
  readonly hostVersions = new Map<string, number>();
  connection: Connection = { state: "connecting", since: null };
  /** Bumps on every reconnect: output views refetch what they may have missed. */
  epoch = 0;
  started = false;
  finished = false;
  /** Called when the server says this run's row changed (status, start, end). */
  onRunChanged: (() => void) | null = null;

  private queue: RunEvent[] = [];
  private frame = 0;
  private timer = 0;
  private loaded = false;
  private catching = false;
  private fruitless = 0;
  private heard = Date.now();
  private generation = 0;
  private socket: FdSocket | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly outputListeners = new Map<string, Set<(chunks: LiveChunk[]) => void>>();

  constructor(
    readonly id: number,
    readonly site: string,
    private readonly api: Api,
  ) {}

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = () => this.version;

  /** Live output chunks of one host (nothing is kept here: the log view fetches what came before). */
  subscribeOutput(host: string, listener: (chunks: LiveChunk[]) => void): () => void {
    let set = this.outputListeners.get(host);
    if (!set) this.outputListeners.set(host, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.outputListeners.delete(host);
    };
  }

  hostVersion(host: string): number {
    return this.hostVersions.get(host) ?? 0;
  }

  start(): () => void {
    const generation = ++this.generation;
    const alive = () => generation === this.generation;
    const socket = connect();
    this.socket = socket;
    let connectedOnce = false;
    socket.on("connect", () => {
      watch(socket, { run: this.id });
      watch(socket, { site: this.site });
      if (connectedOnce) {
        this.epoch++;
        this.onRunChanged?.();
      }
      // Whatever was stored between runs.get and joining the run's room never comes over the socket: fetch it.
      this.catchUp();
      connectedOnce = true;
      this.setConnection({ state: "live", since: null });
    });
    socket.on("disconnect", () => this.setConnection({ state: "reconnecting", since: this.connection.since ?? Date.now() }));
    socket.on("connect_error", () => {
      if (connectedOnce) this.setConnection({ state: "reconnecting", since: this.connection.since ?? Date.now() });
    });
    socket.on("run.events", (e) => {
      if (e.run !== this.id) return;
      this.heard = Date.now();
      for (const ev of e.events) this.queue.push(ev);
      this.schedule();
    });
    socket.on("run.output", (e) => {
      if (e.run !== this.id || !this.outputListeners.size) return;
      const byHost = new Map<string, LiveChunk[]>();
      for (const c of e.chunks) {
        if (!this.outputListeners.has(c.host)) continue;
        const list = byHost.get(c.host);
        if (list) list.push(c);
        else byHost.set(c.host, [c]);
      }
      for (const [host, chunks] of byHost) for (const l of this.outputListeners.get(host) ?? []) l(chunks);
    });
    socket.on("site.runs", (e) => {
      if (e.site === this.site && e.run === this.id) this.onRunChanged?.();
    });

    if (!this.tracker) {
      this.api.get(this.id).then(
        ({ run, snapshot, lastSeq, role }) => {
          if (!alive()) return;
          this.run = run;
          this.role = role;
          this.tracker = new RunTracker(run.plan, snapshot);
          this.lastSeq = Math.max(this.lastSeq, lastSeq);
          // Started: run.started was applied (a run waiting for approval has only run.status events so far).
          this.started = (snapshot.status === "running" && lastSeq > 0) || snapshot.stage !== null || ["succeeded", "failed", "interrupted"].includes(snapshot.status);
          // Waiting for approval, approved or running: more is to come.
          this.finished = !RUN_ACTIVE.has(snapshot.status);
          this.flush();
          this.loaded = true;
          if (socket.connected) this.catchUp();
          this.bump();
        },
        (e: unknown) => {
          if (!alive()) return;
          this.error = e;
          this.bump();
        },
      );
    }

    // A safety net: while the run is active and nothing was heard for a while, ask for what may have been missed.
    const poll = window.setInterval(() => {
      if (this.tracker && !this.finished && socket.connected && Date.now() - this.heard > QUIET_MS) {
        this.heard = Date.now();
        this.catchUp();
      }
    }, QUIET_MS / 2);

    return () => {
      clearInterval(poll);
      this.generation++;
      if (this.frame) cancelAnimationFrame(this.frame);
      if (this.timer) clearTimeout(this.timer);
      this.frame = this.timer = 0;
      socket.emit("run.unwatch", this.id);
      socket.disconnect();
      this.socket = null;
    };
  }

  private setConnection(c: Connection) {
    this.connection = c;
    this.bump();
  }

  private bump() {
    this.version++;
    for (const l of this.listeners) l();
  }

  private schedule() {
    if (this.frame || this.timer || !this.tracker) return;
    // Hidden tabs get no animation frames; a slow timer keeps the state current there.
    if (document.hidden) this.timer = window.setTimeout(() => this.flush(), 500);
    else this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Applies queued events in seq order up to the first gap; fetches the gap when there is one. */
  private flush() {
    if (this.frame) cancelAnimationFrame(this.frame);
    if (this.timer) clearTimeout(this.timer);
    this.frame = this.timer = 0;
    const tracker = this.tracker;
    if (!tracker || !this.queue.length) return;
    const q = this.queue;
    let sorted = true;
    for (let i = 1; i < q.length; i++) if (q[i]!.seq < q[i - 1]!.seq) { sorted = false; break; }
    if (!sorted) q.sort((a, b) => a.seq - b.seq);
    let changed = false;
    let i = 0;
    for (; i < q.length; i++) {
      const e = q[i]!;
      if (e.seq <= this.lastSeq) continue;
      if (e.seq > this.lastSeq + 1) break;
      tracker.apply(e);
      this.lastSeq = e.seq;
      changed = true;
      if (e.type === "step.status" || e.type === "host.status") this.hostVersions.set(e.host, (this.hostVersions.get(e.host) ?? 0) + 1);
      else if (e.type === "run.started") this.started = true;
      else if (e.type === "run.finished") {
        this.finished = true;
        if (this.loaded) this.onRunChanged?.();
      } else if (e.type === "run.status") {
        // Before execution: requested, approved, rejected, cancelled or superseded.
        if (!RUN_ACTIVE.has(e.status)) this.finished = true;
        if (this.loaded) this.onRunChanged?.();
      }
    }
    this.queue = i < q.length ? q.slice(i) : [];
    if (this.queue.length) this.catchUp();
    if (changed) this.bump();
  }

  /** Fetches what was missed (after a reconnect, or a gap in seq) and applies it. */
  private catchUp() {
    if (this.catching || !this.tracker) return;
    this.catching = true;
    const generation = this.generation;
    const after = this.lastSeq;
    this.api.events(this.id, after).then(
      (events) => {
        this.catching = false;
        if (generation !== this.generation) return;
        this.queue.push(...events);
        if (events.some((e) => e.seq === after + 1)) this.fruitless = 0;
        else if (this.queue.length && ++this.fruitless >= 3) {
          // The server does not have the missing events (it stores before it broadcasts, so this should not
          // happen): rather than stall, go on from what is queued.
          this.fruitless = 0;
          this.lastSeq = Math.min(...this.queue.map((e) => e.seq)) - 1;
        } else if (this.queue.length) {
          window.setTimeout(() => generation === this.generation && this.catchUp(), 1000);
          return;
        }
        this.flush();
      },
      () => {
        this.catching = false;
        // Try again shortly; the socket's reconnect also triggers a catch-up.
        window.setTimeout(() => generation === this.generation && this.catchUp(), 2000);
      },
    );
  }
}

/** The run's feed for a component tree: started on mount, stopped on unmount; re-renders once per frame. */
export function useRunFeed(id: number, site: string): RunFeed {
  const client = useTRPCClient();
  const feed = useMemo(
    () =>
      new RunFeed(id, site, {
        get: (run) => client.runs.get.query({ id: run }),
        events: (run, after) => client.runs.events.query({ id: run, after }),
      }),
    [id, site, client],
  );
  useEffect(() => feed.start(), [feed]);
  useSyncExternalStore(feed.subscribe, feed.getVersion, feed.getVersion);
  return feed;
}
