/**
 * The `schedule` and `maintenance_window` documents: when a deployment is requested by itself, and when runs may
 * execute. Cron expressions are croner's (5 fields, or 6 with seconds); lint checks them (server/schedules/lint.ts).
 */
import { z } from "zod";
import { nameSchema } from "./names";
import { durationSchema } from "./workflow-schemas";

const timezoneSchema = z.string().min(1).meta({ description: "IANA time zone the cron and dates are read in, such as `Europe/Paris`. Default: UTC." });

export const scheduleSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique schedule name; its runs are requested by `schedule:<name>`." }),
  cron: z.string().min(1).meta({ description: "When to request a run: a cron expression (`0 3 * * 1-5`: 03:00 on weekdays), read in `timezone`." }),
  timezone: timezoneSchema.optional(),
  deployment: nameSchema.meta({ description: "The deployment to request." }),
  targets: z.array(z.string().min(1)).optional().meta({ description: "Only these hosts (names or globs) of the deployment. Default: all its hosts." }),
  reason: z.string().optional().meta({ description: "The reason the run is requested with. Default: `schedule <name> (<cron>)`." }),
  enabled: z.boolean().optional().meta({ description: "`false` keeps the schedule without firing it. Default: true." }),
});

const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$/, "must be a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD");

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

const weeklyRangeSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).meta({ description: "Days the window opens on: `mon` ... `sun`." }),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM").meta({ description: "Opening time, HH:MM (24 h)." }),
  end: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM")
    .meta({ description: "Closing time, HH:MM; earlier than `start` closes the next day (22:00 to 04:00)." }),
});

export const ON_CLOSE = ["stop_new_batches", "continue"] as const;

export const maintenanceWindowSpecSchema = z.strictObject({
  name: nameSchema.meta({ description: "Unique window name." }),
  cron: z.string().min(1).optional().meta({ description: "When the window opens (a cron expression); give `duration` too. Or use `weekly`." }),
  duration: durationSchema.optional().meta({ description: "How long the window stays open after each `cron` opening: `4h`, `90m`." }),
  weekly: z.array(weeklyRangeSchema).min(1).optional().meta({ description: "Weekly ranges the window is open in, instead of `cron` and `duration`." }),
  timezone: timezoneSchema.optional(),
  blackout: z.array(dateSchema).optional().meta({ description: "Dates (YYYY-MM-DD) or ranges (YYYY-MM-DD..YYYY-MM-DD) on which the window stays shut." }),
  applies_to: z
    .strictObject({
      deployments: z.array(nameSchema).min(1).optional().meta({ description: "Only runs of these deployments wait for this window." }),
      targets: z.array(z.string().min(1)).min(1).optional().meta({ description: "Only runs touching these hosts (names, groups, globs, selectors) wait for it." }),
    })
    .optional()
    .meta({ description: "Which runs the window holds. Default: every run of the site." }),
  on_close: z
    .enum(ON_CLOSE)
    .optional()
    .meta({ description: "When the window closes during a run: `stop_new_batches` (default: the run ends failed before its next batch) or `continue`." }),
});

export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;
export type MaintenanceWindowSpec = z.infer<typeof maintenanceWindowSpecSchema>;
