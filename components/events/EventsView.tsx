"use client";

import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useWorkspace } from "~/components/site/workspace";
import { useTRPC } from "~/components/trpc/react";
import { connect, watch } from "~/components/trpc/socket";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import type { StoredEvent } from "~/server/events/types";
import { EventDetail } from "./EventDetail";
import { EventSettings } from "./EventSettings";
import { OutcomeSummary } from "./Outcome";
import "./events.css";

const PAGE = 50;

/** The site's events, newest first and live (the site's socket), each with what it caused; one opens in a side panel. */
export function EventsView({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const w = useWorkspace();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<number | null>(null);
  const events = useInfiniteQuery(trpc.events.list.infiniteQueryOptions({ slug, limit: PAGE }, { getNextPageParam: (last) => last.nextCursor ?? undefined }));

  // A new event or a changed outcome (a limiter released, a wait fired): the list refetches.
  useEffect(() => {
    const socket = connect();
    const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.events.list.pathKey() });
    socket.on("connect", () => {
      watch(socket, { site: slug });
      refresh();
    });
    socket.on("site.event", (e) => {
      if (e.site === slug) refresh();
    });
    return () => {
      socket.disconnect();
    };
  }, [slug, queryClient, trpc]);

  const rows = events.data?.pages.flatMap((p) => p.items) ?? [];
  const selected = rows.find((e) => e.id === open) ?? null;

  return (
    <main className={`page stack events-page${selected ? " with-detail" : ""}`}>
      <div>
        <h1>Events</h1>
        <p className="muted intro">
          Alerts, webhooks and Flightdeck&apos;s own events (a step that failed, a run that finished), newest first, as they arrive. Each says what it caused: the
          reaction that matched, the limiter holding it back and until when, or the run it started.
        </p>
      </div>
      {w.can("admin") && <EventSettings slug={slug} />}
      {events.error && (
        <div className="notice error" role="alert">
          Could not load the events: {errorMessage(events.error)}
        </div>
      )}
      {events.data && rows.length === 0 && (
        <div className="card empty" data-testid="no-events">
          <h2>No events yet</h2>
          <p className="muted no-margin">
            Send one with an API token (operator) or signed with the site&apos;s webhook secret: <code>POST /api/v1/sites/{slug}/events</code> with{" "}
            <code>{`{"name": "...", "labels": {...}, "data": {...}}`}</code>; Alertmanager posts to <code>/events/alertmanager</code>, GitHub to <code>/events/github</code>.
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <div className="events-layout">
          <div className="events-table">
            <table className="grid" data-testid="events-table" aria-label="Events, newest first">
              <thead>
                <tr>
                  <th>Received</th>
                  <th>Event</th>
                  <th className="col-labels">Labels</th>
                  <th>Caused</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <EventRow key={e.id} slug={slug} event={e} selected={e.id === open} onOpen={() => setOpen(e.id === open ? null : e.id)} />
                ))}
              </tbody>
            </table>
            {events.hasNextPage && (
              <button type="button" className="btn" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage} data-testid="events-more">
                {events.isFetchingNextPage ? "Loading…" : "Older events"}
              </button>
            )}
          </div>
          {selected && <EventDetail slug={slug} event={selected} onClose={() => setOpen(null)} />}
        </div>
      )}
    </main>
  );
}

function EventRow({ slug, event, selected, onOpen }: { slug: string; event: StoredEvent; selected: boolean; onOpen: () => void }) {
  const labels = Object.entries(event.labels);
  return (
    <tr className={selected ? "selected" : undefined} data-testid={`event-${event.id}`} data-name={event.name}>
      <td className="nowrap">
        <RelativeTime date={event.receivedAt} />
      </td>
      <td>
        <button type="button" className="link-button event-name" onClick={onOpen} aria-expanded={selected} aria-controls={selected ? "event-detail" : undefined}>
          {event.name}
        </button>
        <div className="muted small">
          <span className={`badge source-${event.source}`}>{event.source}</span> from {event.sender}
        </div>
      </td>
      <td className="col-labels">
        <ul className="label-chips" aria-label="Labels">
          {labels.slice(0, 6).map(([k, v]) => (
            <li key={k} className="label-chip">
              <span className="k">{k}</span>=<span className="v">{v}</span>
            </li>
          ))}
          {labels.length > 6 && <li className="muted small">+{labels.length - 6} more</li>}
        </ul>
      </td>
      <td data-testid="event-outcome">
        <OutcomeSummary slug={slug} outcome={event.outcome} />
      </td>
    </tr>
  );
}
