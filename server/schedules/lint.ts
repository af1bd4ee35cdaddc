/**
 * `schedule` and `maintenance_window` documents read from validated documents and checked, each problem placed at
 * the value that causes it: a cron croner refuses (its message), an unknown time zone or deployment, a window
 * without openings or that never opens in the next 366 days (blackouts counted).
 */
import type { Diagnostic } from "../inventory/diagnostics";
import type { Place, SiteModel } from "../inventory/model";
import type { Resolver } from "../inventory/resolve";
import type { MaintenanceWindowSpec, ScheduleSpec } from "../inventory/schedule-schemas";
import { matchTarget } from "../inventory/targets";
import type { ValidDoc } from "../inventory/validate";
import type { Workflows } from "../inventory/workflows";
import { didYouMean } from "../template/suggest";
import { cronProblem, nextOpening, timezoneProblem, windowCalendar } from "./calendar";

export interface ScheduleDef extends Place {
  spec: ScheduleSpec;
}

export interface WindowDef extends Place {
  spec: MaintenanceWindowSpec;
}

/** The site's schedules and maintenance windows (those whose documents are valid; lint said why others are not). */
export interface SiteSchedules {
  schedules: Map<string, ScheduleDef>;
  windows: Map<string, WindowDef>;
}

export function buildSchedules(
  docs: readonly ValidDoc[],
  workflows: Pick<Workflows, "deployments">,
  model: SiteModel,
  resolver: Resolver,
  now = Date.now(),
): SiteSchedules & { diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const schedules = new Map<string, ScheduleDef>();
  const windows = new Map<string, WindowDef>();
  /** Where each name was first defined, valid or not: a second one is a duplicate either way. */
  const first = new Map<string, ValidDoc>();
  const deployment = (d: ValidDoc, path: (string | number)[], name: string) => {
    if (!workflows.deployments.has(name)) diagnostics.push(d.src.diagnostic(path, "error", `deployment '${name}' does not exist${didYouMean(name, workflows.deployments.keys())}`));
  };
  const targets = (d: ValidDoc, path: (string | number)[], list: readonly string[] | undefined) =>
    list?.forEach((t, i) => {
      if (!matchTarget(model, resolver, t).length) diagnostics.push(d.src.diagnostic([...path, i], "warning", `target '${t}' matches no host`));
    });

  for (const d of docs) {
    if ((d.kind !== "schedule" && d.kind !== "maintenance_window") || d.invalid.has("spec")) continue;
    const errorsBefore = diagnostics.length;
    const error = (path: (string | number)[], message: string, key = false) => diagnostics.push(d.src.diagnostic(["spec", ...path], "error", message, key));
    const zone = (tz: string | undefined) => {
      const problem = tz === undefined ? undefined : timezoneProblem(tz);
      if (problem) error(["timezone"], problem);
      return !problem;
    };
    const duplicate = (what: string, name: string) => {
      const earlier = first.get(`${d.kind}\0${name}`);
      if (earlier) error(["name"], `duplicate ${what} '${name}' (first defined at ${earlier.src.where(["spec", "name"])})`);
      else first.set(`${d.kind}\0${name}`, d);
      return earlier !== undefined;
    };
    const cron = (expression: string | undefined) => {
      const problem = expression === undefined ? undefined : cronProblem(expression);
      if (problem) error(["cron"], `cron '${expression}': ${problem}`);
      return !problem;
    };

    if (d.kind === "schedule") {
      const spec = (d.value as { spec: ScheduleSpec }).spec;
      if (duplicate("schedule", spec.name)) continue;
      cron(spec.cron);
      zone(spec.timezone);
      deployment(d, ["spec", "deployment"], spec.deployment);
      targets(d, ["spec", "targets"], spec.targets);
      if (diagnostics.slice(errorsBefore).every((x) => x.severity !== "error")) schedules.set(spec.name, { src: d.src, path: ["spec"], spec });
      continue;
    }

    const spec = (d.value as { spec: MaintenanceWindowSpec }).spec;
    if (duplicate("maintenance window", spec.name)) continue;
    if (spec.cron === undefined && spec.weekly === undefined) error([], "a maintenance window needs `cron` with `duration`, or `weekly` ranges", false);
    if (spec.cron !== undefined && spec.duration === undefined) error(["cron"], "`cron` says when the window opens: give `duration` too (how long it stays open)");
    if (spec.duration !== undefined && spec.cron === undefined) error(["duration"], "`duration` needs `cron` (when the window opens)");
    const usable = cron(spec.cron) && zone(spec.timezone);
    spec.blackout?.forEach((b, i) => {
      const [from, to] = b.split("..");
      if (!validDate(from!) || (to !== undefined && !validDate(to))) error(["blackout", i], `'${b}' is not a calendar date`);
      else if (to !== undefined && to < from!) error(["blackout", i], `blackout range '${b}' ends before it starts`);
    });
    spec.applies_to?.deployments?.forEach((name, i) => deployment(d, ["spec", "applies_to", "deployments", i], name));
    targets(d, ["spec", "applies_to", "targets"], spec.applies_to?.targets);
    if (usable && diagnostics.slice(errorsBefore).every((x) => x.severity !== "error")) {
      if (!nextOpening(windowCalendar(spec), now)) {
        error([spec.cron !== undefined ? "cron" : "weekly"], `maintenance window '${spec.name}' never opens in the next 366 days${spec.blackout?.length ? " (its blackout dates included)" : ""}`);
      } else windows.set(spec.name, { src: d.src, path: ["spec"], spec });
    }
  }
  return { schedules, windows, diagnostics };
}

function validDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().startsWith(s);
}
