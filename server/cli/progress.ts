/**
 * How `flightdeck exec` shows a run: on a terminal, a live overall bar and one line per host (frame.ts), redrawn
 * in place at most ten times a second and at once on a resize (live-area.ts); otherwise (a pipe, CI logs) one
 * line per finished step; with --json, every event as a JSON line and the run's summary last.
 */
import { stripVTControlCharacters } from "node:util";
import { RunTracker, type EngineEvent, type EventSink, type OutputChunk, type Plan, type RunSnapshot, type StepStatus } from "../engine";
import { OutputCap } from "../engine/output-cap";
import { frameLines, ICON } from "./frame";
import { liveArea } from "./live-area";

export interface Display extends EventSink {
  finish(): void;
  readonly tracker: RunTracker;
}

export function jsonDisplay(plan: Plan, write: (s: string) => void): Display {
  const tracker = new RunTracker(plan);
  // The same cap as the server's store, with the same notice: a step that prints 50 MB does not print it here.
  const cap = new OutputCap();
  let seq = 0;
  return {
    tracker,
    event(e) {
      tracker.apply(e);
      if (e.type === "run.finished") return; // the summary below replaces it
      write(JSON.stringify({ seq: ++seq, t: Date.now(), ...e }));
    },
    output(chunk) {
      const data = cap.take(chunk);
      if (data !== undefined) write(JSON.stringify({ seq: ++seq, t: Date.now(), type: "step.output", ...chunk, data }));
    },
    finish() {
      const s = tracker.snapshot;
      const hosts = Object.fromEntries(
        Object.entries(s.hosts).map(([name, h]) => [name, { status: h.status, steps: Object.fromEntries(Object.entries(h.steps).map(([id, st]) => [id, st.status])) }]),
      );
      write(JSON.stringify({ seq: ++seq, t: Date.now(), type: "run.finished", status: s.status, ...(s.message ? { message: s.message } : {}), hosts }));
    },
  };
}

export function lineDisplay(plan: Plan, write: (s: string) => void): Display {
  const tracker = new RunTracker(plan);
  const output = new Map<string, string>();
  return {
    tracker,
    event(e: EngineEvent) {
      tracker.apply(e);
      if (e.type === "stage.started") write(`== stage ${e.stage + 1}/${plan.stages.length}: ${e.name}`);
      else if (e.type === "batch.started" && e.batches > 1) write(`-- batch ${e.batch + 1}/${e.batches}: ${e.hosts.join(", ")}`);
      else if (e.type === "notice") write(`!! ${e.host ? `${e.host}: ` : ""}${e.message}`);
      else if (e.type === "step.status" && e.status !== "running" && e.status !== "pending") {
        const extra = [e.durationMs !== undefined ? `${e.durationMs} ms` : "", e.message ?? ""].filter(Boolean).join(", ");
        write(`${ICON[e.status]} ${e.host} ${e.step}: ${e.status}${extra ? ` (${extra})` : ""}`);
        const key = `${e.host}\0${e.step}`;
        if (e.status === "failed" && output.get(key)) write(indent(tail(output.get(key)!)));
        output.delete(key);
      }
    },
    output(chunk: OutputChunk) {
      const key = `${chunk.host}\0${chunk.step}`;
      output.set(key, tail((output.get(key) ?? "") + chunk.data));
    },
    finish() {
      write(summaryLine(tracker.snapshot));
    },
  };
}

export function terminalDisplay(plan: Plan, stream: NodeJS.WriteStream): Display {
  const tracker = new RunTracker(plan);
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const draw = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    area.render(frameLines(tracker.snapshot, { columns: stream.columns || 100, rows: stream.rows || 40 }, Date.now() - started));
  };
  // A resize redraws at once: the old frame was just erased.
  const area = liveArea(stream, draw);
  const schedule = () => {
    timer ??= setTimeout(draw, 100);
  };
  // The elapsed time moves on while a long step sends no events.
  const ticker = setInterval(schedule, 1000);
  ticker.unref();
  return {
    tracker,
    event(e) {
      tracker.apply(e);
      // Notices stay above the live area.
      if (e.type === "notice") area.persist(`\x1b[33m!! ${stripVTControlCharacters(`${e.host ? `${e.host}: ` : ""}${e.message}`)}\x1b[0m`);
      schedule();
    },
    output() {},
    finish() {
      clearInterval(ticker);
      draw();
      area.done();
      stream.write(`${summaryLine(tracker.snapshot)}\n`);
    },
  };
}

function summaryLine(s: RunSnapshot): string {
  const hosts = Object.values(s.hosts);
  const by = (st: StepStatus) => hosts.filter((h) => h.status === st).length;
  return `run ${s.status}: ${hosts.length} hosts (${by("ok")} ok, ${by("changed")} changed, ${by("failed")} failed, ${by("unreachable")} unreachable, ${by("skipped")} skipped, ${by("cancelled")} cancelled)${s.message ? ` — ${s.message}` : ""}`;
}

function tail(s: string, max = 4000): string {
  return s.length > max ? s.slice(-max) : s;
}

function indent(s: string): string {
  return s
    .trimEnd()
    .split("\n")
    .slice(-20)
    .map((l) => `    | ${l}`)
    .join("\n");
}
