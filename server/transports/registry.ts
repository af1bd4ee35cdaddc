/** Transports by name: the `transport` field of a host's `connection` picks one. */
import { localTransport } from "./local";
import { sshTransport } from "./ssh";
import type { Transport } from "./types";

const transports = new Map<string, Transport>([
  [sshTransport.name, sshTransport],
  [localTransport.name, localTransport],
]);

export const transportNames: readonly string[] = [...transports.keys()];

export function transportFor(name: string): Transport {
  const transport = transports.get(name);
  if (!transport) throw new Error(`unknown transport ${JSON.stringify(name)}: valid transports are ${transportNames.join(", ")}`);
  return transport;
}
