/**
 * Human lines about machines and events, shared by error messages and by callers that print a follower's
 * callbacks as a step's live output (one line per status change or event).
 */
import type { MaasEvent, Machine } from "./schemas";

/** What a message knows about a machine: always its system_id, its hostname once MAAS has told us. */
export interface MachineRef {
  systemId: string;
  hostname?: string;
}

export function machineRef(m: Pick<Machine, "system_id" | "hostname">): MachineRef {
  return { systemId: m.system_id, hostname: m.hostname || undefined };
}

/** "node-1 (4y3h7n)", or "4y3h7n" when the hostname is unknown. */
export function describeMachine(ref: MachineRef): string {
  return ref.hostname ? `${ref.hostname} (${ref.systemId})` : ref.systemId;
}

/** "node-1 (4y3h7n): Deploying -> Deployed", with MAAS's status_message when it says more than the status. */
export function describeStatusChange(m: Machine, previous: Machine | undefined): string {
  const from = previous ? `${previous.status_name} -> ` : "";
  const message = m.status_message && m.status_message !== m.status_name ? ` (${m.status_message})` : "";
  return `${describeMachine(machineRef(m))}: ${from}${m.status_name}${message}`;
}

/** "Tue, 05 Mar. 2024 12:00:01 INFO Node powered on: detail" (MAAS's own timestamp, level, type, description). */
export function formatEvent(e: MaasEvent): string {
  const detail = e.description ? `: ${e.description}` : "";
  return `${e.created} ${e.level} ${e.type}${detail}`;
}
