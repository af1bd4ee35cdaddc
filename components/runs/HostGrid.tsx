"use client";

/**
 * Every host of the run as a row of step chips (or, for big fleets, a dense grid of tiles), virtualised with
 * fixed row heights and fixed chip sizes so that nothing moves when events arrive. Rows are memoised by host
 * and by that host's version counter: an event re-renders the one row it touches, once per frame.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useMemo, useRef, useState, type CSSProperties, type MouseEvent } from "react";
import { formatDuration } from "~/server/engine/duration";
import type { StepStatus } from "~/server/engine/events";
import type { Plan } from "~/server/engine/plan";
import { emptyCounts, type RunSnapshot, type StepState } from "~/server/engine/tracker";
import { plainClick, StateIcon } from "./bits";
import { BAR_ORDER, PROBLEM_RANK, STEP_LOOK } from "./states";
import { runStepOrder, RunSteps, taskSummary, type HostStep } from "./substeps";

export const ROW_H = 30;
const TILE = 24;
const TILE_GAP = 4;
/** Up to this many columns, chips line up in one column per step (a failing step reads as a line). */
const ALIGN_MAX = 48;
/** A playbook with more tasks than this shows them as one grouped chip (unless the user asks for each task). */
const TASKS_EACH_MAX = 24;

export interface HostMeta {
  groups: string[];
  labels: Record<string, string>;
}

/**
 * What a row shows, left to right: a step's chip; a playbook step's tasks, each a chip, in a band after the
 * step's own chip; or a playbook step and all its tasks as one grouped chip (a mini bar of the tasks in order).
 */
type Cell =
  | { kind: "step"; id: string; n: number; opStart: boolean }
  | { kind: "tasks"; parent: string; ids: string[] }
  | { kind: "group"; id: string; n: number; opStart: boolean; tasks: string[] };

interface Model {
  /** The shared columns (aligned rows), or null when every row lays out its own steps. */
  cells: Cell[] | null;
  width: number;
  steps: RunSteps;
  grouped: boolean;
  /** The plan has playbook steps (the tasks toggle is offered). */
  hasGroups: boolean;
  order: Map<string, number>;
}

export type TasksMode = "auto" | "each" | "grouped";

/** Lays out steps (each task after its step, in run order) as cells; `opStarts` marks the first step of each operation. */
function cellsOf(list: readonly HostStep[], steps: RunSteps, grouped: boolean, opStarts?: ReadonlySet<string>): Cell[] {
  const cells: Cell[] = [];
  let n = 0;
  for (const { id, parent } of list) {
    const last = cells[cells.length - 1];
    if (parent === undefined) {
      const opStart = opStarts?.has(id) === true && n > 0;
      n++;
      cells.push(grouped && steps.groups.has(id) ? { kind: "group", id, n, opStart, tasks: [] } : { kind: "step", id, n, opStart });
    } else if (grouped) {
      if (last?.kind === "group" && last.id === parent) last.tasks.push(id);
    } else if (last?.kind === "tasks" && last.parent === parent) last.ids.push(id);
    else cells.push({ kind: "tasks", parent, ids: [id] });
  }
  return cells;
}

function cellWidth(c: Cell): number {
  const w = c.kind === "step" ? CHIP : c.kind === "group" ? GROUP_W : tasksWidth(c.ids.length);
  return w + CHIP_GAP + (c.kind !== "tasks" && c.opStart ? OP_GAP : 0);
}

const tasksWidth = (n: number) => n * (CHIP + CHIP_GAP) - CHIP_GAP + 2 * TASKS_PAD;

function buildModel(plan: Plan, snapshot: RunSnapshot, mode: TasksMode): Model {
  const steps = new RunSteps(plan);
  const stepsOf = new Map<string, string[]>();
  const opStarts = new Set<string>();
  for (const stage of plan.stages) {
    for (const op of stage.operations) {
      if (op.steps[0]) opStarts.add(op.steps[0].id);
      for (const h of op.hosts) {
        const list = stepsOf.get(h);
        if (list) list.push(...op.steps.map((s) => s.id));
        else stepsOf.set(h, op.steps.map((s) => s.id));
      }
    }
  }
  // Tasks the plan did not list join the columns where they ran.
  const ids = steps.groups.size ? runStepOrder(plan, snapshot, (h) => stepsOf.get(h)?.length ?? 0) : plan.steps;
  const list = steps.withParents(ids);
  const tasksPer = new Map<string, number>();
  for (const s of list) if (s.parent !== undefined) tasksPer.set(s.parent, (tasksPer.get(s.parent) ?? 0) + 1);
  const grouped = mode === "grouped" || (mode === "auto" && (list.length > ALIGN_MAX || [...tasksPer.values()].some((n) => n > TASKS_EACH_MAX)));
  const cells = cellsOf(list, steps, grouped, opStarts);
  const columns = cells.reduce((sum, c) => sum + (c.kind === "tasks" ? c.ids.length : c.kind === "group" ? 3 : 1), 0);
  const aligned = columns <= ALIGN_MAX;
  return {
    cells: aligned ? cells : null,
    width: aligned ? cells.reduce((w, c) => w + cellWidth(c), 0) : 0,
    steps,
    grouped,
    hasGroups: steps.groups.size > 0,
    order: new Map(plan.hosts.map((h, i) => [h, i])),
  };
}

export function chipTitle(name: string, id: string, st: StepState): string {
  const parts = [`${name} — ${STEP_LOOK[st.status].label}`];
  const facts: string[] = [];
  if (st.exitCode !== undefined && st.exitCode !== null) facts.push(`exit ${st.exitCode}`);
  if (st.durationMs !== undefined) facts.push(formatDuration(st.durationMs));
  if (st.attempt !== undefined && st.attempt > 1) facts.push(`attempt ${st.attempt}`);
  if (st.status === "running" && st.startedAt) facts.push(`since ${new Date(st.startedAt).toLocaleTimeString()}`);
  if (facts.length) parts[0] += ` · ${facts.join(" · ")}`;
  if (id !== name) parts.push(id);
  if (st.message) parts.push(st.message);
  return parts.join("\n");
}

export interface HostNote {
  /** The step's name. */
  step: string;
  text: string;
  /** "running": what the running step says now; "failed"/"unreachable": why the host stopped. */
  tone: "running" | "failed" | "unreachable";
}

/**
 * A host's live note: the running step's message (a MAAS machine's status, a retry), or for a failed or
 * unreachable host the message of the step that stopped it. Null when there is nothing to say.
 */
export function hostNote(state: RunSnapshot["hosts"][string] | undefined, steps: RunSteps): HostNote | null {
  if (!state) return null;
  const bad = state.status === "failed" || state.status === "unreachable";
  for (const { id, parent } of steps.ofHost(state)) {
    const st = state.steps[id]!;
    if (st.status === "running") {
      // A retried step without a message yet still says which attempt it is on (the note does not blink out).
      const text = st.message ?? (st.attempt !== undefined && st.attempt > 1 ? `attempt ${st.attempt}` : null);
      if (text) return { step: steps.label(id, parent), text, tone: "running" };
      // A playbook says which task it is on.
      if (parent !== undefined) return { step: steps.name(parent), text: steps.name(id, parent), tone: "running" };
    } else if (bad && (st.status === "failed" || st.status === "unreachable") && st.message) {
      return { step: steps.label(id, parent), text: st.message, tone: st.status };
    }
  }
  return null;
}

const noteText = (n: HostNote) => `${n.step} · ${n.text}`;

/** The state a host is shown in (the tracker already shows a host between steps as running). */
export function hostStatus(h: RunSnapshot["hosts"][string] | undefined): StepStatus {
  return h?.status ?? "pending";
}

type Open = (host: string, step: string | null) => void;
type HrefFor = (host: string, step: string | null) => string;

interface Props {
  plan: Plan;
  /** The run is still going: hosts with steps left show as in progress. */
  active: boolean;
  snapshot: RunSnapshot;
  version: number;
  hostVersion: (host: string) => number;
  meta: Map<string, HostMeta> | undefined;
  selectedHost: string | null;
  selectedStep: string | null;
  hrefFor: HrefFor;
  onOpen: Open;
}

type Mode = "rows" | "tiles";

export function HostGrid({ plan, active, snapshot, version, hostVersion, meta, selectedHost, selectedStep, hrefFor, onOpen }: Props) {
  const [tasks, setTasks] = useState<TasksMode>("auto");
  // A task the plan did not list adds a step to the run (totalSteps): only then can the columns change.
  const model = useMemo(() => buildModel(plan, snapshot, tasks), [plan, snapshot, snapshot.totalSteps, tasks]);
  const [query, setQuery] = useState("");
  const [problemsFirst, setProblemsFirst] = useState(false);
  const [stateFilter, setStateFilter] = useState<StepStatus | "">("");
  const [mode, setMode] = useState<Mode>("rows");

  const searchText = useMemo(() => {
    const m = new Map<string, string>();
    for (const h of plan.hosts) {
      const x = meta?.get(h);
      m.set(h, [h, ...(x?.groups.filter((g) => g !== "all") ?? []), ...Object.entries(x?.labels ?? {}).map(([k, v]) => `${k}=${v}`)].join(" ").toLowerCase());
    }
    return m;
  }, [plan.hosts, meta]);

  // Once per frame at most (version), and cheap for 1,000 hosts: one pass to filter and count, a sort when asked.
  const { rows, byState, shown } = useMemo(() => {
    void version;
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    const byState = emptyCounts();
    const rows: string[] = [];
    const shown = new Map<string, StepStatus>();
    for (const h of plan.hosts) {
      const st = hostStatus(snapshot.hosts[h]);
      shown.set(h, st);
      byState[st]++;
      if (stateFilter && st !== stateFilter) continue;
      if (terms.length) {
        const text = searchText.get(h) ?? h;
        if (!terms.every((t) => text.includes(t))) continue;
      }
      rows.push(h);
    }
    if (problemsFirst) {
      const rank = (h: string) => PROBLEM_RANK[shown.get(h) ?? "pending"];
      rows.sort((a, b) => rank(a) - rank(b) || model.order.get(a)! - model.order.get(b)!);
    }
    return { rows, byState, shown };
  }, [version, query, stateFilter, problemsFirst, plan.hosts, snapshot, searchText, model.order, active]);

  const problems = byState.failed + byState.unreachable;

  return (
    <section className="host-grid" aria-label="Hosts">
      <div className="grid-toolbar">
        <input
          type="search"
          className="grid-search"
          placeholder={meta ? "Search name, group, label (role=web)…" : "Search hosts by name…"}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          aria-label="Search hosts by name, group or label"
          data-testid="host-search"
        />
        <button
          type="button"
          className={`btn small toggle ${problemsFirst ? "on" : ""}`}
          aria-pressed={problemsFirst}
          onClick={() => setProblemsFirst((p) => !p)}
          data-testid="problems-first"
          title="Failed and unreachable hosts at the top"
        >
          <span aria-hidden="true">▲</span> Problems first{problems > 0 && <span className="badge error mini">{problems}</span>}
        </button>
        <select value={stateFilter} onChange={(e) => setStateFilter(e.target.value as StepStatus | "")} aria-label="Show hosts in state" data-testid="state-filter">
          <option value="">All states ({plan.hosts.length})</option>
          {(Object.keys(STEP_LOOK) as StepStatus[]).map((s) => (
            <option key={s} value={s} disabled={!byState[s] && stateFilter !== s}>
              {STEP_LOOK[s].icon} {STEP_LOOK[s].label} ({byState[s]})
            </option>
          ))}
        </select>
        {model.hasGroups && mode === "rows" && (
          <div className="seg-toggle" role="group" aria-label="Playbook tasks">
            <button type="button" className={`btn small ${!model.grouped ? "on" : ""}`} aria-pressed={!model.grouped} onClick={() => setTasks("each")} title="A chip for every task of a playbook step" data-testid="tasks-each">
              Each task
            </button>
            <button type="button" className={`btn small ${model.grouped ? "on" : ""}`} aria-pressed={model.grouped} onClick={() => setTasks("grouped")} title="One chip per playbook step, its tasks as a bar inside" data-testid="tasks-grouped">
              By playbook
            </button>
          </div>
        )}
        <div className="seg-toggle" role="group" aria-label="Layout">
          <button type="button" className={`btn small ${mode === "rows" ? "on" : ""}`} aria-pressed={mode === "rows"} onClick={() => setMode("rows")} title="One row of step chips per host">
            ☰ Rows
          </button>
          <button type="button" className={`btn small ${mode === "tiles" ? "on" : ""}`} aria-pressed={mode === "tiles"} onClick={() => setMode("tiles")} title="One tile per host: dense, for big fleets" data-testid="tiles-mode">
            ▦ Tiles
          </button>
        </div>
        <span className="muted grid-count" aria-live="polite">
          {rows.length === plan.hosts.length ? `${plan.hosts.length} ${plan.hosts.length === 1 ? "host" : "hosts"}` : `${rows.length} of ${plan.hosts.length} hosts`}
        </span>
      </div>
      {mode === "rows" ? (
        <Rows rows={rows} shown={shown} model={model} snapshot={snapshot} hostVersion={hostVersion} selectedHost={selectedHost} selectedStep={selectedStep} hrefFor={hrefFor} onOpen={onOpen} />
      ) : (
        <Tiles rows={rows} shown={shown} model={model} snapshot={snapshot} hostVersion={hostVersion} selectedHost={selectedHost} hrefFor={hrefFor} onOpen={onOpen} />
      )}
      {rows.length === 0 && (
        <p className="muted grid-empty">
          No host matches {query ? <>“{query}”</> : null}
          {query && stateFilter ? " in " : null}
          {stateFilter ? <>state {STEP_LOOK[stateFilter].label}</> : null}.{" "}
          <button
            type="button"
            className="btn small"
            onClick={() => {
              setQuery("");
              setStateFilter("");
            }}
          >
            Show all hosts
          </button>
        </p>
      )}
    </section>
  );
}

interface ViewProps {
  rows: string[];
  shown: Map<string, StepStatus>;
  model: Model;
  snapshot: RunSnapshot;
  hostVersion: (host: string) => number;
  selectedHost: string | null;
  hrefFor: HrefFor;
  onOpen: Open;
}

function Rows({ rows, shown, model, snapshot, hostVersion, selectedHost, selectedStep, hrefFor, onOpen }: ViewProps & { selectedStep: string | null }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_H, overscan: 8, getItemKey: (i) => rows[i] ?? i });

  // Opening a host from a link scrolls its row into view once.
  const lastScrolled = useRef<string | null>(null);
  useEffect(() => {
    if (!selectedHost || lastScrolled.current === selectedHost) return;
    const i = rows.indexOf(selectedHost);
    if (i >= 0) {
      lastScrolled.current = selectedHost;
      virtual.scrollToIndex(i, { align: "auto" });
    }
  }, [selectedHost, rows, virtual]);

  return (
    <div className="grid-scroll" ref={scroller} data-testid="host-grid">
      {model.cells && <GridHead cells={model.cells} steps={model.steps} />}
      <div role="list" aria-label="Hosts and their steps" className="grid-body" style={{ height: virtual.getTotalSize(), minWidth: model.cells ? model.width + NAME_W + 24 : undefined }}>
        {virtual.getVirtualItems().map((item) => {
          const host = rows[item.index]!;
          const state = snapshot.hosts[host];
          if (!state) return null;
          return (
            <HostRow
              key={host}
              host={host}
              top={item.start}
              state={state}
              version={hostVersion(host)}
              status={shown.get(host) ?? state.status}
              model={model}
              selectedStep={host === selectedHost ? (selectedStep ?? "") : null}
              hrefFor={hrefFor}
              onOpen={onOpen}
            />
          );
        })}
      </div>
    </div>
  );
}

/** Column numbers over aligned rows; a playbook's tasks under one label, its name. */
function GridHead({ cells, steps }: { cells: Cell[]; steps: RunSteps }) {
  return (
    <div className="grid-head" aria-hidden="true">
      <span className="hname-head">Host</span>
      <span className="chips">
        {cells.map((c) =>
          c.kind === "step" ? (
            <span key={c.id} className={`col-n${c.opStart ? " op-start" : ""}`} title={`${c.n}. ${c.id}`}>
              {c.n}
            </span>
          ) : c.kind === "tasks" ? (
            <span key={`${c.parent}\0tasks`} className="col-tasks" style={{ width: tasksWidth(c.ids.length) }} title={`${steps.name(c.parent)}: ${c.ids.length} ${c.ids.length === 1 ? "task" : "tasks"}`}>
              {c.ids.length} {c.ids.length === 1 ? "task" : "tasks"}
            </span>
          ) : (
            <span key={c.id} className={`col-group${c.opStart ? " op-start" : ""}`} style={{ width: GROUP_W }} title={`${c.n}. ${c.id}: ${c.tasks.length} tasks`}>
              {c.n} · {c.tasks.length} tasks
            </span>
          ),
        )}
      </span>
    </div>
  );
}

const CHIP = 18;
const CHIP_GAP = 3;
const OP_GAP = 8;
const NAME_W = 220;
/** A grouped playbook chip: its state square and a bar of its tasks. */
const GROUP_W = 76;
/** Inner padding of a band of task chips. */
const TASKS_PAD = 3;

interface RowProps {
  host: string;
  top: number;
  state: RunSnapshot["hosts"][string];
  /** Changes whenever the host's state changes (the state object itself is updated in place). */
  version: number;
  status: StepStatus;
  model: Model;
  /** null: this host is not open; "": open without a step; else the open step. */
  selectedStep: string | null;
  hrefFor: HrefFor;
  onOpen: Open;
}

function click(onOpen: Open, host: string, step: string | null) {
  return (e: MouseEvent) => {
    if (!plainClick(e)) return;
    e.preventDefault();
    onOpen(host, step);
  };
}

const HostRow = memo(function HostRow({ host, top, state, status, model, selectedStep, hrefFor, onOpen }: RowProps) {
  const { steps } = model;
  const chip = (id: string, opStart: boolean, parent?: string) => {
    const st = state.steps[id];
    if (!st) return <span key={id} className={`chip none${opStart ? " op-start" : ""}`} aria-hidden="true" />;
    const label = steps.label(id, parent);
    return (
      <a
        key={id}
        className={`chip st-${st.status}${opStart ? " op-start" : ""}${selectedStep === id ? " sel" : ""}`}
        href={hrefFor(host, id)}
        onClick={click(onOpen, host, id)}
        title={chipTitle(label, id, st)}
        aria-label={`${label}: ${STEP_LOOK[st.status].label}`}
        data-testid={`chip-${host}-${id}`}
        data-status={st.status}
      >
        {STEP_LOOK[st.status].icon}
      </a>
    );
  };
  const cell = (c: Cell) => {
    if (c.kind === "step") return chip(c.id, c.opStart);
    if (c.kind === "tasks") {
      // Tasks this host has not met (a handler that ran elsewhere) keep their column empty.
      return (
        <span key={`${c.parent}\0tasks`} className={`chip-tasks${state.steps[c.parent] ? "" : " none"}`} style={{ width: tasksWidth(c.ids.length) }}>
          {c.ids.map((id) => chip(id, false, c.parent))}
        </span>
      );
    }
    return <GroupChip key={c.id} host={host} id={c.id} tasks={c.tasks} opStart={c.opStart} state={state} steps={steps} selected={selectedStep !== null && selectedStep !== "" && steps.inGroup(c.id, selectedStep)} hrefFor={hrefFor} onOpen={onOpen} />;
  };
  // Rows that are not aligned lay out this host's own steps (tasks the plan did not list included).
  const cells = model.cells ?? cellsOf(steps.ofHost(state), steps, model.grouped);
  return (
    <div role="listitem" className={`hrow${selectedStep !== null ? " sel" : ""}`} style={{ transform: `translateY(${top}px)` }} data-testid={`host-row-${host}`} data-status={status}>
      <a className="hname" href={hrefFor(host, null)} onClick={click(onOpen, host, null)} title={`${host}: ${STEP_LOOK[status].label}`}>
        <StateIcon status={status} />
        <span className="hname-text">{host}</span>
      </a>
      <span className="chips">{cells.map(cell)}</span>
      <Note note={hostNote(state, steps)} host={host} />
    </div>
  );
});

/**
 * A playbook step and its tasks as one chip: the step's state (colour and icon) and a bar with a segment per task,
 * in order, so where the playbook is reads at a glance; the counts are in the tooltip and the accessible name.
 */
function GroupChip({ host, id, tasks, opStart, state, steps, selected, hrefFor, onOpen }: { host: string; id: string; tasks: string[]; opStart: boolean; state: RunSnapshot["hosts"][string]; steps: RunSteps; selected: boolean; hrefFor: HrefFor; onOpen: Open }) {
  const st = state.steps[id];
  if (!st) return <span className={`chip-group none${opStart ? " op-start" : ""}`} aria-hidden="true" />;
  // This host's own tasks (a handler or an include that ran elsewhere is not one of them).
  tasks = tasks.filter((t) => state.steps[t]);
  const { counts, done, running } = taskSummary(state, tasks);
  const tally = BAR_ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${STEP_LOOK[s].label}`).join(", ");
  const name = steps.name(id);
  const text = `${name}: ${STEP_LOOK[st.status].label} · ${done} of ${tasks.length} tasks done${tally ? ` (${tally})` : ""}${running ? ` · now: ${steps.name(running, id)}` : ""}`;
  return (
    <a
      className={`chip-group${opStart ? " op-start" : ""}${selected ? " sel" : ""}`}
      href={hrefFor(host, id)}
      onClick={click(onOpen, host, id)}
      title={`${text}${st.message ? `\n${st.message}` : ""}`}
      aria-label={text}
      data-testid={`group-${host}-${id}`}
      data-status={st.status}
      data-done={done}
      data-tasks={tasks.length}
    >
      <span className={`chip st-${st.status}`} aria-hidden="true">
        {STEP_LOOK[st.status].icon}
      </span>
      <span className={`group-bar${tasks.length > 16 ? " dense" : ""}`} aria-hidden="true">
        {tasks.length ? tasks.map((t) => <span key={t} className={`st-${state.steps[t]?.status ?? "pending"}`} />) : <span className={`st-${st.status}`} />}
      </span>
    </a>
  );
}

/** The host's live note after its chips: one line, cut with an ellipsis, the whole text on hover. */
function Note({ note, host }: { note: HostNote | null; host: string }) {
  if (!note) return <span className="hnote" aria-hidden="true" />;
  return (
    <span className={`hnote ${note.tone}`} title={noteText(note)} data-testid={`host-note-${host}`} data-tone={note.tone}>
      <span className="hnote-step">{note.step}</span> · {note.text}
    </span>
  );
}

function Tiles({ rows, shown, model, snapshot, hostVersion, selectedHost, hrefFor, onOpen }: ViewProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  // Notes of the tiles on screen, recomputed only for hosts whose version (or settled state, at the run's end) moved.
  const notes = useMemo(() => new Map<string, { version: number; status: StepStatus; note: string | undefined }>(), [model]); // a new plan, new notes
  const noteOf = (host: string, state: RunSnapshot["hosts"][string]) => {
    const version = hostVersion(host);
    const hit = notes.get(host);
    if (hit && hit.version === version && hit.status === state.status) return hit.note;
    const n = hostNote(state, model.steps);
    const note = n ? noteText(n) : undefined;
    notes.set(host, { version, status: state.status, note });
    return note;
  };
  const perRow = Math.max(1, Math.floor((width - 16 + TILE_GAP) / (TILE + TILE_GAP)));
  const lines = Math.ceil(rows.length / perRow);
  const virtual = useVirtualizer({ count: lines, getScrollElement: () => scroller.current, estimateSize: () => TILE + TILE_GAP, overscan: 6 });
  return (
    <div className="grid-scroll tiles" ref={scroller} data-testid="host-tiles">
      <div role="list" aria-label="Hosts" className="grid-body" style={{ height: virtual.getTotalSize() }}>
        {virtual.getVirtualItems().map((item) => (
          <div key={item.index} className="tile-row" style={{ transform: `translateY(${item.start}px)` }}>
            {rows.slice(item.index * perRow, (item.index + 1) * perRow).map((host) => {
              const state = snapshot.hosts[host];
              if (!state) return null;
              // Every step the host has now, tasks that appeared as they ran included.
              const steps = Object.values(state.steps);
              return (
                <Tile
                  key={host}
                  host={host}
                  note={noteOf(host, state)}
                  status={shown.get(host) ?? state.status}
                  done={steps.filter((st) => st.status !== "pending" && st.status !== "running").length}
                  total={steps.length}
                  version={hostVersion(host)}
                  selected={host === selectedHost}
                  hrefFor={hrefFor}
                  onOpen={onOpen}
                />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

const Tile = memo(function Tile({ host, note, status, done, total, selected, hrefFor, onOpen }: { host: string; note: string | undefined; status: StepStatus; done: number; total: number; version: number; selected: boolean; hrefFor: HrefFor; onOpen: Open }) {
  return (
    <a
      role="listitem"
      className={`tile st-${status}${selected ? " sel" : ""}${done > 0 && done < total ? " partial" : ""}`}
      style={done > 0 && done < total ? ({ "--done": (done / total).toFixed(3) } as CSSProperties) : undefined}
      href={hrefFor(host, null)}
      onClick={click(onOpen, host, null)}
      title={`${host} — ${STEP_LOOK[status].label} · ${done}/${total} steps${note ? `\n${note}` : ""}`}
      aria-label={`${host}: ${STEP_LOOK[status].label}${note ? ` — ${note}` : ""}`}
      data-testid={`tile-${host}`}
      data-status={status}
    >
      {STEP_LOOK[status].icon}
    </a>
  );
});
