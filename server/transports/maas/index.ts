/** The MAAS 2.0 API client: import from here. */
export { MaasClient, type AllocateConstraints, type CallOptions, type CommissionOptions, type DeployOptions, type EventsQuery, type MachineFilters, type MaasClientOptions, type PowerOffOptions, type PowerOnOptions, type ReleaseOptions } from "./client";
export { authorizationHeader, parseApiKey, type MaasCredentials } from "./credentials";
export { MaasApiError, MaasConnectionError, MaasError, MaasResponseError } from "./errors";
export { DEFAULT_FOLLOW_INTERVAL_MS, DEFAULT_FOLLOW_TIMEOUT_MS, followMachine, MaasFollowTimeoutError, MaasMachineFailedError, type FollowOptions, type FollowResult, type FollowVerdict } from "./follow";
export { describeMachine, describeStatusChange, formatEvent, machineRef, type MachineRef } from "./format";
export { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY, type RequestSpec, type RetryNotice, type RetryPolicy } from "./http";
export { EVENT_LEVELS, type EventLevel, type EventsPage, type MaasEvent, type MaasVersion, type Machine, type PowerState } from "./schemas";
export { isFailedStatus, MAAS_STATUS, MAAS_STATUS_CODE, MAAS_STATUSES, statusByName, type MaasStatusKey, type MaasStatusName } from "./status";
