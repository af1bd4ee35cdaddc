/** Names: of site objects (hosts, groups, profiles, design documents) and of machines on a network. */
import { z } from "zod";

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, "must start with a letter or digit and hold only letters, digits, '.', '_' or '-'");

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * An RFC 1123 host name: dot-separated labels of 1 to 63 letters, digits and '-', neither first nor last
 * character a '-', at most 253 characters in all. (Host names of the site may also hold '_': those are
 * not valid on a network.)
 */
export function isHostname(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split(".").every((label) => LABEL.test(label));
}
