"use client";

/**
 * The live state of a kiosk board, for a wall screen that nobody touches. One socket (authenticated with the
 * board's kiosk token) joins the board's room, which says when a run of the board's sites is created or
 * changes status, and the room of every active run, whose events fold into a RunTracker per run, in `seq`
 * order, with gaps fetched from `kiosk.events` (the catch-up logic of components/runs/feed.ts, per run).
 *
 * When the connection drops (network, server restart) the socket reconnects by itself; on every reconnect
 * the board is fetched again, the rooms are joined again and each run resumes from its `lastSeq`. A safety
 * net refetches the board every 30 s whatever the socket says. A refused token ends in `denied`.
 */
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { io, type Socket } from "socket.io-client";
import type { RouterOutputs } from "~/components/trpc/react";
import type { AppRouter } from "~/server/api/root";
import type { ClientToServerEvents, ServerToClientEvents } from "~/server/broadcaster";
import type { RunEvent, RunStatus } from "~/server/engine/events";
import { RunTracker } from "~/server/engine/tracker";

export type BoardData = RouterOutputs["kiosk"]["board"];
export type RunSummary = BoardData["active"][number];
export type KioskRunRow = RouterOutputs["kiosk"]["run"]["run"];

export interface Connection {
  state: "connecting" | "live" | "reconnecting";
  /** When the connection was lost (ms), for "Reconnecting… since HH:MM:SS". */
  since: number | null;
}

const ACTIVE: ReadonlySet<RunStatus> = new Set(["awaiting_approval", "approved", "running"]);
/** A run that ends while on screen stays there this long, so the room sees how it ended. */
export const LINGER_MS = 45_000;
const BOARD_POLL_MS = 30_000;
/** Ask for missed events after this long without any while a run is active. */
const QUIET_MS = 10_000;

/** One run followed live. */
export class LiveRun {
  run: KioskRunRow | null = null;
  tracker: RunTracker | null = null;
  lastSeq = 0;
  /** When this screen saw the run end (ms), for the linger; null while it runs or when it was over before. */
  endedAt: number | null = null;
  queue: RunEvent[] = [];
  catching = false;
  /** A catch-up scheduled after a failure (one at a time, however often one is asked for). */
  retry = 0;
  loading = false;
  heard = Date.now();
  private fruitless = 0;

  constructor(readonly id: number) {}

  get finished(): boolean {
    return this.tracker !== null && this.lastSeq > 0 && !ACTIVE.has(this.tracker.snapshot.status);
  }

  /** Applies queued events in seq order up to the first gap; true when something changed, "gap" when events are missing. */
  apply(): boolean | "gap" {
    const tracker = this.tracker;
    if (!tracker || !this.queue.length) return false;
    this.queue.sort((a, b) => a.seq - b.seq);
    let changed = false;
    let i = 0;
    for (; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.seq <= this.lastSeq) continue;
      if (e.seq > this.lastSeq + 1) break;
      tracker.apply(e);
      this.lastSeq = e.seq;
      changed = true;
    }
    this.queue = i < this.queue.length ? this.queue.slice(i) : [];
    return this.queue.length ? "gap" : changed;
  }

  /** After a catch-up that did not bring the missing event: give up on it after three tries rather than stall. */
  noProgress(after: number, events: RunEvent[]): boolean {
    if (events.some((e) => e.seq === after + 1) || !this.queue.length) {
      this.fruitless = 0;
      return false;
    }
    if (++this.fruitless >= 3) {
      this.fruitless = 0;
      this.lastSeq = Math.min(...this.queue.map((e) => e.seq)) - 1;
      return false;
    }
    return true;
  }
}

export type Phase = "loading" | "ready" | "denied";

export class KioskFeed {
  phase: Phase = "loading";
  /** Why the board cannot be shown (token missing, refused, no such board). */
  denied: { reason: "token" | "board"; message: string } | null = null;
  board: BoardData | null = null;
  /** When the board was last fetched (ms). */
  updatedAt: number | null = null;
  connection: Connection = { state: "connecting", since: null };
  readonly live = new Map<number, LiveRun>();
  version = 0;

  private readonly client;
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  private readonly listeners = new Set<() => void>();
  private refreshTimer = 0;
  private refreshing = false;
  private refreshAgain = false;
  private frame = 0;
  private stopped = false;

  constructor(
    readonly slug: string,
    private readonly token: string | null,
  ) {
    // The token goes in a header (and, for the socket, in the handshake), never in a URL.
    this.client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", methodOverride: "POST", headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  getVersion = () => this.version;

  start(): () => void {
    this.stopped = false;
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      path: "/socket.io",
      transports: ["websocket"],
      auth: this.token ? { token: this.token } : {},
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      // A handshake that hangs (half-open network) is given up sooner than socket.io's 20 s, then retried.
      timeout: 6000,
    });
    this.socket = socket;

    socket.on("connect", () => {
      socket.emit("board.watch", this.slug, (r) => {
        if (this.stopped) return;
        if (!r.ok) return this.deny(r.error === "no such board" ? "board" : "token");
        this.setConnection({ state: "live", since: null });
        // Whatever happened while away: the board again, each run's room again, each run from its lastSeq.
        this.refresh();
        for (const run of this.live.values()) this.watch(run);
      });
    });
    const lost = () => {
      if (this.stopped) return;
      this.setConnection({ state: "reconnecting", since: this.connection.since ?? Date.now() });
    };
    socket.on("disconnect", (reason) => {
      lost();
      // The server closed this socket on purpose (e.g. shutting down): socket.io does not retry then; we do.
      if (reason === "io server disconnect") setTimeout(() => !this.stopped && socket.connect(), 1000);
    });
    socket.on("connect_error", lost);
    socket.on("site.runs", () => this.scheduleRefresh(200));
    socket.on("run.events", (e) => {
      const run = this.live.get(e.run);
      if (!run) return;
      run.heard = Date.now();
      run.queue.push(...e.events);
      this.schedule();
    });

    this.refresh();
    // The safety net. Live: the board every 30 s, and a run's missed events after 10 s of silence. Without the
    // socket (only websockets blocked, or the server away): the board and the active runs every 10 s over HTTP.
    let polled = Date.now();
    const poll = window.setInterval(() => {
      const live = socket.connected;
      if (!live || Date.now() - polled >= BOARD_POLL_MS) {
        polled = Date.now();
        this.scheduleRefresh(0);
      }
      for (const run of this.live.values()) {
        if (run.tracker && !run.finished && (!live || Date.now() - run.heard > QUIET_MS)) {
          run.heard = Date.now();
          this.catchUp(run);
        }
      }
    }, QUIET_MS);

    return () => {
      this.stopped = true;
      clearInterval(poll);
      clearTimeout(this.refreshTimer);
      if (this.frame > 0) cancelAnimationFrame(this.frame);
      else if (this.frame < 0) clearTimeout(-this.frame);
      socket.disconnect();
      this.socket = null;
    };
  }

  /** Runs that finished on screen more than LINGER_MS ago leave the rotation (and their rooms). */
  prune(now: number) {
    let changed = false;
    for (const [id, run] of this.live) {
      if (run.endedAt !== null && now - run.endedAt > LINGER_MS) {
        this.live.delete(id);
        this.socket?.emit("run.unwatch", id);
        changed = true;
      }
    }
    if (changed) this.bump();
  }

  /** Final until the page is opened again with a (new) token: nothing more is asked of the server. */
  private deny(reason: "token" | "board") {
    if (this.phase === "denied") return;
    this.stopped = true;
    this.socket?.disconnect();
    clearTimeout(this.refreshTimer);
    this.phase = "denied";
    this.denied = {
      reason,
      message: reason === "board" ? `There is no kiosk board '${this.slug}'.` : `This board needs its kiosk token.`,
    };
    this.bump();
  }

  private setConnection(c: Connection) {
    this.connection = c;
    this.bump();
  }

  private bump() {
    this.version++;
    for (const l of this.listeners) l();
  }

  private scheduleRefresh(ms: number) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => this.refresh(), ms);
  }

  /** Fetches the board and follows its active runs (one fetch at a time; a request during one runs after it). */
  private refresh() {
    if (this.stopped) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    this.client.kiosk.board.query({ board: this.slug }).then(
      (board) => {
        this.refreshing = false;
        if (this.stopped) return;
        this.board = board;
        this.updatedAt = Date.now();
        this.phase = "ready";
        this.denied = null;
        this.sync(board);
        this.bump();
        if (this.refreshAgain) {
          this.refreshAgain = false;
          this.refresh();
        }
      },
      (e: unknown) => {
        this.refreshing = false;
        if (this.stopped) return;
        if (refused(e)) return this.deny("token");
        // The server is away (restarting?): the socket's reconnect refreshes; until then, try again now and then.
        this.scheduleRefresh(5000);
      },
    );
  }

  /** Active runs are followed; a followed run that is no longer active ends (and lingers); others are dropped. */
  private sync(board: BoardData) {
    const now = Date.now();
    const active = new Set(board.active.map((r) => r.id));
    const finished = new Set(board.finished.map((r) => r.id));
    for (const r of board.active) {
      if (!this.live.has(r.id)) {
        const run = new LiveRun(r.id);
        this.live.set(r.id, run);
        this.load(run);
      }
    }
    for (const [id, run] of this.live) {
      if (active.has(id)) continue;
      if (finished.has(id)) {
        run.endedAt ??= now;
        // Make sure the last events (the final counts) are in, whatever the socket delivered.
        if (!run.finished && run.tracker) this.catchUp(run);
      } else {
        this.live.delete(id);
        this.socket?.emit("run.unwatch", id);
      }
    }
  }

  private load(run: LiveRun) {
    if (run.loading) return;
    run.loading = true;
    this.client.kiosk.run.query({ board: this.slug, id: run.id }).then(
      ({ run: row, snapshot, lastSeq }) => {
        run.loading = false;
        if (this.stopped || this.live.get(run.id) !== run) return;
        run.run = row;
        run.tracker = new RunTracker(row.plan, snapshot);
        run.lastSeq = Math.max(run.lastSeq, lastSeq);
        this.watch(run);
        this.flush();
        this.bump();
      },
      (e: unknown) => {
        run.loading = false;
        if (refused(e)) return this.deny("token");
        // Gone from the board (site removed) or the server is away: the next refresh decides.
        window.setTimeout(() => !this.stopped && this.live.get(run.id) === run && !run.tracker && this.load(run), 3000);
      },
    );
  }

  /** Joins the run's room; once in, fetches what was stored before joining. */
  private watch(run: LiveRun) {
    const socket = this.socket;
    if (!socket?.connected || !run.tracker) return;
    socket.emit("run.watch", run.id, (r) => {
      if (r.ok) this.catchUp(run);
    });
  }

  /** Events are applied once per animation frame (a hidden page gets none: a short timer then). */
  private schedule() {
    if (this.frame) return;
    const run = () => {
      this.frame = 0;
      this.flush();
    };
    this.frame = document.hidden ? -window.setTimeout(run, 500) : requestAnimationFrame(run);
  }

  private flush() {
    let changed = false;
    for (const run of this.live.values()) {
      const wasActive = !run.finished;
      const r = run.apply();
      if (r === "gap") this.catchUp(run);
      if (r) changed = true;
      if (wasActive && run.finished) {
        run.endedAt ??= Date.now();
        this.scheduleRefresh(300);
      }
    }
    if (changed) this.bump();
  }

  private catchUp(run: LiveRun) {
    if (run.catching || !run.tracker || this.stopped) return;
    clearTimeout(run.retry);
    run.retry = 0;
    run.catching = true;
    const after = run.lastSeq;
    this.client.kiosk.events.query({ board: this.slug, id: run.id, after }).then(
      (events) => {
        run.catching = false;
        if (this.stopped) return;
        run.queue.push(...events);
        if (run.noProgress(after, events)) return this.retryCatchUp(run, 1000);
        this.flush();
      },
      (e: unknown) => {
        run.catching = false;
        if (refused(e)) return this.deny("token");
        // The reconnect triggers a catch-up too; meanwhile retry slowly.
        this.retryCatchUp(run, 3000);
      },
    );
  }

  private retryCatchUp(run: LiveRun, ms: number) {
    if (run.retry || this.stopped) return;
    run.retry = window.setTimeout(() => {
      run.retry = 0;
      if (this.live.get(run.id) === run) this.catchUp(run);
    }, ms);
  }
}

/** The server said no to this caller (missing, revoked or wrong token), as opposed to not answering. */
function refused(e: unknown): boolean {
  if (!(e instanceof TRPCClientError)) return false;
  const code = (e.data as { code?: string } | undefined)?.code;
  return code === "UNAUTHORIZED" || code === "FORBIDDEN";
}

/** What the screen shows of a run: the live fold when there is one, else the board's summary. */
export interface Shown {
  id: number;
  site: string;
  title: string;
  deployment: string;
  status: RunStatus;
  requestedBy: string;
  reason: string;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  message: string | null;
  live: LiveRun | undefined;
}

export function shownRuns(feed: KioskFeed, now: number): Shown[] {
  const board = feed.board;
  if (!board) return [];
  const byId = new Map<number, RunSummary>([...board.finished, ...board.active].map((r) => [r.id, r]));
  const out: Shown[] = [];
  const ids = new Set<number>(board.active.map((r) => r.id));
  for (const [id, run] of feed.live) if (run.endedAt !== null && now - run.endedAt <= LINGER_MS) ids.add(id);
  for (const id of [...ids].sort((a, b) => a - b)) {
    const summary = byId.get(id);
    const live = feed.live.get(id);
    const row = summary ?? live?.run;
    if (!row) continue;
    out.push({
      id,
      site: summary?.site ?? live?.run?.site ?? "",
      title: row.title,
      deployment: row.deployment,
      status: statusOf(summary, live),
      requestedBy: row.requestedBy,
      reason: row.reason,
      startedAt: str(summary?.startedAt ?? live?.run?.startedAt),
      finishedAt: str(summary?.finishedAt ?? live?.run?.finishedAt),
      createdAt: str(row.createdAt) ?? new Date().toISOString(),
      message: (live?.finished ? live.tracker?.snapshot.message : undefined) ?? summary?.message ?? null,
      live,
    });
  }
  return out;
}

function str(v: string | Date | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : v.toISOString();
}

/** The event stream's word once it has one; the stored row's when it is further along (or there are no events). */
function statusOf(summary: RunSummary | undefined, live: LiveRun | undefined): RunStatus {
  const snap = live?.tracker?.snapshot;
  if (snap && live.lastSeq > 0) {
    if (ACTIVE.has(snap.status) && summary && !ACTIVE.has(summary.status)) return summary.status;
    return snap.status;
  }
  return summary?.status ?? "approved";
}

export { ACTIVE };
