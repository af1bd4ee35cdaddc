/**
 * Errors of the secrets module. Every message names the file (and, where one is known, the line and column)
 * and says what to do; none carries a decrypted value.
 */

import { errorCode, FlightdeckError } from "../errors";

/** Where a problem is: a file, and a position in it when one is known (1-based, as editors expect). */
export interface Where {
  file: string;
  line?: number;
  col?: number;
}

export function formatWhere(where: Where): string {
  return where.line !== undefined ? `${where.file}:${where.line}:${where.col ?? 1}` : where.file;
}

/** Any problem with a secrets file, an identity or a recipient: the caller's input to fix (400 on the API). */
export class SecretsError extends FlightdeckError {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** The message without its location. */
  readonly detail: string;

  constructor(where: Where, message: string) {
    super("INVALID_INPUT", `${formatWhere(where)}: ${message}`);
    this.detail = message;
    this.file = where.file;
    this.line = where.line;
    this.col = where.col;
  }
}

/** Whether `e` is one of the errors above (from any copy of this module: see ../errors). */
export function isSecretsError(e: unknown): e is SecretsError {
  return errorCode(e) !== undefined && typeof (e as { detail?: unknown }).detail === "string" && typeof (e as { file?: unknown }).file === "string";
}

/** The file has no (or an unusable) `sops` metadata block: it is not a sops-encrypted file. */
export class NotEncryptedError extends SecretsError {}

/** No available age identity unwraps the file's data key. */
export class NoIdentityError extends SecretsError {}

/** A passphrase-protected identity file could not be unlocked (no passphrase, or a wrong one). */
export class PassphraseError extends SecretsError {}

/** A value (or comment) that should be encrypted fails AES-GCM authentication, or is not encrypted at all. */
export class DecryptError extends SecretsError {}

/** The MAC cannot be decrypted, or does not match the values: the file was changed outside sops/Flightdeck. */
export class MacMismatchError extends SecretsError {}

/** A value sops cannot represent (a non-string key, an integer beyond 64 bits, a top level that is not a map). */
export class UnsupportedValueError extends SecretsError {}

/** A key path that the file does not have. */
export class MissingKeyError extends SecretsError {}

/** A bad recipient or identity string. */
export class KeyFormatError extends SecretsError {}

/** Bad usage of `flightdeck secrets` (exit 2, with the usage text). Not a SecretsError: no file is involved. */
export class SecretsUsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = "SecretsUsageError";
  }
}
