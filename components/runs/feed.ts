"use client";

/**
 * The live state of one run in the browser, for the run page and the kiosk alike. `source.get` gives the frozen
 * plan and the state the server folded from the events up to `lastSeq`; a RunTracker goes on from there. Then the
 * feed's own socket (from `source.connect`) delivers new events, which are queued and applied once per animation
 * frame (so 1,000 hosts × 20 steps re-render the page at most 60 times a second, not once per event).
 * Events are applied strictly in `seq` order: duplicates (seq ≤ lastSeq) are ignored, and a gap (seq >
 * lastSeq + 1, e.g. after a reconnect) is filled from `source.events(after lastSeq)` before going on, so the page
 * never shows a state the server does not hold. After a reconnect the run's room is joined again and what was
 * stored meanwhile is fetched; without a socket (the server away, websockets blocked) the events are polled.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { retryable } from "~/components/trpc/auth-redirect";
import { LiveStore } from "~/components/trpc/live-store";
import { useTRPCClient, type RouterOutputs } from "~/components/trpc/react";
import { connect, watch, type FdSocket } from "~/components/trpc/socket";
import type { OutputChunk, RunEvent } from "~/server/engine/events";
// The tracker is pure and browser-safe (eslint.config.mjs allows exactly it and the event types).
import { RunTracker, type RunSnapshot } from "~/server/engine/tracker";
import { RUN_ACTIVE } from "./states";

export type RunRow = RouterOutputs["runs"]["get"]["run"];
export type LiveChunk = OutputChunk & { t: number };

/** Where a feed gets its run: the signed-in user's session (`runs.*`), or a kiosk's token (`kiosk.*`). */
export interface RunSource {
  /** A new socket for one feed, which closes it when it stops; `alive` says whether the feed still runs. */
  connect(alive: () => boolean): FdSocket;
  /** The run, and its state folded from the stored events up to `lastSeq`. */
  get(id: number): Promise<{ run: RunRow; snapshot: RunSnapshot; lastSeq: number; role?: RouterOutputs["runs"]["get"]["role"] }>;
  /** The stored events after `after`, in seq order. */
  events(id: number, after: number): Promise<RunEvent[]>;
}

/** Fetch what may have been missed after this long without an event (the socket normally delivers them). */
const QUIET_MS = 10_000;

/** `version` bumps once per applied frame of events (and on connection changes). */
export class RunFeed extends LiveStore {
  run: RunRow | null = null;
  /** The viewer's role on the run's site (none for a kiosk). */
  role: RouterOutputs["runs"]["get"]["role"] | null = null;
  tracker: RunTracker | null = null;
  /** Why the run cannot be shown (no such run, not allowed); failures that may pass are retried instead. */
  error: unknown = null;
  lastSeq = 0;
  /** Per host, bumps when one of its step or host states changed: rows re-render only then. */
  readonly hostVersions = new Map<string, number>();
  /** Bumps on every reconnect: output views refetch what they may have missed. */
  epoch = 0;
  started = false;
  finished = false;
  /** Called when the run's row changed (status, start, end), as the server or the events say. */
  onRunChanged: (() => void) | null = null;

  private queue: RunEvent[] = [];
  private frame = 0;
  private timer = 0;
  private loaded = false;
  private catching = false;
  /** A catch-up was asked for while one was under way: another follows it. */
  private catchAgain = false;
  /** A catch-up scheduled after a failure (one at a time, however often one is asked for). */
  private retry = 0;
  private fruitless = 0;
  private heard = Date.now();
  private generation = 0;
  private readonly outputListeners = new Map<string, Set<(chunks: LiveChunk[]) => void>>();

  /** `site`: the site whose room says when the run's row changes (null for a kiosk: its board's room says so). */
  constructor(
    readonly id: number,
    readonly site: string | null,
    private readonly source: RunSource,
  ) {
    super();
  }

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
    const socket = this.source.connect(alive);
    let connectedOnce = false;
    socket.on("connect", () => {
      // Whatever was stored before the join never comes over the socket: fetch it once in the room.
      watch(socket, { run: this.id }, () => alive() && this.catchUp());
      if (this.site !== null) watch(socket, { site: this.site });
      if (connectedOnce) {
        this.epoch++;
        this.onRunChanged?.();
      }
      connectedOnce = true;
      this.connected();
    });
    socket.on("disconnect", () => this.disconnected());
    socket.on("connect_error", () => {
      if (connectedOnce) this.disconnected();
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

    if (!this.tracker) this.load(socket, alive);

    // A safety net: while the run is active and nothing was heard for a while (a quiet socket, or none at all),
    // ask for what may have been missed.
    const poll = window.setInterval(() => {
      if (this.tracker && !this.finished && Date.now() - this.heard > QUIET_MS) {
        this.heard = Date.now();
        this.catchUp();
      }
    }, QUIET_MS / 2);

    return () => {
      clearInterval(poll);
      this.generation++;
      if (this.frame) cancelAnimationFrame(this.frame);
      clearTimeout(this.timer);
      clearTimeout(this.retry);
      this.frame = this.timer = this.retry = 0;
      socket.emit("run.unwatch", this.id);
      socket.disconnect();
    };
  }

  /** Fetches what was missed (after joining the run's room, a gap in seq, a quiet while) and applies it. */
  catchUp() {
    if (!this.tracker) return;
    if (this.catching) {
      this.catchAgain = true;
      return;
    }
    clearTimeout(this.retry);
    this.retry = 0;
    this.catching = true;
    this.catchAgain = false;
    const generation = this.generation;
    const after = this.lastSeq;
    this.source.events(this.id, after).then(
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
          this.retryLater(1000);
          return;
        }
        this.flush();
        // Asked again meanwhile (and the flush did not start one): what came since may not be in yet.
        if (this.catchAgain) this.catchUp();
      },
      () => {
        this.catching = false;
        if (generation !== this.generation) return;
        // Try again shortly; a reconnect also triggers a catch-up.
        this.retryLater(2000);
      },
    );
  }

  /** The run and its state so far; failures that may pass (the server away) are retried. */
  private load(socket: FdSocket, alive: () => boolean) {
    this.source.get(this.id).then(
      ({ run, snapshot, lastSeq, role }) => {
        if (!alive()) return;
        this.run = run;
        this.role = role ?? null;
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
        if (retryable(e)) {
          window.setTimeout(() => alive() && this.load(socket, alive), 3000);
          return;
        }
        this.error = e;
        this.bump();
      },
    );
  }

  private retryLater(ms: number) {
    if (this.retry) return;
    const generation = this.generation;
    this.retry = window.setTimeout(() => {
      this.retry = 0;
      if (generation === this.generation) this.catchUp();
    }, ms);
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
    clearTimeout(this.timer);
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
}

/** The run's feed for a component tree, over the user's session: started on mount, stopped on unmount; re-renders once per frame. */
export function useRunFeed(id: number, site: string): RunFeed {
  const client = useTRPCClient();
  const feed = useMemo(
    () =>
      new RunFeed(id, site, {
        connect: (alive) => connect({ alive }),
        get: (run) => client.runs.get.query({ id: run }),
        events: (run, after) => client.runs.events.query({ id: run, after }),
      }),
    [id, site, client],
  );
  useEffect(() => feed.start(), [feed]);
  useSyncExternalStore(feed.subscribe, feed.getVersion, feed.getVersion);
  return feed;
}
