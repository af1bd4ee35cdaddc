/**
 * A server process for the restart test: the real services (SQLite store, run service, stored sink) without
 * the web layer. It launches a long run and prints every event sequence number as it is broadcast (which the
 * sink does only after storing it); the test kills it with SIGKILL mid-run.
 */
import { readEnv } from "../../server/env";
import { createServices } from "../../server/services";

const [dataDir, siteDir] = process.argv.slice(2);
const services = await createServices(readEnv({ FLIGHTDECK_DATA: dataDir, FLIGHTDECK_DEMO: siteDir }));
services.broadcaster.runEvents = (run, events) => {
  for (const e of events) process.stdout.write(`broadcast ${run} ${e.seq} ${e.type}\n`);
};
await services.sites.setSettings("ha-kvm", { approvalsRequired: 0 });
const id = await services.runner.launch({ site: "ha-kvm", deployment: "long", requestedBy: "test" });
process.stdout.write(`launched ${id}\n`);
