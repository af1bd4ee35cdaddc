/**
 * Schemas of the documents that say what to run: blueprints (ordered steps, each an action with its params)
 * and deployments (stages of operations: which blueprints run on which targets, how).
 */
import { z } from "zod";

/** "15s", "500ms", "5m", "1h", or a number of seconds. */
export const durationSchema = z
  .union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, "must be a duration such as 500ms, 15s, 5m or 1h")])
  .meta({ description: "A duration: `500ms`, `15s`, `5m`, `1h`, or a number of seconds." });

export function durationMs(d: number | string): number {
  if (typeof d === "number") return d * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

/** At most what a run may keep of one fetched file or directory. */
export const MAX_FETCH_BYTES = 64 * 1024 * 1024;
const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 * 1024, mb: 1_000_000, mib: 1024 * 1024 };

/** `max_size` in bytes: a number, or `512KiB`, `10MiB`, `2MB`. */
export function sizeBytes(size: number | string): number {
  if (typeof size === "number") return size;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(size.trim());
  return m ? Number(m[1]) * (SIZE_UNITS[m[2]!.toLowerCase()] ?? NaN) : NaN;
}

const sizeSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+\s*(B|KB|KiB|K|MB|MiB|M)?$/i, "must be a size such as 65536, 512KiB or 10MiB")])
  .refine((v) => sizeBytes(v) > 0 && sizeBytes(v) <= MAX_FETCH_BYTES, { message: "must be at most 64MiB" });

const envSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "environment variable names are letters, digits and '_'"), z.union([z.string(), z.number(), z.boolean()]))
  .meta({ description: "Environment variables for the command (values never appear on a command line)." });

export const ACTION_PARAMS = {
  "cmd.run": z
    .strictObject({
      cmd: z.string().min(1).meta({ description: "Shell command (run by /bin/sh). Templates see vars, host, hosts and steps." }),
      creates: z.string().min(1).optional().meta({ description: "Skip the command when this path exists on the host (the step is `ok`)." }),
      unless: z.string().min(1).optional().meta({ description: "Skip the command when this command exits 0 (the step is `ok`)." }),
      env: envSchema.optional(),
      cwd: z.string().min(1).optional().meta({ description: "Working directory." }),
    })
    .meta({ description: "Run a shell command. `changed` when it ran and exited 0, `failed` otherwise." }),
  "script.run": z
    .strictObject({
      content: z.string().min(1).optional().meta({ description: "The script itself (a template)." }),
      path: z.string().min(1).optional().meta({ description: "A script file relative to the site directory (CLI only: the dashboard stores YAML)." }),
      args: z.array(z.string()).optional().meta({ description: "Arguments (templates), passed safely quoted." }),
      interpreter: z.string().min(1).optional().meta({ description: "Interpreter, default /bin/sh." }),
      env: envSchema.optional(),
      cwd: z.string().min(1).optional(),
    })
    .refine((p) => (p.content === undefined) !== (p.path === undefined), { message: "give exactly one of 'content' or 'path'" })
    .meta({ description: "Upload a script to the host, run it, remove it." }),
  "file.managed": z
    .strictObject({
      path: z.string().min(1).meta({ description: "Absolute path of the file on the host (of the directory, when `from` names a fetched directory)." }),
      content: z.string().optional().meta({ description: "The exact content (not a template)." }),
      template: z.string().optional().meta({ description: "Content rendered as a template with vars, host, hosts and steps." }),
      from: z
        .strictObject({
          step: z.string().min(1).meta({ description: "The `file.fetch` step whose file (or directory) to place here." }),
          host: z.string().min(1).optional().meta({ description: "The host that fetched it. Default: this host's own result of that step (a `run_once` step's result is every host's)." }),
        })
        .optional()
        .meta({ description: "Place what an earlier `file.fetch` step fetched: a file, or a directory (its files are placed under `path`)." }),
      mode: z
        .union([z.string().regex(/^0?[0-7]{3,4}$/, "must be an octal mode such as '0644'"), z.number().int().min(0).max(0o7777)])
        .optional()
        .meta({ description: "File mode, e.g. '0644'." }),
      owner: z.string().min(1).optional(),
      group: z.string().min(1).optional(),
    })
    .refine((p) => [p.content, p.template, p.from].filter((x) => x !== undefined).length === 1, { message: "give exactly one of 'content', 'template' or 'from'" })
    .meta({ description: "Make a file hold this content. `changed` only when it differed (or mode/owner did)." }),
  "file.fetch": z
    .strictObject({
      path: z.string().regex(/^\//, "must be an absolute path").meta({ description: "Absolute path of the file or directory on the host." }),
      max_size: sizeSchema.optional().meta({ description: "Refuse (fail the step) above this size: bytes, or `512KiB`, `10MiB`. Default 1MiB, at most 64MiB. A directory is measured as its tar." }),
      directory: z.boolean().optional().meta({ description: "`true`: the path must be a directory (fetched as a tar); `false`: a file. Default: whichever it is." }),
    })
    .meta({ description: "Fetch a file or a directory from the host into the run (stored with it, never on the server's disk) for `file.managed` `from:` to place on other hosts. Always `ok`; `steps[NAME].artifact` gives its type, size and sha256." }),
  // Controller-side actions: they run on the Flightdeck server (or the CLI's machine) for each targeted host.
  "maas.deploy": z
    .strictObject({
      distro_series: z.string().regex(/^[a-z0-9][a-z0-9./-]*$/, "must be a release such as jammy, ubuntu/noble or 22.04").optional().meta({ description: "Release to install. Default: the host's `maas.distro_series`, then the region's `default_distro_series`." }),
      user_data: z.string().optional().meta({ description: "cloud-init user data (a template). `introspect.url` and `introspect.token` let the machine fetch its own variables while the run lasts." }),
      hwe_kernel: z.string().min(1).optional(),
      redeploy: z.boolean().optional().meta({ description: "Deploy again even when the machine is already Deployed. Default false: a Deployed machine is `ok`." }),
      timeout: durationSchema.optional().meta({ description: "How long the deployment may take. Default: the region's `deploy_timeout` (40m)." }),
    })
    .meta({ description: "Allocate the host's machine in MAAS (by `maas.system_id`, or by hostname/zone/pool/tags), deploy it and follow it to Deployed; MAAS status changes and events are the step's output." }),
  "maas.release": z
    .strictObject({
      erase: z.boolean().optional().meta({ description: "Erase the disks while releasing." }),
      quick_erase: z.boolean().optional(),
      comment: z.string().optional(),
      wait: z.boolean().optional().meta({ description: "Follow the machine until it is Ready. Default true." }),
      timeout: durationSchema.optional(),
    })
    .meta({ description: "Release the host's machine back to Ready. `ok` when it already is." }),
  "maas.commission": z
    .strictObject({
      enable_ssh: z.boolean().optional(),
      skip_networking: z.boolean().optional(),
      skip_storage: z.boolean().optional(),
      wait: z.boolean().optional().meta({ description: "Follow the machine until it is Ready. Default true." }),
      timeout: durationSchema.optional(),
    })
    .meta({ description: "Commission the host's machine (needs an admin API key) and follow it to Ready." }),
  "maas.power": z
    .strictObject({
      state: z.enum(["on", "off", "query"]).meta({ description: "`on`, `off`, or `query` (report the power state; never changes anything)." }),
      stop_mode: z.enum(["soft", "hard"]).optional().meta({ description: "For `off`: soft (ACPI) or hard. Default hard." }),
    })
    .meta({ description: "Power the host's machine on or off through MAAS, or report its power state." }),
  "wait.ssh": z
    .strictObject({
      timeout: durationSchema.optional().meta({ description: "Give up after this long (the host is then unreachable). Default 10m." }),
      interval: durationSchema.optional().meta({ description: "Between attempts. Default 5s." }),
    })
    .meta({ description: "Wait until the host answers on its connection (e.g. after a MAAS deployment), then keep that connection for the next steps. Host keys are checked as the connection says." }),
  // A batch action: it runs once per batch where Flightdeck runs, against the batch's hosts.
  "ansible.playbook": z
    .strictObject({
      playbook: z
        .string()
        .regex(/^(?!\/)(?!(.*\/)?\.\.(\/|$)).+\.ya?ml$/, "must be a .yml or .yaml path inside the site, such as playbooks/site.yml")
        .meta({ description: "The playbook, relative to the site root (normally `playbooks/NAME.yml`). Roles are found in the site's `roles/`." }),
      extra_vars: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "Ansible variable names are letters, digits and '_', not starting with a digit"), z.unknown())
        .optional()
        .meta({ description: "Extra variables (`-e`), above every other variable. Host variables reach the playbook as inventory variables: use these for what is the same for the whole run." }),
      tags: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().meta({ description: "Run only tasks with these tags (`--tags`)." }),
      skip_tags: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional().meta({ description: "Skip tasks with these tags (`--skip-tags`)." }),
      check: z.boolean().optional().meta({ description: "Check mode (`--check`): report what would change, change nothing." }),
      diff: z.boolean().optional().meta({ description: "Show the changes made to files (`--diff`) in each task's output." }),
      forks: z.number().int().min(1).max(1000).optional().meta({ description: "Hosts Ansible works on at once. Default: the run's forks." }),
    })
    .meta({
      description:
        "Run an Ansible playbook from the site once per batch, where Flightdeck runs, against the batch's hosts (`--limit`), with the run's inventory. Each task becomes a step `STEP/TASK` on each host, live.",
    }),
} as const;

/** Actions that run where Flightdeck runs, not on the host: they need no connection to it. */
export const CONTROLLER_ACTIONS: ReadonlySet<string> = new Set(["maas.deploy", "maas.release", "maas.commission", "maas.power", "wait.ssh"]);

/** Actions that run once per batch where Flightdeck runs, for all the batch's hosts together (they meet there, as with `sync`). */
export const BATCH_ACTIONS: ReadonlySet<string> = new Set(["ansible.playbook"]);

export type ActionName = keyof typeof ACTION_PARAMS;
export const ACTION_NAMES = Object.keys(ACTION_PARAMS) as ActionName[];

const stepFields = {
  name: z.string().min(1).meta({ description: "Step name, unique in the blueprint." }),
  description: z.string().optional(),
  require: z.array(z.string().min(1)).optional().meta({ description: "Steps that must finish first. Default: the step before this one." }),
  retry: z
    .strictObject({
      interval: durationSchema.optional(),
      limit: z.number().int().min(0).max(1000).meta({ description: "How many more attempts after a failure." }),
    })
    .optional()
    .meta({ description: "Run again after a failure: up to `limit` more times, `interval` apart (default 5s)." }),
  timeout: durationSchema.optional().meta({ description: "End the attempt (on the host too) after this long; the step fails." }),
  when: z.string().min(1).optional().meta({ description: "Condition (a template expression, e.g. `vars.role == 'web'`): the step is skipped when false." }),
  sync: z.boolean().optional().meta({ description: "Every host of the batch reaches this step before any runs it." }),
  run_once: z.boolean().optional().meta({ description: "Run on the first host only; the others mark it skipped." }),
  become: z.union([z.boolean(), z.string().min(1)]).optional().meta({ description: "Run through sudo: `true` for root, or a user name." }),
  success: z
    .strictObject({
      condition: z.string().min(1).meta({ description: "A template expression over `result` (this step's stdout, stderr, rc, changed) and the usual context; false fails the step." }),
    })
    .optional()
    .meta({ description: "Checked after the step succeeded (e.g. exit 0): a false condition fails it with \"success condition false: <expr>\" (`retry` then runs it again)." }),
  continue: z
    .strictObject({
      condition: z.string().min(1).meta({ description: "A template expression (over `result`, macros such as `macros.cluster_healthy()`, and the usual context) that must be true before the host goes on." }),
      retry: z
        .strictObject({
          interval: durationSchema.optional().meta({ description: "Between evaluations. Default 5s." }),
          limit: z.number().int().min(0).max(100_000).meta({ description: "How many more evaluations after the first before the step fails." }),
        })
        .optional()
        .meta({ description: "How long to hold. Default: every 5s, 60 more times." }),
    })
    .optional()
    .meta({ description: "After the step succeeded, hold this host (and with `serial`, the next batch) until the condition is true; the step fails when the retries run out." }),
};

const step = <A extends ActionName>(action: A) => z.strictObject({ ...stepFields, action: z.literal(action), params: ACTION_PARAMS[action] });
/** Actions whose params are all optional may leave `params` out. */
const bareStep = <A extends ActionName>(action: A) => z.strictObject({ ...stepFields, action: z.literal(action), params: ACTION_PARAMS[action].optional() });
export const stepSchema = z.discriminatedUnion("action", [
  step("cmd.run"),
  step("script.run"),
  step("file.managed"),
  step("file.fetch"),
  bareStep("maas.deploy"),
  bareStep("maas.release"),
  bareStep("maas.commission"),
  step("maas.power"),
  bareStep("wait.ssh"),
  // Ansible retries per task (`retries`/`until`); a whole playbook run again is not what anyone means.
  step("ansible.playbook")
    .refine((s) => s.retry === undefined, { path: ["retry"], message: "retry is not supported on ansible.playbook: give the tasks that need it `retries` and `until` in the playbook" })
    .refine((s) => s.success === undefined && s.continue === undefined, { path: ["success"], message: "success and continue are not supported on ansible.playbook: use a cmd.run step after it" }),
]);

export const blueprintSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'").meta({ description: "Unique blueprint name, e.g. machine.kvm.install_packages." }),
  description: z.string().optional(),
  steps: z.array(stepSchema).min(1).meta({ description: "Ordered steps; each requires the one before it unless it says `require`." }),
});

export const runOptionsSchema = z
  .strictObject({
    serial: z
      .union([z.number().int().positive(), z.string().regex(/^([1-9]\d?|100)%$/, "must be a host count or a percentage such as '25%'")])
      .optional()
      .meta({ description: "Batch size: a number of hosts or a percentage. Default: all targeted hosts at once." }),
    max_fail_percentage: z.number().min(0).max(100).optional().meta({ description: "Stop starting new batches when more than this share of hosts failed. Default 0." }),
  })
  .meta({ description: "How the operation runs over its hosts." });

export const operationSchema = z.strictObject({
  name: z.string().min(1).optional(),
  blueprints: z.array(z.string().min(1)).min(1).meta({ description: "Blueprint names, run in order on each host." }),
  targets: z.array(z.string().min(1)).min(1).meta({ description: "Group names, host names, globs (kvm-*), label selectors (role=web, several joined by ',')." }),
  run_options: runOptionsSchema.optional(),
});

export const deploymentSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/).optional().meta({ description: "Name for `--deployment`; default: the file name." }),
  stages: z
    .array(z.strictObject({ name: z.string().min(1), operations: z.array(operationSchema).min(1) }))
    .min(1)
    .meta({ description: "Stages run one after another; a stage's operations run in order." }),
});

export type StepSpec = z.infer<typeof stepSchema>;
export type BlueprintSpec = z.infer<typeof blueprintSpecSchema>;
export type DeploymentSpec = z.infer<typeof deploymentSpecSchema>;
export type RunOptions = z.infer<typeof runOptionsSchema>;
