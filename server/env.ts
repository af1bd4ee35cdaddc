/** The server's environment, validated once. */
import { resolve } from "node:path";
import { z } from "zod";

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  FLIGHTDECK_DATA: z.string().default("./data"),
  /** Site directory loaded on first start when there are no sites (the demo). Empty disables it. */
  FLIGHTDECK_DEMO: z.string().default("examples/ha-kvm"),
  /** The public URL, e.g. https://flightdeck.example.net (https makes session cookies Secure). */
  FLIGHTDECK_URL: z.string().url().optional(),
  /** The first `admin` user's password; without it a one-time password is printed at first start. */
  FLIGHTDECK_ADMIN_PASSWORD: z.string().min(10, "must be at least 10 characters").optional(),
  /** Signs session cookies; default: a random secret kept in the data directory. */
  FLIGHTDECK_AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** Sign-in attempts allowed per minute from one address. */
  FLIGHTDECK_LOGIN_LIMIT: z.coerce.number().int().min(1).max(10000).default(10),
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
