"use client";

/**
 * A wall screen: one board, full screen, dark, readable from across a room. No controls and no sign-in: the
 * board's kiosk token arrives once in the URL fragment (`#token=fdk_...`, which browsers never send to a
 * server), is kept in sessionStorage so a reload works, and is removed from the address bar.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { estimate, formatEstimate } from "~/components/runs/estimate";
import { BAR_ORDER, formatDuration, RUN_ACTIVE, RUN_LOOK, STEP_LOOK } from "~/components/runs/states";
import type { RunStatus, StepStatus } from "~/server/engine/events";
import type { RunSnapshot } from "~/server/engine/tracker";
import { KioskFeed, shownRuns, type BoardData, type Shown } from "./feed";
import "./kiosk.css";

/** How long each active run stays on screen before the next. */
const ROTATE_MS = 15_000;
const MAX_CHIPS = 14;
const nf = new Intl.NumberFormat();

const storageKey = (board: string) => `fd-kiosk-token:${board}`;

/** The token from `#token=...` (then stored and taken out of the address bar), else the stored one, else null. */
function takeToken(board: string): string | null {
  const match = /(?:^#|[#&])token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(storageKey(board), token);
    } catch {
      // Private mode without storage: the token still works until the page is closed.
    }
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
    return token;
  }
  try {
    return sessionStorage.getItem(storageKey(board));
  } catch {
    return null;
  }
}

export function KioskBoard({ board }: { board: string }) {
  // undefined: not read yet (the fragment exists only in the browser).
  const [token, setToken] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setToken(takeToken(board));
    const onHash = () => {
      if (/token=/.test(window.location.hash)) setToken(takeToken(board));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [board]);

  const feed = useMemo(() => (token === undefined ? null : new KioskFeed(board, token)), [board, token]);
  useEffect(() => feed?.start(), [feed]);
  useSyncExternalStore(
    feed?.subscribe ?? noSubscribe,
    () => feed?.version ?? -1,
    () => -1,
  );
  useWakeLock();
  const now = useNow(1000);
  useEffect(() => {
    feed?.prune(now);
  }, [feed, now]);

  const title = feed?.board?.title;
  useEffect(() => {
    document.title = title ? `${title} · Flightdeck` : "Kiosk · Flightdeck";
  }, [title]);

  let body;
  if (!feed || (feed.phase === "loading" && !feed.board)) {
    body = (
      <div className="k-center" role="status" data-testid="kiosk-loading">
        <Logo />
        <p className="k-center-title">Connecting to Flightdeck…</p>
        <p className="k-center-text">Board {board}</p>
      </div>
    );
  } else if (feed.phase === "denied") {
    body = <Denied board={board} reason={feed.denied?.reason ?? "token"} hadToken={!!token} />;
  } else {
    body = <Board data={feed.board!} feed={feed} now={now} />;
  }

  return (
    <div className="kiosk" data-testid="kiosk" data-connection={feed?.connection.state}>
      {feed && feed.phase !== "denied" && feed.connection.state === "reconnecting" && (
        <div className="k-banner" role="alert" data-testid="kiosk-reconnecting">
          <span className="k-banner-icon" aria-hidden="true">
            ⟳
          </span>
          <span>
            Reconnecting… since <strong>{clock(feed.connection.since ?? now)}</strong>
          </span>
          <span className="k-banner-note">showing the last known state</span>
        </div>
      )}
      {body}
    </div>
  );
}

const noSubscribe = () => () => {};

function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Keeps a wall screen from sleeping where the browser allows it (silently nothing elsewhere). */
function useWakeLock() {
  useEffect(() => {
    let lock: { release(): Promise<void> } | null = null;
    const nav = navigator as Navigator & { wakeLock?: { request(type: "screen"): Promise<{ release(): Promise<void> }> } };
    const take = () => {
      if (document.visibilityState !== "visible" || !nav.wakeLock) return;
      nav.wakeLock.request("screen").then(
        (l) => (lock = l),
        () => {},
      );
    };
    take();
    document.addEventListener("visibilitychange", take);
    return () => {
      document.removeEventListener("visibilitychange", take);
      void lock?.release().catch(() => {});
    };
  }, []);
}

function clock(ms: number, seconds = true): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
}

function ago(iso: string | null, now: number): string {
  if (!iso) return "";
  const ms = Math.max(0, now - new Date(iso).getTime());
  if (ms < 60_000) return "just now";
  return `${formatDuration(Math.round(ms / 60_000) * 60_000)} ago`;
}

function Logo() {
  return (
    <svg className="k-logo" viewBox="0 0 24 24" aria-hidden="true">
      <path fill="currentColor" d="M2 13.5 21 4l-4.5 16-5.2-4.6L7 19v-5.2l9.3-7.1L6 12.6z" />
    </svg>
  );
}

function Denied({ board, reason, hadToken }: { board: string; reason: "token" | "board"; hadToken: boolean }) {
  return (
    <div className="k-center" role="alert" data-testid="kiosk-denied">
      <Logo />
      {reason === "board" ? (
        <>
          <p className="k-center-title">There is no board “{board}”</p>
          <p className="k-center-text">Check the address, or ask a Flightdeck server admin for this screen&apos;s kiosk URL.</p>
        </>
      ) : (
        <>
          <p className="k-center-title">This board needs its kiosk token</p>
          <p className="k-center-text">
            {hadToken ? "The kiosk token this screen has was refused: it was revoked, it expired, or it belongs to another board. " : ""}
            Open the board with its kiosk URL, <span className="k-mono">/kiosk/{board}#token=…</span>, which a Flightdeck server admin makes under Administration → Kiosk boards.
          </p>
        </>
      )}
    </div>
  );
}

function Board({ data, feed, now }: { data: BoardData; feed: KioskFeed; now: number }) {
  const runs = shownRuns(feed, now);
  const ids = runs.map((r) => r.id);
  const [pick, setPick] = useState<{ id: number | null; at: number }>({ id: null, at: now });
  const currentId = pick.id !== null && ids.includes(pick.id) ? pick.id : (ids[0] ?? null);
  const index = currentId === null ? -1 : ids.indexOf(currentId);

  // Rotation: the next run every ROTATE_MS (the clock ticks every second, so this is checked once a second).
  useEffect(() => {
    if (ids.length < 2) return;
    if (pick.id !== currentId) setPick({ id: currentId, at: now });
    else if (now - pick.at >= ROTATE_MS) setPick({ id: ids[(index + 1) % ids.length]!, at: now });
  }, [now, ids, index, currentId, pick]);

  const current = index >= 0 ? runs[index] : undefined;
  const connection = feed.connection;

  return (
    <div className="k-board" data-runs={ids.join(",")}>
      <header className="k-head">
        <Logo />
        <h1 className="k-title" data-testid="kiosk-title">
          {data.title}
        </h1>
        <span className="k-spacer" />
        {connection.state === "live" ? (
          <span className="k-conn live" data-testid="kiosk-connection" data-state="live">
            <span className="k-live-dot" aria-hidden="true" /> Live
          </span>
        ) : connection.state === "connecting" ? (
          <span className="k-conn" data-testid="kiosk-connection" data-state="connecting">
            Connecting…
          </span>
        ) : null}
        <time className="k-clock" dateTime={new Date(now).toISOString()} aria-label={`Time ${clock(now, false)}`}>
          {clock(now, false)}
        </time>
      </header>
      {current ? <RunPanel run={current} now={now} /> : <Idle data={data} now={now} />}
      <footer className="k-foot">
        {runs.length > 1 ? (
          <div className="k-rotation" data-testid="kiosk-rotation" aria-label={`Run ${index + 1} of ${runs.length}`}>
            <span className="k-rotation-text">
              {index + 1} <span className="k-dim">of</span> {runs.length}
            </span>
            <span className="k-dots" aria-hidden="true">
              {runs.map((r, i) => (
                <span key={r.id} className={`k-dot${i === index ? " on" : ""} tone-${RUN_LOOK[r.status].tone || "plain"}`} />
              ))}
            </span>
            <span className="k-rotation-bar" aria-hidden="true">
              <span key={`${currentId}-${pick.at}`} style={{ animationDuration: `${ROTATE_MS}ms` }} />
            </span>
          </div>
        ) : (
          <span className="k-dim">{runs.length === 1 ? "1 run on the board" : ""}</span>
        )}
        <span className="k-spacer" />
        <span className="k-sites">
          <span className="k-dim">Sites</span> {data.sites.join(" · ")}
        </span>
        {feed.updatedAt && (
          <span className="k-dim" title="When the board was last read from the server">
            updated {clock(feed.updatedAt, false)}
          </span>
        )}
      </footer>
    </div>
  );
}

interface Counts {
  counts: Record<StepStatus, number>;
  total: number;
  finished: number;
  failed: { name: string; status: string }[];
  snapshot: RunSnapshot | null;
}

function countsOf(run: Shown, data?: BoardData): Counts {
  const snap = run.feed?.tracker?.snapshot;
  if (snap) {
    const failed = Object.entries(snap.hosts)
      .filter(([, h]) => h.status === "failed" || h.status === "unreachable")
      .map(([name, h]) => ({ name, status: h.status }));
    return { counts: snap.counts, total: snap.totalSteps, finished: snap.finishedSteps, failed, snapshot: snap };
  }
  const s = data ? [...data.active, ...data.finished].find((r) => r.id === run.id) : undefined;
  return {
    counts: s?.counts ?? { pending: 0, running: 0, ok: 0, changed: 0, skipped: 0, failed: 0, unreachable: 0, cancelled: 0 },
    total: s?.totalSteps ?? 0,
    finished: s?.finishedSteps ?? 0,
    failed: s?.failed ?? [],
    snapshot: null,
  };
}

function StatusPill({ status, big }: { status: RunStatus; big?: boolean }) {
  const look = RUN_LOOK[status];
  return (
    <span className={`k-status tone-${look.tone || "plain"}${big ? " big" : ""}`} data-testid="kiosk-status" data-status={status}>
      <span aria-hidden="true">{look.icon}</span> {look.label}
    </span>
  );
}

function Bar({ c, testid, big }: { c: Counts; testid?: string; big?: boolean }) {
  const pct = c.total ? Math.floor((c.finished * 100) / c.total) : 0;
  return (
    <div
      className={`k-bar${big ? " big" : ""}`}
      role="img"
      data-testid={testid}
      aria-label={`${pct}% done: ${BAR_ORDER.filter((s) => c.counts[s]).map((s) => `${c.counts[s]} ${STEP_LOOK[s].label}`).join(", ") || "no steps"}`}
    >
      {BAR_ORDER.map((s) => {
        const n = c.counts[s];
        const w = c.total ? (n * 100) / c.total : 0;
        if (!n) return null;
        return (
          <div key={s} className={`k-seg st-${s} pat-${s}`} style={{ width: `${w}%` }} data-testid={testid ? `kiosk-segment-${s}` : undefined} data-count={n}>
            {big && w >= 6 && (
              <span className="k-seg-label">
                <span aria-hidden="true">{STEP_LOOK[s].icon}</span> {nf.format(n)}
              </span>
            )}
          </div>
        );
      })}
    </div>
  );
}

function RunPanel({ run, now }: { run: Shown; now: number }) {
  const c = countsOf(run);
  const pct = c.total ? Math.floor((c.finished * 100) / c.total) : 0;
  const active = RUN_ACTIVE.has(run.status);
  const plan = run.feed?.run?.plan;
  const eta = run.status === "running" && c.snapshot && plan ? estimate(c.snapshot, plan, run.feed?.run?.options.forks ?? 1, now) : null;
  const stage = c.snapshot?.stage;
  const batch = c.snapshot?.batch;
  const shownChips = c.failed.slice(0, MAX_CHIPS);
  const failedN = c.failed.filter((h) => h.status === "failed").length;
  const unreachableN = c.failed.length - failedN;

  return (
    <main className={`k-main k-run st-run-${run.status}`} aria-label={`Run ${run.id}: ${run.title}`} data-testid="kiosk-run" data-run-id={run.id} data-status={run.status}>
      <div className="k-kicker">
        <span className="k-site" data-testid="kiosk-site">
          {run.site}
        </span>
        <span className="k-sep" aria-hidden="true">
          /
        </span>
        <span>{run.deployment}</span>
        <span className="k-sep" aria-hidden="true">
          ·
        </span>
        <span>run #{run.id}</span>
      </div>
      <div className="k-title-row">
        <h2 className="k-run-title" data-testid="kiosk-run-title">
          {run.title}
        </h2>
        <StatusPill status={run.status} big />
      </div>

      <div className="k-progress">
        <Bar c={c} testid="kiosk-bar" big />
        <div className="k-pct">
          <strong data-testid="kiosk-percent">{pct}%</strong>
          <span className="k-dim">
            {nf.format(c.finished)} / {nf.format(c.total)} steps
          </span>
        </div>
      </div>

      <ul className="k-legend" aria-label="Steps by state">
        {BAR_ORDER.filter((s) => c.counts[s] > 0).map((s) => (
          <li key={s} data-testid={`kiosk-legend-${s}`}>
            <span className={`k-swatch st-${s} pat-${s}`} aria-hidden="true">
              {STEP_LOOK[s].icon}
            </span>
            <strong>{nf.format(c.counts[s])}</strong> {STEP_LOOK[s].label}
          </li>
        ))}
      </ul>

      <div className="k-facts">
        {run.status === "running" && (
          <span data-testid="kiosk-eta">
            <span className="k-dim">ETA</span> <strong>{formatEstimate(eta)}</strong>
          </span>
        )}
        {run.status === "running" && run.startedAt && (
          <span>
            <span className="k-dim">running</span> <strong>{formatDuration(Math.max(0, now - new Date(run.startedAt).getTime()))}</strong>
          </span>
        )}
        {!active && run.finishedAt && (
          <span>
            <span className="k-dim">finished</span> <strong>{ago(run.finishedAt, now)}</strong>
            {run.startedAt && (
              <>
                {" "}
                <span className="k-dim">after</span> <strong>{formatDuration(new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime())}</strong>
              </>
            )}
          </span>
        )}
        {stage && plan && (
          <span>
            <span className="k-dim">stage</span>{" "}
            <strong>
              {stage.index + 1}/{plan.stages.length}
            </strong>{" "}
            {stage.name}
          </span>
        )}
        {batch && active && (
          <span>
            <span className="k-dim">batch</span>{" "}
            <strong>
              {batch.index + 1}/{batch.count}
            </strong>
          </span>
        )}
        {plan && (
          <span>
            <strong>{nf.format(plan.hosts.length)}</strong> <span className="k-dim">{plan.hosts.length === 1 ? "host" : "hosts"}</span>
          </span>
        )}
        <span>
          <span className="k-dim">{run.status === "awaiting_approval" ? "requested by" : "by"}</span> <strong>{run.requestedBy}</strong>
          {run.status === "awaiting_approval" && <span className="k-dim"> {ago(run.createdAt, now)}</span>}
        </span>
      </div>

      {run.message && !active && run.message !== "cancelled" && <p className="k-message">{run.message.charAt(0).toUpperCase() + run.message.slice(1)}</p>}

      {c.failed.length > 0 && (
        <section className="k-problems" aria-label="Hosts with problems" data-testid="kiosk-problems">
          <h3 className="k-problems-title">
            {failedN > 0 && (
              <span className="k-bad">
                {failedN} {failedN === 1 ? "host" : "hosts"} failed
              </span>
            )}
            {failedN > 0 && unreachableN > 0 && <span className="k-dim"> · </span>}
            {unreachableN > 0 && (
              <span className="k-unreach">
                {unreachableN} unreachable
              </span>
            )}
          </h3>
          <ul className="k-chips">
            {shownChips.map((h) => (
              <li key={h.name} className={`k-chip st-${h.status}`} data-testid={`kiosk-host-${h.name}`} data-status={h.status}>
                <span aria-hidden="true">{STEP_LOOK[h.status as StepStatus]?.icon ?? "!"}</span> {h.name}
                <span className="sr-only"> {h.status}</span>
              </li>
            ))}
            {c.failed.length > shownChips.length && <li className="k-chip more">+{c.failed.length - shownChips.length} more</li>}
          </ul>
        </section>
      )}

      {c.snapshot && plan && <HostTiles hosts={plan.hosts} snapshot={c.snapshot} />}
    </main>
  );
}

interface Fit {
  mode: "large" | "named" | "compact" | "micro";
  cols: number;
  shown: number;
  tile: number;
}

/**
 * Every host of the run as a tile in its state's colour and icon, in plan order (nothing reshuffles): with
 * names while they fit the space left on screen, else small squares; what still does not fit is counted.
 */
function HostTiles({ hosts, snapshot }: { hosts: readonly string[]; snapshot: RunSnapshot }) {
  const ref = useRef<HTMLDivElement>(null);
  const [fit, setFit] = useState<Fit | null>(null);
  const n = hosts.length;

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const style = getComputedStyle(el);
      const font = parseFloat(style.fontSize) || 16;
      const width = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      // From under the heading to the bottom of the content box.
      const below = (el.firstElementChild?.getBoundingClientRect().bottom ?? el.getBoundingClientRect().top) + (parseFloat(style.rowGap) || 0);
      const height = el.getBoundingClientRect().bottom - parseFloat(style.paddingBottom) - parseFloat(style.borderBottomWidth) - below - 1;
      const layout = (minW: number, h: number, gap: number) => {
        const cols = Math.max(1, Math.floor((width + gap) / (minW + gap)));
        const rows = Math.max(0, Math.floor((height + gap) / (h + gap)));
        return { cols, capacity: cols * rows };
      };
      // A few hosts get big tiles (the room reads their names); more get smaller ones; many get squares.
      const large = layout(font * 12, font * 3.4, font * 0.5);
      if (n <= large.capacity) return setFit({ mode: "large", cols: Math.min(large.cols, Math.max(n, 4)), shown: n, tile: font * 3.4 });
      const named = layout(font * 8, font * 2.3, font * 0.5);
      if (n <= named.capacity) return setFit({ mode: "named", cols: named.cols, shown: n, tile: font * 2.3 });
      const compact = layout(font * 1.6, font * 1.6, font * 0.5);
      if (n <= compact.capacity) return setFit({ mode: "compact", cols: compact.cols, shown: n, tile: font * 1.6 });
      // Hundreds of hosts: a heat map of small squares (state by colour and pattern); the rest counted.
      const micro = layout(font * 0.8, font * 0.8, font * 0.2);
      if (!micro.capacity) return setFit(null);
      setFit({ mode: "micro", cols: micro.cols, shown: n <= micro.capacity ? n : Math.max(0, micro.capacity - 4), tile: font * 0.8 });
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [n]);

  return (
    <section className="k-hosts" ref={ref} aria-label={`${n} ${n === 1 ? "host" : "hosts"}`}>
      <h3 className="k-hosts-title">{n === 1 ? "Host" : "Hosts"}</h3>
      {fit && (
        <ul className={`k-tiles ${fit.mode}`} style={{ gridTemplateColumns: `repeat(${fit.cols}, minmax(0, 1fr))`, gridAutoRows: `${fit.tile}px` }}>
          {hosts.slice(0, fit.shown).map((h) => {
            const status = snapshot.hosts[h]?.status ?? "pending";
            return (
              <li key={h} className={`k-tile st-${status} pat-${status}`} title={`${h}: ${STEP_LOOK[status].label}`} data-testid={`kiosk-tile-${h}`} data-status={status}>
                {fit.mode !== "micro" && (
                  <span aria-hidden="true" className="k-tile-icon">
                    {STEP_LOOK[status].icon}
                  </span>
                )}
                {fit.mode === "compact" || fit.mode === "micro" ? <span className="sr-only">{h}</span> : <span className="k-tile-name">{h}</span>}
                <span className="sr-only">: {STEP_LOOK[status].label}</span>
              </li>
            );
          })}
          {fit.shown < n && <li className="k-tile more">+{nf.format(n - fit.shown)}</li>}
        </ul>
      )}
    </section>
  );
}

function Idle({ data, now }: { data: BoardData; now: number }) {
  const recent = data.finished.slice(0, 5);
  return (
    <main className="k-main k-idle" aria-label="No runs in progress" data-testid="kiosk-idle">
      <div className="k-quiet">
        <span className="k-quiet-icon" aria-hidden="true">
          ✓
        </span>
        <div>
          <p className="k-quiet-title">No runs in progress</p>
          <p className="k-dim k-quiet-text">New runs on {data.sites.length === 1 ? data.sites[0] : `these ${data.sites.length} sites`} appear here as soon as they are requested.</p>
        </div>
      </div>
      {recent.length > 0 && (
        <section className="k-recent" aria-labelledby="k-recent-title">
          <h2 id="k-recent-title" className="k-recent-title">
            Last finished
          </h2>
          <ul>
            {recent.map((r) => {
              const c: Counts = { counts: r.counts, total: r.totalSteps, finished: r.finishedSteps, failed: r.failed, snapshot: null };
              return (
                <li key={r.id} className="k-recent-row" data-testid={`kiosk-finished-${r.id}`} data-status={r.status}>
                  <StatusPill status={r.status} />
                  <div className="k-recent-name">
                    <span className="k-recent-run">{r.title}</span>
                    <span className="k-dim">
                      {r.site} / {r.deployment} · #{r.id}
                    </span>
                  </div>
                  <Bar c={c} />
                  <span className="k-recent-counts">
                    {r.failed.length > 0 ? (
                      <span className="k-bad">
                        {r.failed.length} {r.failed.length === 1 ? "host" : "hosts"} with problems
                      </span>
                    ) : (
                      <span className="k-dim">{nf.format(r.hosts)} {r.hosts === 1 ? "host" : "hosts"}</span>
                    )}
                  </span>
                  <span className="k-recent-when">{ago(r.finishedAt ? String(r.finishedAt) : null, now)}</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </main>
  );
}
