/**
 * What the live views (a run's feed, a kiosk board) share: a version React follows with useSyncExternalStore
 * (it bumps on every change), and the state of the connection that keeps them current.
 */

export interface Connection {
  state: "connecting" | "live" | "reconnecting";
  /** When the connection was lost (ms), for "reconnecting since HH:MM:SS". */
  since: number | null;
}

export class LiveStore {
  /** Bumps on every change: the React snapshot. */
  version = 0;
  connection: Connection = { state: "connecting", since: null };
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  getVersion = () => this.version;

  protected bump() {
    this.version++;
    for (const l of this.listeners) l();
  }

  protected connected() {
    this.connection = { state: "live", since: null };
    this.bump();
  }

  /** Lost (again): since when is the first loss's time. */
  protected disconnected() {
    this.connection = { state: "reconnecting", since: this.connection.since ?? Date.now() };
    this.bump();
  }
}
