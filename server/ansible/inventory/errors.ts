/**
 * Problems found while reading an Ansible inventory: each is located (`file:line:col: message`). Reading goes
 * on after a problem where it can, so one run names every problem (every vaulted value without a password,
 * every name Flightdeck cannot hold); then `AnsibleInventoryError` carries them all.
 */
import { FlightdeckError } from "../../errors";

/** A place in a file; line and column are 1-based. */
export interface Where {
  file: string;
  line: number;
  col: number;
}

export interface Problem extends Where {
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** The inventory cannot be read (or imported) as it is: every problem, located. */
export class AnsibleInventoryError extends FlightdeckError {
  override name = "AnsibleInventoryError";
  constructor(readonly problems: readonly Problem[]) {
    super("INVALID_INPUT", problems.map(formatProblem).join("\n"));
  }
}

/** One located problem that stops the current file (collected by the reader, which then goes on). */
export class LocatedError extends Error {
  override name = "LocatedError";
  constructor(
    readonly where: Where,
    message: string,
  ) {
    super(message);
  }

  get problem(): Problem {
    return { ...this.where, message: this.message };
  }
}

export function fail(where: Where, message: string): never {
  throw new LocatedError(where, message);
}
