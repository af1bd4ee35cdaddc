"use client";

/** What the kiosk board needs from the browser: its token, a screen that stays awake, the rotation between runs. */
import { useEffect, useState } from "react";

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

/**
 * The board's kiosk token: undefined until read (the fragment exists only in the browser), null when there is
 * none. A new `#token=` pasted into the address bar replaces it.
 */
export function useKioskToken(board: string): string | null | undefined {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setToken(takeToken(board));
    const onHash = () => {
      if (/token=/.test(window.location.hash)) setToken(takeToken(board));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [board]);
  return token;
}

/** Keeps a wall screen from sleeping where the browser allows it (silently nothing elsewhere). */
export function useWakeLock() {
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

/**
 * Which of `ids` is on screen: the next one every `everyMs`, checked on each tick of `now` (the board's clock
 * ticks every second). A run that leaves the list hands over to the first. `since` is when the current one came
 * on screen, for the footer's countdown bar.
 */
export function useRotation(ids: number[], now: number, everyMs: number): { index: number; currentId: number | null; since: number } {
  const [pick, setPick] = useState<{ id: number | null; at: number }>({ id: null, at: now });
  const currentId = pick.id !== null && ids.includes(pick.id) ? pick.id : (ids[0] ?? null);
  const index = currentId === null ? -1 : ids.indexOf(currentId);
  useEffect(() => {
    if (ids.length < 2) return;
    if (pick.id !== currentId) setPick({ id: currentId, at: now });
    else if (now - pick.at >= everyMs) setPick({ id: ids[(index + 1) % ids.length]!, at: now });
  }, [now, ids, index, currentId, pick, everyMs]);
  return { index, currentId, since: pick.at };
}
