export { PlanError, StepInputError } from "./errors";
export { hostOutcome, RUN_STATUSES, STEP_STATUSES, type EngineEvent, type EventSink, type HostStatus, type OutputChunk, type RunEvent, type RunStatus, type StepStatus } from "./events";
export { connectionSettings, execute, type ExecuteOptions } from "./execute";
export { batches, planDeployment, type Plan, type PlannedOperation, type PlannedStage, type PlannedStep, type PlanOptions } from "./plan";
export { RunTracker, type RunSnapshot } from "./tracker";
