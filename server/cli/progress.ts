/**
 * How `flightdeck exec` shows a run: on a terminal, a live overall bar and one line per host, redrawn at most
 * ten times a second; otherwise (a pipe, CI logs) one line per finished step; with --json, every event as a
 * JSON line and the run's summary last.
 */
import { RunTracker, type EngineEvent, type EventSink, type OutputChunk, type Plan, type RunSnapshot, type StepStatus } from "../engine";

const ICON: Record<StepStatus, string> = { pending: "·", running: "▶", ok: "✓", changed: "●", skipped: "-", failed: "✕", unreachable: "?", cancelled: "⊘" };
const COLOR: Record<StepStatus, string> = { pending: "2", running: "36", ok: "32", changed: "33", skipped: "2", failed: "31", unreachable: "35", cancelled: "2" };

export interface Display extends EventSink {
  finish(): void;
  readonly tracker: RunTracker;
}

export function jsonDisplay(plan: Plan, write: (s: string) => void): Display {
  const tracker = new RunTracker(plan);
  let seq = 0;
  return {
    tracker,
    event(e) {
      tracker.apply(e);
      if (e.type === "run.finished") return; // the summary below replaces it
      write(JSON.stringify({ seq: ++seq, t: Date.now(), ...e }));
    },
    output(chunk) {
      write(JSON.stringify({ seq: ++seq, t: Date.now(), type: "step.output", ...chunk }));
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
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  const draw = () => {
    timer = undefined;
    const s = tracker.snapshot;
    const width = Math.max(40, (stream.columns || 100) - 1);
    const lines = [bar(s, Math.min(50, width - 50), started), ...hostLines(s, width, (stream.rows || 40) - 4)];
    stream.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ""}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const schedule = () => {
    timer ??= setTimeout(draw, 100);
  };
  return {
    tracker,
    event(e) {
      tracker.apply(e);
      if (e.type === "notice") {
        // Notices stay above the live area.
        stream.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ""}\x1b[33m!! ${e.host ? `${e.host}: ` : ""}${e.message}\x1b[0m\n`);
        drawn = 0;
      }
      schedule();
    },
    output() {},
    finish() {
      if (timer) clearTimeout(timer);
      draw();
      stream.write(`${summaryLine(tracker.snapshot)}\n`);
    },
  };
}

function bar(s: RunSnapshot, width: number, started: number): string {
  const total = Math.max(1, s.totalSteps);
  const order: StepStatus[] = ["ok", "changed", "failed", "unreachable", "skipped", "cancelled", "running"];
  let line = "";
  let used = 0;
  for (const st of order) {
    const n = Math.round((s.counts[st] / total) * width);
    line += `\x1b[${COLOR[st]}m${"█".repeat(n)}\x1b[0m`;
    used += n;
  }
  line += `\x1b[2m${"░".repeat(Math.max(0, width - used))}\x1b[0m`;
  const elapsed = Math.round((Date.now() - started) / 1000);
  const stage = s.stage ? ` · stage ${s.stage.index + 1}: ${s.stage.name}` : "";
  const batch = s.batch && s.batch.count > 1 ? ` · batch ${s.batch.index + 1}/${s.batch.count}` : "";
  return `${line} ${s.finishedSteps}/${s.totalSteps} steps · ${s.counts.failed} failed · ${s.counts.unreachable} unreachable · ${elapsed}s${stage}${batch}`;
}

function hostLines(s: RunSnapshot, width: number, max: number): string[] {
  const entries = Object.entries(s.hosts);
  // Failed and running hosts first when they do not all fit.
  const rank = (st: StepStatus) => ["failed", "unreachable", "running"].indexOf(st);
  const shown = entries.length > max ? [...entries].sort((a, b) => rank(b[1].status) - rank(a[1].status)).slice(0, max - 1) : entries;
  const nameWidth = Math.min(24, Math.max(...entries.map(([n]) => n.length), 4));
  const lines = shown.map(([name, h]) => {
    const chips = Object.values(h.steps).map((st) => `\x1b[${COLOR[st.status]}m${ICON[st.status]}\x1b[0m`).join("");
    const current = Object.entries(h.steps).find(([, st]) => st.status === "running" || st.status === "failed" || st.status === "unreachable");
    const note = current ? ` ${current[1].status} ${current[0]}${current[1].message ? `: ${current[1].message}` : ""}` : "";
    return `${name.padEnd(nameWidth).slice(0, nameWidth)} ${chips}${note}`.slice(0, width + 40);
  });
  if (shown.length < entries.length) lines.push(`… and ${entries.length - shown.length} more hosts`);
  return lines;
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
