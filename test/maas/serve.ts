/**
 * Run a MAAS simulator as its own process (Playwright's e2e spawns it):
 *
 *   node --import tsx test/maas/serve.ts sim.json          # a config file
 *   node --import tsx test/maas/serve.ts '{"machines":[{"hostname":"node-1"}],"keys":[...]}'
 *
 * The config is startMaasSimulator's options as JSON. Prints one JSON line on stdout once listening:
 * {"url":"http://127.0.0.1:PORT/MAAS","machines":[{"system_id":"m00001","hostname":"node-1"}]}
 * and stops on SIGTERM or SIGINT (exit 0). Bad config: a message on stderr, exit 2.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { MAAS_STATUSES } from "../../server/transports/maas/status";
import { startMaasSimulator, type SimulatorOptions } from "./simulator";

const statusNames = MAAS_STATUSES.map((s) => s.name) as [string, ...string[]];
const configSchema = z.strictObject({
  machines: z.array(
    z.strictObject({
      system_id: z.string().regex(/^[a-z0-9]+$/).optional(),
      hostname: z.string().min(1),
      status: z.enum(statusNames).optional(),
      owner: z.string().nullable().optional(),
      zone: z.string().optional(),
      pool: z.string().optional(),
      domain: z.string().optional(),
      architecture: z.string().optional(),
      cpu_count: z.number().int().positive().optional(),
      memory: z.number().int().positive().optional(),
      tag_names: z.array(z.string()).optional(),
      mac_addresses: z.array(z.string()).optional(),
      ip_addresses: z.array(z.string()).optional(),
      power_state: z.enum(["on", "off", "unknown", "error"]).optional(),
      power_type: z.string().optional(),
      deployFault: z.enum(["fail", "stuck", "broken"]).optional(),
      faultMessage: z.string().optional(),
    }),
  ),
  keys: z.array(z.strictObject({ key: z.string(), username: z.string().min(1), admin: z.boolean().optional() })).min(1),
  timings: z.strictObject({ allocateMs: z.number().nonnegative().optional(), deployMs: z.number().nonnegative().optional(), releaseMs: z.number().nonnegative().optional(), commissionMs: z.number().nonnegative().optional() }).optional(),
  zones: z.array(z.string()).optional(),
  pools: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  version: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
});

function fail(message: string): never {
  process.stderr.write(`maas simulator: ${message}\n`);
  process.exit(2);
}

function readConfig(arg: string | undefined): SimulatorOptions {
  if (!arg) fail("usage: serve.ts CONFIG.json | '{...json...}'");
  let text: string;
  try {
    text = arg.trimStart().startsWith("{") ? arg : readFileSync(arg, "utf8");
  } catch (error) {
    fail(`cannot read ${arg}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`the config is not JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) fail(`bad config: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ")}`);
  return parsed.data as SimulatorOptions;
}

const sim = await startMaasSimulator(readConfig(process.argv[2]));
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void sim.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
const machines = sim.machineIds().map((id) => ({ system_id: id, hostname: sim.machine(id).hostname }));
process.stdout.write(`${JSON.stringify({ url: sim.url, machines })}\n`);
