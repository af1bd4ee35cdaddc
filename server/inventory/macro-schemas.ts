/**
 * `macro` documents: named, reusable template expressions or commands, called as `macros.name(args)` (or
 * `macros['name'](args)`) in conditions and params.
 */
import { z } from "zod";

export const MACRO_ROOTS = ["vars", "host", "hosts", "steps", "introspect", "result", "event", "macros"] as const;

const paramName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a parameter name is letters, digits and '_', not starting with a digit")
  .refine((n) => !(MACRO_ROOTS as readonly string[]).includes(n), { message: `a parameter may not be named as what templates see (${MACRO_ROOTS.join(", ")})` });

const fields = {
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "must start with a letter or '_' and hold only letters, digits, '.', '_' or '-'")
    .meta({ description: "The macro's name: `macros.NAME()`, or `macros['NAME']()` when it holds '.' or '-'." }),
  description: z.string().optional(),
  params: z.array(paramName).max(20).optional().meta({ description: "Parameter names, given in this order by a call; the body sees each by its name." }),
};

export const macroSpecSchema = z
  .strictObject({
    ...fields,
    expression: z.string().min(1).optional().meta({ description: "A template expression (no `{{ }}` needed) over the caller's context and the params; its value is the macro's. Give this or `command`." }),
    command: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "A shell command (a template over the caller's context and the params: quote values with `| quote`). Its stdout, trimmed, is the value (parsed as JSON when it is JSON); a non-zero exit is an error. Give this or `expression`." }),
    on: z
      .union([z.literal("controller"), z.literal("host"), z.strictObject({ host: z.string().min(1).meta({ description: "A host of the site." }) })])
      .optional()
      .meta({ description: "Where a `command` runs: `controller` (where Flightdeck runs; sandboxed on a server), `host` (the host evaluating the call), or `{host: NAME}`." }),
    timeout: z
      .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, "must be a duration such as 500ms, 15s, 5m or 1h")])
      .optional()
      .meta({ description: "End a `command` after this long (an error). Default 30s." }),
  })
  .superRefine((m, ctx) => {
    if ((m.expression === undefined) === (m.command === undefined)) ctx.addIssue({ code: "custom", message: "give exactly one of 'expression' or 'command'" });
    else if (m.command !== undefined && m.on === undefined) ctx.addIssue({ code: "custom", path: ["command"], message: "a command macro says where it runs: on: controller, host, or {host: NAME}" });
    else if (m.expression !== undefined && (m.on !== undefined || m.timeout !== undefined)) ctx.addIssue({ code: "custom", path: [m.on !== undefined ? "on" : "timeout"], message: "'on' and 'timeout' are for command macros" });
  })
  .meta({ description: "A template expression, or a command whose output is the value." });

export type MacroSpec = z.infer<typeof macroSpecSchema>;
