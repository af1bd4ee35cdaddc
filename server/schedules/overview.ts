/** What the Schedules tab shows: each schedule's next fires, each window's state and next opening, recent fires, held runs. */
import type { Site } from "../inventory";
import type { RunListItem, ScheduleFire } from "../store/types";
import { DEFAULT_TIMEZONE, nextFires, nextOpening, openAt, windowCalendar } from "./calendar";

export interface SchedulesOverview {
  now: number;
  schedules: {
    name: string;
    cron: string;
    timezone: string;
    deployment: string;
    targets: string[] | null;
    enabled: boolean;
    /** file:line:col of its name. */
    where: string;
    next: number[];
    fires: ScheduleFire[];
  }[];
  windows: {
    name: string;
    /** How it opens, in words: "0 1 * * * for 2h", "mon, tue 22:00-04:00". */
    opens: string[];
    timezone: string;
    blackout: string[];
    appliesTo: string;
    onClose: "stop_new_batches" | "continue";
    where: string;
    /** Open now until, or null. */
    openUntil: number | null;
    /** The next opening (null while open, or when it never opens within 366 days). */
    next: { at: number; until: number } | null;
  }[];
  /** Runs approved outside their windows, waiting for one to open. */
  scheduled: Pick<RunListItem, "id" | "deployment" | "requestedBy" | "reason" | "scheduledFor">[];
}

export function schedulesOverview(site: Pick<Site, "schedules">, fires: readonly ScheduleFire[], scheduled: readonly RunListItem[], now: number): SchedulesOverview {
  return {
    now,
    schedules: [...site.schedules.schedules.values()].map(({ spec, src }) => ({
      name: spec.name,
      cron: spec.cron,
      timezone: spec.timezone ?? DEFAULT_TIMEZONE,
      deployment: spec.deployment,
      targets: spec.targets ?? null,
      enabled: spec.enabled !== false,
      where: src.where(["spec", "name"]),
      next: spec.enabled === false ? [] : nextFires(spec, now, 3),
      fires: fires.filter((f) => f.schedule === spec.name).slice(0, 5),
    })),
    windows: [...site.schedules.windows.values()].map(({ spec, src }) => {
      const calendar = windowCalendar(spec);
      const open = openAt(calendar, now);
      const to = spec.applies_to;
      return {
        name: spec.name,
        opens: [
          ...(spec.cron !== undefined && spec.duration !== undefined ? [`${spec.cron} for ${String(spec.duration)}`] : []),
          ...(spec.weekly ?? []).map((r) => `${r.days.join(", ")} ${r.start}–${r.end}`),
        ],
        timezone: calendar.timezone,
        blackout: spec.blackout ?? [],
        appliesTo: to?.deployments || to?.targets ? [to.deployments && `deployments ${to.deployments.join(", ")}`, to.targets && `hosts ${to.targets.join(", ")}`].filter(Boolean).join("; ") : "every run of the site",
        onClose: calendar.onClose,
        where: src.where(["spec", "name"]),
        openUntil: open?.until ?? null,
        next: open ? null : (nextOpening(calendar, now) ?? null),
      };
    }),
    scheduled: scheduled.map(({ id, deployment, requestedBy, reason, scheduledFor }) => ({ id, deployment, requestedBy, reason, scheduledFor })),
  };
}
