import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// One throwaway data directory per test run; workers inherit it through the environment.
process.env.FD_E2E_DATA ??= mkdtempSync(join(tmpdir(), "flightdeck-e2e-"));
const port = Number(process.env.FD_E2E_PORT ?? 3217);
export const ADMIN_PASSWORD = "e2e-admin-password";
/** The MAAS API key of e2e/maas.spec.ts: the simulator accepts it and the server reads it (env:MAAS_API_KEY). */
export const FD_E2E_MAAS_KEY = "FV1vG88ZeGqXZ7Iyud:gFv2qcXrgdb4VFBPn9:0zpmb4qH1MERolBnmfCwlLPCscbVDHqg";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "on",
    trace: "retain-on-failure",
    viewport: { width: 1400, height: 860 },
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    },
  },
  webServer: {
    command: "node --import tsx server/main.ts",
    url: `http://127.0.0.1:${port}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      FLIGHTDECK_DATA: process.env.FD_E2E_DATA,
      NEXT_TELEMETRY_DISABLED: "1",
      FLIGHTDECK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      // Every spec signs in from 127.0.0.1; the limit itself is tested in test/api.
      FLIGHTDECK_LOGIN_LIMIT: "1000",
      // examples/maas-metal's region says api_key: env:MAAS_API_KEY (the MAAS simulator of e2e/maas.spec.ts).
      MAAS_API_KEY: FD_E2E_MAAS_KEY,
      FLIGHTDECK_ENV_ALLOW: "MAAS_API_KEY",
      // The test fleet's key and known_hosts live in a temp directory (the data directory stays refused).
      FLIGHTDECK_KEY_DIRS: tmpdir(),
    },
  },
});
