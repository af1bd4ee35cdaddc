/** Flightdeck's own events: which engine events become which site events, and recording never touching the run. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent, EventSink, OutputChunk } from "../../server/engine";
import { setReactor } from "../../server/events/hub";
import { OwnEvents, ownEvent } from "../../server/events/own";
import type { EventStore, NewSiteEvent, StoredEvent } from "../../server/events/types";

const RUN = { id: 7, site: "lab", deployment: "web", requestedBy: "ana" };
const base = { run: "7", deployment: "web", requested_by: "ana" };

test("a failed step, a host unreachable (once per host), a run finished; nothing else", () => {
  const unreachable = new Set<string>();
  const of = (e: EngineEvent) => ownEvent(RUN, e, unreachable);
  assert.deepEqual(of({ type: "step.status", host: "h1", step: "install", status: "failed", exitCode: 2, attempt: 3, message: "exit code 2" }), {
    name: "flightdeck/failure/step",
    labels: { ...base, host: "h1", step: "install" },
    data: { message: "exit code 2", exitCode: 2, attempt: 3 },
  });
  assert.deepEqual(of({ type: "step.status", host: "h2", step: "install", status: "unreachable", message: "connection refused" }), {
    name: "flightdeck/host/unreachable",
    labels: { ...base, host: "h2" },
    data: { message: "connection refused" },
  });
  assert.equal(of({ type: "host.status", host: "h2", status: "unreachable" }), undefined, "said once per host");
  assert.deepEqual(of({ type: "run.finished", status: "failed", message: "2 hosts failed" }), { name: "flightdeck/run/finished", labels: { ...base, status: "failed" }, data: { message: "2 hosts failed" } });
  for (const e of [
    { type: "step.status", host: "h1", step: "x", status: "ok" },
    { type: "step.status", host: "h1", step: "x", status: "running", attempt: 2 },
    { type: "host.status", host: "h1", status: "failed" },
    { type: "run.started", hosts: 1, steps: 1 },
  ] as EngineEvent[]) {
    assert.equal(of(e), undefined, JSON.stringify(e));
  }
  assert.equal(ownEvent(RUN, { type: "step.status", host: "h", step: "s".repeat(5000), status: "failed" }, unreachable)!.labels.step!.length, 1024, "labels within the event limits");
});

test("the tapped sink passes everything on at once; recording happens later, in order, and a store that fails is logged, never thrown", async () => {
  setReactor(null);
  const passed: string[] = [];
  const inner: EventSink = { event: (e) => passed.push(e.type), output: (c: OutputChunk) => passed.push(`out:${c.data}`) };
  const stored: NewSiteEvent[] = [];
  let fail = false;
  const events = {
    insert: (site: string, e: NewSiteEvent): Promise<StoredEvent> => {
      if (fail) return Promise.reject(new Error("database is gone"));
      stored.push(e);
      return Promise.resolve({ ...e, id: stored.length, site, outcome: [] } as StoredEvent);
    },
  } as unknown as EventStore;
  const logged: string[] = [];
  const own = new OwnEvents({ events, broadcast: () => undefined }, (line) => logged.push(line));
  const sink = own.tap(RUN, inner);
  sink.event({ type: "step.status", host: "h1", step: "a", status: "failed" });
  sink.output({ host: "h1", step: "a", stream: "stdout", data: "x" });
  sink.event({ type: "run.finished", status: "failed" });
  assert.deepEqual(passed, ["step.status", "out:x", "run.finished"]);
  assert.equal(stored.length, 0, "nothing recorded on the engine's call");
  await own.flush();
  assert.deepEqual(
    stored.map((e) => [e.name, e.source, e.sender]),
    [
      ["flightdeck/failure/step", "flightdeck", "flightdeck"],
      ["flightdeck/run/finished", "flightdeck", "flightdeck"],
    ],
  );

  fail = true;
  sink.event({ type: "run.finished", status: "succeeded" });
  await own.flush();
  assert.deepEqual(logged, ["flightdeck event flightdeck/run/finished of site lab not recorded: database is gone"]);
});
