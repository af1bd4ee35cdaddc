/**
 * The `reaction` document: which events it answers (a name glob and label globs), a `when` condition over
 * `event`, the trigger limiter (how many occurrences within a window, how long before reacting again, how long
 * to wait for more), what it runs and whether that run needs a reviewer. server/events/reactions acts on them.
 */
import { z } from "zod";
import { durationSchema } from "./workflow-schemas";

/** An event name glob: event name characters, with `*` (any run of characters, `/` included) and `?` (one). */
export const EVENT_GLOB = /^[A-Za-z0-9_.:@+\-/*?]+$/;

const eventGlobSchema = z
  .string()
  .min(1)
  .regex(EVENT_GLOB, "must be an event name or a glob over one: letters, digits, _ . : @ + - / and the wildcards * and ?")
  .meta({ description: "The events it answers: a name (`alertmanager/DiskFull`) or a glob (`alertmanager/*`, `flightdeck/failure/*`)." });

const labelGlobs = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_.\-/]*$/, "a label name starts with a letter or _ and has letters, digits and _ . - /"),
    z.union([z.string(), z.number(), z.boolean()]).meta({ description: "The value, or a glob over it (`*`, `?`)." }),
  )
  .meta({ description: "Labels the event must have, each with a value or a glob (`severity: critical`, `instance: 'db-*'`)." });

export const reactionLimitSchema = z
  .strictObject({
    min_occurrences: z.number().int().min(1).max(1000).optional().meta({ description: "React only once the event occurred this many times (within `within`, since the last reaction). Default 1." }),
    within: durationSchema.optional().meta({ description: "The window occurrences are counted in (e.g. `5m`). Default: every occurrence since the last reaction." }),
    re_react_delay: durationSchema.optional().meta({ description: "After reacting, do not react again before this long (e.g. `10m`); events meanwhile are held and counted." }),
    wait_for_more: z
      .strictObject({
        timeout: durationSchema.meta({ description: "React only once this long passed without a new occurrence (with `reset_on_more`) or since the first one." }),
        reset_on_more: z.boolean().optional().meta({ description: "Each new occurrence starts the timeout again. Default false." }),
      })
      .optional()
      .meta({ description: "Wait before reacting, for the burst to end." }),
  })
  .meta({ description: "The trigger limiter: when a matching event leads to a run." });

export const reactionSpecSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'")
    .meta({ description: "Unique reaction name, e.g. disk-full-cleanup. Its runs are requested by `reaction:<name>`." }),
  description: z.string().optional(),
  enabled: z.boolean().optional().meta({ description: "false: the reaction is kept but answers nothing. Default true." }),
  on: z
    .strictObject({ event: eventGlobSchema, labels: labelGlobs.optional() })
    .meta({ description: "Which events: by name (glob) and labels (globs). Alertmanager alerts are `alertmanager/<alertname>`." }),
  when: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "A condition (template expression) over `event` (name, labels, data, occurrences), e.g. `event.occurrences >= 3`." }),
  limit: reactionLimitSchema.optional(),
  run: z
    .strictObject({
      deployment: z.string().min(1).meta({ description: "The deployment to run." }),
      targets_from_label: z
        .string()
        .min(1)
        .optional()
        .meta({ description: "Run on the host this label names (name or address; `host:port` as in an alert's `instance` is the host). The limiter counts per host." }),
      targets: z.array(z.string().min(1)).min(1).optional().meta({ description: "Only these targets of the deployment (groups, hosts, globs, label selectors)." }),
    })
    .meta({ description: "What to run." }),
  approval: z
    .enum(["auto", "required"])
    .optional()
    .meta({ description: "`required` (default): the run waits for reviewers like any other. `auto`: approved at once if the site's event settings allow it." }),
});

export type ReactionSpec = z.infer<typeof reactionSpecSchema>;
export type ReactionLimitSpec = z.infer<typeof reactionLimitSchema>;
