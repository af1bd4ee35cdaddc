/**
 * MAAS node statuses (spec B5): the code the API returns in `status`, the label in `status_name`, and the
 * lower-case enum key that `GET machines/?status=` filters on (NODE_STATUS.FAILED_DEPLOYMENT -> failed_deployment).
 */

export const MAAS_STATUSES = [
  { code: 0, name: "New", key: "new" },
  { code: 1, name: "Commissioning", key: "commissioning" },
  { code: 2, name: "Failed commissioning", key: "failed_commissioning" },
  { code: 3, name: "Missing", key: "missing" },
  { code: 4, name: "Ready", key: "ready" },
  { code: 5, name: "Reserved", key: "reserved" },
  { code: 6, name: "Deployed", key: "deployed" },
  { code: 7, name: "Retired", key: "retired" },
  { code: 8, name: "Broken", key: "broken" },
  { code: 9, name: "Deploying", key: "deploying" },
  { code: 10, name: "Allocated", key: "allocated" },
  { code: 11, name: "Failed deployment", key: "failed_deployment" },
  { code: 12, name: "Releasing", key: "releasing" },
  { code: 13, name: "Releasing failed", key: "failed_releasing" },
  { code: 14, name: "Disk erasing", key: "disk_erasing" },
  { code: 15, name: "Failed disk erasing", key: "failed_disk_erasing" },
  { code: 16, name: "Rescue mode", key: "rescue_mode" },
  { code: 17, name: "Entering rescue mode", key: "entering_rescue_mode" },
  { code: 18, name: "Failed to enter rescue mode", key: "failed_entering_rescue_mode" },
  { code: 19, name: "Exiting rescue mode", key: "exiting_rescue_mode" },
  { code: 20, name: "Failed to exit rescue mode", key: "failed_exiting_rescue_mode" },
  { code: 21, name: "Testing", key: "testing" },
  { code: 22, name: "Failed testing", key: "failed_testing" },
] as const;

export type MaasStatusName = (typeof MAAS_STATUSES)[number]["name"];
export type MaasStatusKey = (typeof MAAS_STATUSES)[number]["key"];

/** Status name by code, e.g. MAAS_STATUS[6] === "Deployed". */
export const MAAS_STATUS: Readonly<Record<number, MaasStatusName>> = Object.fromEntries(MAAS_STATUSES.map((s) => [s.code, s.name]));

/** Status code by name, e.g. MAAS_STATUS_CODE.Deployed === 6. */
export const MAAS_STATUS_CODE = Object.fromEntries(MAAS_STATUSES.map((s) => [s.name, s.code])) as Readonly<Record<MaasStatusName, number>>;

export function statusByName(name: string): (typeof MAAS_STATUSES)[number] | undefined {
  return MAAS_STATUSES.find((s) => s.name === name);
}

/**
 * Is this a status a machine does not leave by itself, and that means the last action failed? The spec's rule is
 * "any `Failed …` name, or `Broken`"; "Releasing failed" is the one failure label that does not start with
 * "Failed", and a follower waiting for Ready after a release would otherwise wait for its whole timeout.
 */
export function isFailedStatus(name: string): boolean {
  return name.startsWith("Failed") || name === "Broken" || name === "Releasing failed";
}
