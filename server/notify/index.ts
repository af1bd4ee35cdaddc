/** Notifications (issue 15): `notify()` enqueues, the dispatcher sends; see ./types.ts. */
export { notify, runEnded, setPublicUrl, setWake, type NotifyDeps } from "./notify";
export * from "./types";
