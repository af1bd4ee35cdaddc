"use client";

import { useEffect, useRef } from "react";
import type { StoredEvent } from "~/server/events/types";
import { OutcomeLine } from "./Outcome";

/** One event in full: its labels, every reaction's outcome, and its data as JSON. */
export function EventDetail({ slug, event, onClose }: { slug: string; event: StoredEvent; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), [event.id]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <aside className="card event-detail" id="event-detail" aria-label={`Event ${event.id}`} data-testid="event-detail">
      <header className="row">
        <h2 className="grow mono">{event.name}</h2>
        <button type="button" className="btn small ghost" onClick={onClose} aria-label="Close the event panel" ref={close}>
          ✕
        </button>
      </header>
      <dl className="event-facts">
        <dt>Event</dt>
        <dd>#{event.id}</dd>
        <dt>Received</dt>
        <dd>{new Date(event.receivedAt).toLocaleString()}</dd>
        <dt>Source</dt>
        <dd>{event.source}</dd>
        <dt>Sender</dt>
        <dd>{event.sender}</dd>
      </dl>
      <h3>Labels</h3>
      {Object.keys(event.labels).length ? (
        <table className="grid compact">
          <tbody>
            {Object.entries(event.labels).map(([k, v]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <td className="mono">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">none</p>
      )}
      <h3>What it caused</h3>
      {event.outcome.length ? (
        <ul className="outcomes">
          {event.outcome.map((o, i) => (
            <li key={`${o.reaction}-${i}`}>
              <OutcomeLine slug={slug} outcome={o} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No reaction considered it.</p>
      )}
      <h3>Data</h3>
      <pre className="event-data" data-testid="event-data" tabIndex={0}>
        {JSON.stringify(event.data, null, 2)}
      </pre>
    </aside>
  );
}
