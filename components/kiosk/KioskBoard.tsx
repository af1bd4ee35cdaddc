"use client";

/**
 * A wall screen: one board, full screen, dark, readable from across a room. No controls and no sign-in: the
 * board's kiosk token arrives once in the URL fragment (`#token=fdk_...`, which browsers never send to a
 * server), is kept in sessionStorage so a reload works, and is removed from the address bar.
 *
 * This file is the frame (loading, refusal, header, footer, rotation); the run on screen is RunPanel.tsx, its
 * hosts HostTiles.tsx, a quiet board Idle.tsx, and what the browser is asked for hooks.ts.
 */
import { useEffect, useMemo, useSyncExternalStore } from "react";
import { RUN_LOOK } from "~/components/runs/states";
import { clock, useNow } from "~/components/ui/clock";
import { KioskFeed, shownRuns, type BoardData } from "./feed";
import { useKioskToken, useRotation, useWakeLock } from "./hooks";
import { Idle } from "./Idle";
import { RunPanel } from "./RunPanel";
import "./kiosk.css";

/** How long each active run stays on screen before the next. */
const ROTATE_MS = 15_000;

export function KioskBoard({ board }: { board: string }) {
  const token = useKioskToken(board);
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

/** The board: header (title, live state, clock), the run on screen or the quiet board, footer (rotation, sites). */
function Board({ data, feed, now }: { data: BoardData; feed: KioskFeed; now: number }) {
  const runs = shownRuns(feed, now);
  const ids = runs.map((r) => r.id);
  const { index, currentId, since } = useRotation(ids, now, ROTATE_MS);
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
        <time className="k-clock" dateTime={new Date(now).toISOString()} aria-label={`Time ${clock(now, { seconds: false })}`}>
          {clock(now, { seconds: false })}
        </time>
      </header>
      {current ? <RunPanel run={current} data={data} now={now} /> : <Idle data={data} now={now} />}
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
              <span key={`${currentId}-${since}`} style={{ animationDuration: `${ROTATE_MS}ms` }} />
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
            updated {clock(feed.updatedAt, { seconds: false })}
          </span>
        )}
      </footer>
    </div>
  );
}
