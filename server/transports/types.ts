/**
 * The whole transport contract: connect to a host, run commands, move files, disconnect. Each transport
 * (local, ssh, later maas) implements it in its own module and is found by name in ./registry.
 */
import type { FilePolicy } from "../inventory/policy";
import type { Sandbox } from "./sandbox";

/** A host's resolved `connection` (see PRODUCT.md), plus where relative paths are resolved from. */
export interface ConnectionSettings {
  host: string;
  transport: string;
  address: string;
  port?: number;
  user?: string;
  /** A path (relative to `siteDir`) or, once secrets exist, the key material itself. */
  key_file?: string;
  private_key?: string;
  known_hosts?: string;
  host_key_checking: "strict" | "accept-new" | "off";
  /** The jump host's own settings, already resolved. */
  jump?: ConnectionSettings;
  connect_timeout?: number | string;
  siteDir?: string;
}

export interface ExecOptions {
  /** Set in the command's environment without ever appearing on a command line (`ps` must not show values). */
  env?: Record<string, string>;
  cwd?: string;
  /** Run through `sudo -n` as this user (root when true). */
  become?: boolean | string;
  /** Ends the command, on the host too, when aborted (cancel and step timeouts are the same mechanism). */
  signal: AbortSignal;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ExecResult {
  exitCode: number | null;
  /** Set when the command was ended by a signal (including our own cancel). */
  signal?: string;
  durationMs: number;
}

export interface PutOptions {
  mode?: number;
  owner?: string;
  group?: string;
  become?: boolean | string;
  signal: AbortSignal;
}

export interface Connection {
  /** e.g. "ssh root@127.0.1.2:22" */
  readonly description: string;
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  putFile(path: string, content: Buffer | string, options: PutOptions): Promise<void>;
  /** null when the file does not exist. */
  getFile(path: string, options: { become?: boolean | string; signal: AbortSignal }): Promise<Buffer | null>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  signal: AbortSignal;
  /** Things the operator must be told (a newly accepted host key, host key checking turned off). */
  onNotice?: (message: string) => void;
  /**
   * How `transport: local` runs. Absent: directly, as this process's user (the CLI on one's own machine). On a
   * server: in its sandbox, or refused with a message that says why (the site setting, or what to install).
   */
  local?: { sandbox: Sandbox } | { refused: string };
  /** Which files the site's connection may name (key_file, known_hosts). Absent: any (the CLI). */
  files?: FilePolicy;
}

export interface Transport {
  readonly name: string;
  connect(settings: ConnectionSettings, options: ConnectOptions): Promise<Connection>;
}

/** The host could not be reached or logged into: the host is `unreachable`, not `failed`. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
}

/** The host answered with a key that does not match known_hosts (or is unknown under `strict`): the host fails. */
export class HostKeyError extends Error {
  override name = "HostKeyError";
}
