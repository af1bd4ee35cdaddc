/**
 * How long a run still needs, from its live state: the run page and the kiosk show the same number. Pure (no
 * React, no DOM), so the unit tests import it as it is.
 */
import { formatDuration } from "~/server/engine/duration";
import type { Plan } from "~/server/engine/plan";
import type { RunSnapshot } from "~/server/engine/tracker";

export interface Estimate {
  /** Time left (ms). */
  ms: number;
  /** Running steps that have already taken longer than the average step: nobody knows how long they still need. */
  overdue: number;
  /** How the number was made, for a tooltip. */
  explain: string;
}

const nf = new Intl.NumberFormat();

/**
 * Time left. Each running step is expected to need max(average step − its time so far, 0) more, each pending step
 * the average; that work is shared by the steps that run at once (forks, capped by the current batch's hosts).
 * A host's own steps run one after another, so the result is never less than the most any one host still has.
 * The average is the finished steps', raised by the running ones' time so far once that is longer, so a long
 * step lengthens the estimate as it goes. Null while no step has finished (there is nothing to average) and
 * once none is left.
 */
export function estimate(snapshot: RunSnapshot, plan: Pick<Plan, "stages" | "hosts">, forks: number, now: number): Estimate | null {
  const { finishedSteps, finishedMs, totalSteps, batch } = snapshot;
  if (!finishedSteps || finishedMs <= 0 || totalSteps - finishedSteps <= 0) return null;

  const elapsed: number[][] = [];
  const pendingOf: number[] = [];
  let runningMs = 0;
  let running = 0;
  let pending = 0;
  for (const host of Object.values(snapshot.hosts)) {
    const times: number[] = [];
    let waiting = 0;
    // A step with sub-steps (a playbook and its tasks) is their time, not time of its own.
    const containers = new Set(Object.values(host.steps).map((st) => st.parent));
    for (const [id, step] of Object.entries(host.steps)) {
      if (containers.has(id)) continue;
      if (step.status === "running") {
        const t = step.startedAt === undefined ? 0 : Math.max(0, now - step.startedAt);
        times.push(t);
        runningMs += t;
      } else if (step.status === "pending") waiting++;
    }
    elapsed.push(times);
    pendingOf.push(waiting);
    running += times.length;
    pending += waiting;
  }
  if (!running && !pending) return null;

  const avg = Math.max(finishedMs / finishedSteps, (finishedMs + runningMs) / (finishedSteps + running));
  let work = 0;
  let longestHost = 0;
  let overdue = 0;
  elapsed.forEach((times, i) => {
    let host = pendingOf[i]! * avg;
    for (const t of times) {
      host += Math.max(avg - t, 0);
      if (t > avg) overdue++;
    }
    work += host;
    longestHost = Math.max(longestHost, host);
  });
  const batchHosts = batch ? (plan.stages[batch.stage]?.operations[batch.operation]?.batches[batch.index]?.length ?? 1) : plan.hosts.length;
  const parallel = Math.max(1, Math.min(forks, batchHosts));
  const ms = Math.max(work / parallel, longestHost);

  const parts = [`average step ${formatDuration(avg)}`];
  if (running) parts.push(`${nf.format(running)} running${overdue ? ` (${nf.format(overdue)} past the average)` : ""}`);
  if (pending) parts.push(`${nf.format(pending)} pending`);
  parts.push(`${nf.format(parallel)} at a time`);
  return { ms, overdue, explain: parts.join(" · ") };
}

/**
 * The estimate in words: "about 40 s", "about 3 min"; "overdue" when only steps that already run longer than the
 * average are left; "—" when there is no estimate (no step has finished yet).
 */
export function formatEstimate(e: Estimate | null): string {
  if (!e) return "—";
  const { ms } = e;
  if (ms < 1000) return e.overdue ? "overdue" : "under 1 s";
  return `about ${formatDuration(roughly(ms))}`;
}

/** An estimate is no more precise than this: seconds under 10 s, 5 s steps under a minute, then whole minutes. */
function roughly(ms: number): number {
  // Rounded first, compared after, so 59 s is "1 min" rather than "60 s".
  const s = Math.round(ms / 1000);
  if (s < 10) return s * 1000;
  const s5 = Math.round(ms / 5000) * 5;
  if (s5 < 60) return s5 * 1000;
  return Math.round(ms / 60_000) * 60_000;
}
