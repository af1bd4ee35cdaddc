/** The server's environment, validated once. */
import { resolve } from "node:path";
import { z } from "zod";
import { CHECK_DEFAULTS } from "./limits";
import { serverOnlyVariable } from "./inventory/policy";

/** A comma-separated list (blanks around commas ignored, empty entries dropped). */
const list = (check: (item: string) => string | undefined) =>
  z
    .string()
    .default("")
    .transform((text, ctx) => {
      const items = text.split(",").map((s) => s.trim()).filter(Boolean);
      for (const item of items) {
        const problem = check(item);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }
      return items;
    });

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  FLIGHTDECK_DATA: z.string().default("./data"),
  /** Site directory loaded on first start when there are no sites (the demo). Empty disables it. */
  FLIGHTDECK_DEMO: z.string().default("examples/ha-kvm"),
  /** The public URL, e.g. https://flightdeck.example.net (https makes session cookies Secure). */
  FLIGHTDECK_URL: z.string().url().optional(),
  /** The SMTP relay notification e-mails go through, e.g. smtp://mail.example.net:587 (unset: no e-mail). */
  FLIGHTDECK_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "must be smtp://host:port or smtps://user:password@host:port")
    .optional(),
  /** The sender of notification e-mails (default: flightdeck@ this machine's host name). */
  FLIGHTDECK_SMTP_FROM: z.string().min(3).max(320).optional(),
  /** The first `admin` user's password; without it a one-time password is printed at first start. */
  FLIGHTDECK_ADMIN_PASSWORD: z.string().min(10, "must be at least 10 characters").optional(),
  /** Signs session cookies; default: a random secret kept in the data directory. */
  FLIGHTDECK_AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /**
   * A reverse proxy is in front: its X-Forwarded-Host names the public origin for cookie and CSRF checks. Off by
   * default, since without a proxy any client could send the header.
   */
  FLIGHTDECK_TRUST_PROXY: z
    .enum(["", "0", "1", "false", "true"])
    .default("")
    .transform((v) => v === "1" || v === "true"),
  /** Sign-in attempts allowed per minute from one address. */
  FLIGHTDECK_LOGIN_LIMIT: z.coerce.number().int().min(1).max(10000).default(10),
  /** REST API (/api/v1) requests per second one caller may make on average (per token, user, or address). */
  FLIGHTDECK_API_RATE: z.coerce.number().positive().max(100000).default(20),
  /** REST API requests one caller may make at once before the rate above applies. */
  FLIGHTDECK_API_BURST: z.coerce.number().int().min(1).max(100000).default(100),
  /** Environment variables a site's `env:` references may read (FLIGHTDECK_* and SOPS_AGE_* never). */
  FLIGHTDECK_ENV_ALLOW: list((name) =>
    !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
      ? `'${name}' is not an environment variable name`
      : serverOnlyVariable(name)
        ? `'${name}' is one of the server's own variables, which no site may read`
        : undefined,
  ),
  /** Directories a site's key_file and known_hosts may name ({site} stands for the site's id). */
  FLIGHTDECK_KEY_DIRS: list((dir) => (dir.startsWith("/") ? undefined : `'${dir}' is not an absolute directory`)),
  /** When the server runs as root, the unprivileged user its sandboxed local steps run as. */
  FLIGHTDECK_RUN_USER: z.string().regex(/^[a-z_][a-z0-9_.-]*\$?$/i, "must be a user name").default("nobody"),
  /** Threads that check sites (lint, saves, imports) off the event loop; see server/limits.ts. */
  FLIGHTDECK_CHECK_WORKERS: z.coerce.number().int().min(1).max(16).default(CHECK_DEFAULTS.workers),
  /** Seconds one site check may take before it is stopped. */
  FLIGHTDECK_CHECK_TIMEOUT: z.coerce.number().positive().max(600).default(CHECK_DEFAULTS.timeoutSeconds),
  /** MiB of JS heap one checking thread may use. */
  FLIGHTDECK_CHECK_MEMORY: z.coerce.number().int().min(64).max(16384).default(CHECK_DEFAULTS.memoryMb),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
});

export type Env = z.infer<typeof schema>;

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid environment: ${problems}`);
  }
  return { ...parsed.data, FLIGHTDECK_DATA: resolve(parsed.data.FLIGHTDECK_DATA) };
}
