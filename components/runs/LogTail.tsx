"use client";

/**
 * The live output of one host (one step, or all of them), like a terminal: monospace, ANSI colours, stderr
 * marked, following the end until the user scrolls up ("Jump to end" brings it back). Stored output comes
 * from `runs.output`; live chunks from the socket are held until it arrives, then appended (without the
 * ones the stored output already had). At most MAX_LINES lines are kept; blocks of lines are memoised.
 */
import { memo, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useTRPCClient } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import type { StepStatus } from "~/server/engine/events";
import type { LiveChunk, RunFeed } from "./feed";
import type { Span } from "./ansi";
import { LogModel, MAX_LINES, type LogChunk, type LogLine } from "./log";
import { maasSpans } from "./maaslog";

interface LogState {
  blocks: LogLine[][];
  dropped: number;
  lines: number;
  loading: boolean;
  error: unknown;
}

const key = (c: { step: string; stream: string; t: number; data: string }) => `${c.step}\0${c.stream}\0${c.t}\0${c.data}`;

/**
 * `include`: the steps to show when it is more than one (a playbook step and its tasks, which may start while the
 * log is open); the host's whole output is fetched and filtered here. A new `step` is a new log, so `include`
 * is read through a ref and never restarts it.
 */
function useLog(feed: RunFeed, host: string, step: string | null, include: ((step: string) => boolean) | undefined): LogState {
  const client = useTRPCClient();
  const [state, setState] = useState<LogState>({ blocks: [], dropped: 0, lines: 0, loading: true, error: null });
  const epoch = feed.epoch;
  const includeRef = useRef(include);
  includeRef.current = include;
  const several = include !== undefined;
  useEffect(() => {
    const shows = (s: string) => (includeRef.current ? includeRef.current(s) : step === null || s === step);
    const model = new LogModel(step === null || several);
    let loaded = false;
    let cancelled = false;
    let frame = 0;
    let buffered: LiveChunk[] = [];
    const render = () => {
      frame = 0;
      setState({ blocks: model.publish(), dropped: model.dropped, lines: model.lineCount, loading: false, error: null });
    };
    const unsubscribe = feed.subscribeOutput(host, (chunks) => {
      const mine = chunks.filter((c) => shows(c.step));
      if (!mine.length) return;
      if (!loaded) {
        buffered.push(...mine);
        return;
      }
      for (const c of mine) model.append(c);
      frame ||= requestAnimationFrame(render);
    });
    setState((s) => ({ ...s, loading: true, error: null }));
    client.runs.output.query({ id: feed.id, host, step: several ? undefined : (step ?? undefined), after: 0 }).then(
      (all) => {
        if (cancelled) return;
        const rows = several ? all.filter((r) => shows(r.step)) : all;
        const chunk = (r: (typeof rows)[number]): LogChunk & { t: number } => ({ step: r.step, stream: r.stream === "stderr" ? "stderr" : "stdout", data: r.data, t: r.t });
        model.appendAll(rows.map(chunk));
        if (buffered.length) {
          // Live chunks that arrived while loading may already be stored: skip those the stored output has.
          const since = Math.min(...buffered.map((c) => c.t));
          const stored = new Map<string, number>();
          for (const r of rows) if (r.t >= since) stored.set(key(chunk(r)), (stored.get(key(chunk(r))) ?? 0) + 1);
          for (const c of buffered) {
            const n = stored.get(key(c)) ?? 0;
            if (n > 0) stored.set(key(c), n - 1);
            else model.append(c);
          }
        }
        buffered = [];
        loaded = true;
        render();
      },
      (e: unknown) => {
        if (!cancelled) setState((s) => ({ ...s, loading: false, error: e }));
      },
    );
    return () => {
      cancelled = true;
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [feed, client, host, step, several, epoch]);
  return state;
}

/** A plain line of a MAAS step, styled (timestamp, level, status); other lines as they are. */
function spansOf(l: LogLine, maas: ReadonlySet<string> | undefined): Span[] {
  const only = l.spans.length === 1 ? l.spans[0]! : undefined;
  return maas?.has(l.step) && only && !only.cls ? (maasSpans(only.text) ?? l.spans) : l.spans;
}

const Block = memo(function Block({ lines, maas, headOf }: { lines: LogLine[]; maas: ReadonlySet<string> | undefined; headOf?: (step: string) => string }) {
  return (
    <>
      {lines.map((l) => {
        if (l.kind === "step")
          return (
            <div key={l.no} className="ll step-head">
              ── {headOf ? headOf(l.step) : l.spans[0]?.text} ──
            </div>
          );
        const spans = spansOf(l, maas);
        // A MAAS event wraps under its text, not under its time.
        const event = spans[0]?.cls === "mx-time";
        return (
          <div key={l.no} className={`ll${l.stream === "stderr" ? " err" : ""}${event ? " mx-event" : ""}`}>
            {l.stream === "stderr" && <span className="sr-only">stderr: </span>}
            {spans.length ? spans.map((s, i) => (s.cls ? <span key={i} className={s.cls} title={s.title}>{s.text}</span> : s.text)) : "\u200b"}
          </div>
        );
      })}
    </>
  );
});

export function LogTail({
  feed,
  host,
  step,
  include,
  headOf,
  stepStatus,
  maasSteps,
}: {
  feed: RunFeed;
  host: string;
  step: string | null;
  /** Shows these steps' output (a playbook step and its tasks) rather than only `step`'s. */
  include?: (step: string) => boolean;
  /** The heading over a step's lines when several steps are shown. */
  headOf?: (step: string) => string;
  stepStatus: StepStatus | undefined;
  maasSteps?: ReadonlySet<string>;
}) {
  const log = useLog(feed, host, step, include);
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [follow, setFollow] = useState(true);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [log]);

  // The panel can shrink (the steps table grows): stay at the end when following.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      if (following.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    if (atEnd !== following.current) {
      following.current = atEnd;
      setFollow(atEnd);
    }
  };
  const jump = () => {
    following.current = true;
    setFollow(true);
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  };

  const empty = !log.loading && !log.error && log.lines === 0;
  return (
    <div className="log-wrap">
      <div className="log-tail" ref={scroller} onScroll={onScroll} data-testid="log-tail" data-following={follow} tabIndex={0} role="log" aria-label={`Output of ${step ?? "all steps"} on ${host}`}>
        {log.dropped > 0 && (
          <div className="log-note">
            {log.dropped.toLocaleString()} earlier lines are not shown: the view keeps the last {MAX_LINES.toLocaleString()}.
          </div>
        )}
        {log.blocks.map((b) => (
          <Block key={b[0]?.no ?? 0} lines={b} maas={maasSteps} headOf={headOf} />
        ))}
        {log.loading && <div className="log-note">Loading output…</div>}
        {log.error !== null && <div className="log-note error">Could not load the output: {errorMessage(log.error)}</div>}
        {empty && (
          <div className="log-note">
            {stepStatus === "pending"
              ? "This step has not started yet; its output will appear here live."
              : stepStatus === "running"
                ? "Running; no output yet."
                : step
                  ? "This step printed nothing."
                  : "This host printed nothing."}
          </div>
        )}
      </div>
      {!follow && (
        <button type="button" className="btn small primary jump" onClick={jump} data-testid="jump-to-end">
          ↓ Jump to end
        </button>
      )}
    </div>
  );
}
