export { EmbeddedControl } from "./embedded";
export { PostgresControl, CONTROL_CHANNEL } from "./postgres";
export type { ControlChannel, ControlHandler, ControlMessage } from "./types";
