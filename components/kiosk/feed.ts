"use client";

/**
 * The live state of a kiosk board, for a wall screen that nobody touches. A socket authenticated with the board's
 * kiosk token joins the board's room, which says when a run of the board's sites is created or changes status;
 * every active run is followed by a RunFeed (components/runs/feed.ts: seq order, gaps fetched, reconnects) over
 * the same token, through `kiosk.run` and `kiosk.events`.
 *
 * When the connection drops (network, server restart) the sockets reconnect by themselves; on every reconnect
 * the board is fetched again, and each run resumes from its `lastSeq`. A safety net refetches the board every
 * 30 s whatever the socket says, and every 10 s while it is away. A refused token ends in `denied`.
 */
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { RunFeed, type RunSource } from "~/components/runs/feed";
import { RUN_ACTIVE } from "~/components/runs/states";
import { errorCode } from "~/components/trpc/auth-redirect";
import { LiveStore } from "~/components/trpc/live-store";
import type { RouterOutputs } from "~/components/trpc/react";
import { connect, type FdSocket } from "~/components/trpc/socket";
import type { AppRouter } from "~/server/api/root";
import type { RunStatus } from "~/server/engine/events";

export type BoardData = RouterOutputs["kiosk"]["board"];
export type RunSummary = BoardData["active"][number];

/** A run that ends while on screen stays there this long, so the room sees how it ended. */
export const LINGER_MS = 45_000;
const BOARD_POLL_MS = 30_000;
/** How often the board is fetched while the socket is away. */
const AWAY_POLL_MS = 10_000;

/** A run of the board, followed live. */
interface Followed {
  feed: RunFeed;
  /** When this screen saw the run end (ms), for the linger; null while it runs or when it was over before. */
  endedAt: number | null;
  stop: () => void;
}

export type Phase = "loading" | "ready" | "denied";

export class KioskFeed extends LiveStore {
  phase: Phase = "loading";
  /** Why the board cannot be shown (token missing, refused, no such board). */
  denied: { reason: "token" | "board"; message: string } | null = null;
  board: BoardData | null = null;
  /** When the board was last fetched (ms). */
  updatedAt: number | null = null;
  readonly live = new Map<number, Followed>();

  private readonly client;
  private readonly source: RunSource;
  private socket: FdSocket | null = null;
  private refreshTimer = 0;
  private refreshing = false;
  private refreshAgain = false;
  private stopped = false;

  constructor(
    readonly slug: string,
    private readonly token: string | null,
  ) {
    super();
    // The token goes in a header (and, for the sockets, in the handshake), never in a URL.
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", methodOverride: "POST", headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
    });
    this.client = client;
    // A refused token ends the board; any other failure is the run feed's to retry.
    const guard = <T>(request: Promise<T>) =>
      request.catch((e: unknown) => {
        if (refused(e)) this.deny("token");
        throw e;
      });
    this.source = {
      connect: (alive) => connect({ token, alive }),
      get: (id) => guard(client.kiosk.run.query({ board: slug, id })),
      events: (id, after) => guard(client.kiosk.events.query({ board: slug, id, after })),
    };
  }

  start(): () => void {
    this.stopped = false;
    const socket = connect({ token: this.token, alive: () => !this.stopped });
    this.socket = socket;

    socket.on("connect", () => {
      socket.emit("board.watch", this.slug, (r) => {
        if (this.stopped) return;
        if (!r.ok) return this.deny(r.error === "no such board" ? "board" : "token");
        this.connected();
        // Whatever happened while away: the board again (each run's feed resumes from its own lastSeq).
        this.refresh();
      });
    });
    const lost = () => !this.stopped && this.disconnected();
    socket.on("disconnect", lost);
    socket.on("connect_error", lost);
    socket.on("site.runs", () => this.scheduleRefresh(200));

    this.refresh();
    // The safety net: the board every 30 s, and every 10 s while the socket is away (the server restarting, or
    // only websockets blocked). Each run's feed fetches its own missed events likewise.
    let polled = Date.now();
    const poll = window.setInterval(() => {
      if (!socket.connected || Date.now() - polled >= BOARD_POLL_MS) {
        polled = Date.now();
        this.scheduleRefresh(0);
      }
    }, AWAY_POLL_MS);

    return () => {
      this.stopped = true;
      clearInterval(poll);
      clearTimeout(this.refreshTimer);
      for (const id of [...this.live.keys()]) this.unfollow(id);
      socket.disconnect();
      this.socket = null;
    };
  }

  /** Runs that finished on screen more than LINGER_MS ago leave the rotation. */
  prune(now: number) {
    let changed = false;
    for (const [id, run] of this.live) {
      if (run.endedAt !== null && now - run.endedAt > LINGER_MS) {
        this.unfollow(id);
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
    for (const id of [...this.live.keys()]) this.unfollow(id);
    this.phase = "denied";
    this.denied = {
      reason,
      message: reason === "board" ? `There is no kiosk board '${this.slug}'.` : `This board needs its kiosk token.`,
    };
    this.bump();
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
    for (const r of board.active) if (!this.live.has(r.id)) this.follow(r.id);
    for (const [id, run] of this.live) {
      if (active.has(id)) continue;
      if (finished.has(id)) {
        run.endedAt ??= now;
        // Make sure the last events (the final counts) are in, whatever the socket delivered.
        if (!run.feed.finished) run.feed.catchUp();
      } else this.unfollow(id);
    }
  }

  private follow(id: number) {
    const feed = new RunFeed(id, null, this.source);
    const run: Followed = { feed, endedAt: null, stop: () => {} };
    feed.onRunChanged = () => {
      if (!feed.finished) return;
      // Ended on screen: it lingers, and the board (its list of finished runs) is fetched again.
      run.endedAt ??= Date.now();
      this.scheduleRefresh(300);
    };
    const unsubscribe = feed.subscribe(() => this.bump());
    const stop = feed.start();
    run.stop = () => {
      unsubscribe();
      stop();
    };
    this.live.set(id, run);
  }

  private unfollow(id: number) {
    this.live.get(id)?.stop();
    this.live.delete(id);
  }
}

/** The server said no to this caller (missing, revoked or wrong token), as opposed to not answering. */
function refused(e: unknown): boolean {
  const code = errorCode(e);
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
  /** The run's live feed, while this screen follows it. */
  feed: RunFeed | undefined;
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
    const live = feed.live.get(id)?.feed;
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
      feed: live,
    });
  }
  return out;
}

function str(v: string | Date | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : v.toISOString();
}

/** The event stream's word once it has one; the stored row's when it is further along (or there are no events). */
function statusOf(summary: RunSummary | undefined, live: RunFeed | undefined): RunStatus {
  const snap = live?.tracker?.snapshot;
  if (snap && live.lastSeq > 0) {
    if (RUN_ACTIVE.has(snap.status) && summary && !RUN_ACTIVE.has(summary.status)) return summary.status;
    return snap.status;
  }
  return summary?.status ?? "queued";
}

