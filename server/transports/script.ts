/**
 * The shell side of `exec`, shared by the local and ssh transports.
 *
 * A command never runs from a command line. The transport starts `/bin/sh -s` (under `sudo -n` for become) and
 * writes this script to its stdin, then keeps stdin open. The script:
 *  - keeps the transport's stdin as fd 3 (the abort line);
 *  - exports the env values (single-quoted) and `cd`s, so values only live in the processes' environments;
 *  - starts the command (handed over in an exported variable, `eval`ed by a fixed `sh -c` program) with
 *    `setsid`, so the whole command tree is one process group G whose id is the command's pid;
 *  - starts a watcher that blocks reading fd 3. End-of-file there (the transport ending stdin on abort, or the
 *    connection / server process dying) makes it send SIGTERM to G, wait up to TERM_GRACE for G to be gone
 *    (zombies do not count), send SIGKILL, wait again; the script exits only after the watcher, so the
 *    transport sees the command end only when its process tree has ended;
 *  - waits for the command, stops the watcher, and exits with the command's status.
 */

/** Exit status the script uses when `cd` fails (like a shell's "cannot cd"). */
export const CD_FAILED_STATUS = 1;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `'...'` quoting for POSIX sh: nothing inside is expanded. */
export function shQuote(value: string): string {
  if (value.includes("\0")) throw new Error("a shell value cannot contain a NUL byte");
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface ScriptOptions {
  command: string;
  env?: Record<string, string>;
  cwd?: string;
  /**
   * The script is alone in a pid namespace of its own (the server's sandbox): the command then starts without a
   * session of its own, and an abort ends every other process of the namespace instead of the command's process
   * group. A session per command would make each its own scheduling entity (an autogroup), which niceness
   * cannot lower against the server's processes.
   */
  pidNamespace?: boolean;
}

export function buildExecScript({ command, env = {}, cwd, pidNamespace = false }: ScriptOptions): string {
  const lines = ["exec 3<&0"];
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || name.startsWith("__fd_")) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  if (cwd !== undefined) lines.push(`cd -- ${shQuote(cwd)} || exit ${CD_FAILED_STATUS}`);
  lines.push(`__fd_cmd=${shQuote(command)}`, "export __fd_cmd");
  lines.push(...(pidNamespace ? namespaceTail() : groupTail()));
  return lines.join("\n") + "\n";
}

/** Starts the command in a process group of its own (setsid); an abort ends that group. */
function groupTail(): string[] {
  return [
    // The command reads /dev/null (the script itself arrives on stdin) and never sees fd 3.
    `if command -v setsid >/dev/null 2>&1; then __fd_g=1; setsid /bin/sh -c 'c=$__fd_cmd; unset __fd_cmd; eval "$c"' </dev/null 3<&- &`,
    `else __fd_g=0; /bin/sh -c 'c=$__fd_cmd; unset __fd_cmd; eval "$c"' </dev/null 3<&- & fi`,
    "__fd_p=$!",
    "unset __fd_cmd",
    // true while process group $1 has a member that is not a zombie (orphaned zombies can linger until init reaps them).
    "__fd_alive() {",
    '  __fd_pg=$1',
    '  kill -0 -"$__fd_pg" 2>/dev/null || return 1',
    "  [ -r /proc/self/stat ] || return 0",
    "  for __fd_f in /proc/[0-9]*/stat; do",
    '    read -r __fd_l <"$__fd_f" 2>/dev/null || continue',
    '    __fd_l=${__fd_l##*) }',
    "    set -- $__fd_l",
    '    [ "$1" != Z ] && [ "$3" = "$__fd_pg" ] && return 0',
    "  done",
    "  return 1",
    "}",
    "(",
    "  read -r __fd_line <&3 || :",
    "  trap '' TERM",
    '  if [ "$__fd_g" = 1 ]; then',
    '    kill -TERM -"$__fd_p" 2>/dev/null',
    "    __fd_i=0",
    `    while __fd_alive "$__fd_p" && [ "$__fd_i" -lt ${TERM_GRACE_TICKS} ]; do sleep 0.05; __fd_i=$((__fd_i + 1)); done`,
    '    kill -KILL -"$__fd_p" 2>/dev/null',
    "    __fd_i=0",
    `    while __fd_alive "$__fd_p" && [ "$__fd_i" -lt ${KILL_WAIT_TICKS} ]; do sleep 0.05; __fd_i=$((__fd_i + 1)); done`,
    "  else",
    // No setsid on this host: the command shares our process group, so end the group (ourselves last).
    `    kill -TERM 0 2>/dev/null; sleep ${TERM_GRACE_TICKS * 0.05}; kill -KILL 0`,
    "  fi",
    ") &",
    "__fd_x=$!",
    ...SCRIPT_END,
  ];
}

/** The script waits for the command, then stops the watcher (which ignores TERM only once it acts on an abort). */
const SCRIPT_END = ['wait "$__fd_p"; __fd_s=$?', 'kill "$__fd_x" 2>/dev/null', 'wait "$__fd_x" 2>/dev/null', 'exit "$__fd_s"'];

/**
 * Alone in a pid namespace: the command stays in the script's session; an abort sends TERM, then KILL, to every
 * live process of the namespace but its init (pid 1), the script and the watcher.
 */
function namespaceTail(): string[] {
  return [
    `/bin/sh -c 'c=$__fd_cmd; unset __fd_cmd; eval "$c"' </dev/null 3<&- &`,
    "__fd_p=$!",
    "unset __fd_cmd",
    "(",
    "  read -r __fd_line <&3 || :",
    "  trap '' TERM",
    "  read -r __fd_me __fd_rest </proc/self/stat",
    // Sets __fd_o to the others' pids (zombies do not count).
    "  __fd_others() {",
    "    __fd_o=",
    "    for __fd_f in /proc/[0-9]*/stat; do",
    '      read -r __fd_l <"$__fd_f" 2>/dev/null || continue',
    "      __fd_q=${__fd_l%% *}",
    '      __fd_l=${__fd_l##*) }',
    '      case "$__fd_q" in 1|"$$"|"$__fd_me") continue;; esac',
    '      [ "${__fd_l%% *}" = Z ] || __fd_o="$__fd_o $__fd_q"',
    "    done",
    '    [ -n "$__fd_o" ]',
    "  }",
    "  __fd_others && kill -TERM $__fd_o 2>/dev/null",
    "  __fd_i=0",
    `  while __fd_others && [ "$__fd_i" -lt ${TERM_GRACE_TICKS} ]; do sleep 0.05; __fd_i=$((__fd_i + 1)); done`,
    "  __fd_others && kill -KILL $__fd_o 2>/dev/null",
    "  __fd_i=0",
    `  while __fd_others && [ "$__fd_i" -lt ${KILL_WAIT_TICKS} ]; do sleep 0.05; __fd_i=$((__fd_i + 1)); done`,
    ") &",
    "__fd_x=$!",
    ...SCRIPT_END,
  ];
}

/** Ticks of 50 ms: how long the command's tree gets to exit after SIGTERM before SIGKILL. */
const TERM_GRACE_TICKS = 40;
const KILL_WAIT_TICKS = 40;

/** Longest time the script's own abort sequence can take; transports wait this plus a margin before forcing. */
export const ABORT_SEQUENCE_MS = (TERM_GRACE_TICKS + KILL_WAIT_TICKS) * 50;

/** The user `become` asks for, or undefined when no switch is needed. */
export function becomeUser(become: boolean | string | undefined, loginUser: string): string | undefined {
  if (become === undefined || become === false) return undefined;
  const target = become === true ? "root" : become;
  if (target === "") throw new Error("become: empty user name");
  return target === loginUser ? undefined : target;
}

/** argv that runs the exec script read from stdin, as `user` when given. */
export function shellArgv(user: string | undefined): string[] {
  return user === undefined ? ["/bin/sh", "-s"] : ["sudo", "-n", "-H", "-u", user, "--", "/bin/sh", "-s"];
}

/** A shell command line made of argv (for ssh, where the remote side takes one string). */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : shQuote(a))).join(" ");
}

/**
 * `sh -c` program for putFile with become: stdin is the content; $1 path, $2 mode ("" = keep the old mode or 644),
 * $3 owner, $4 group ("" = keep the old ones when possible). Writes a temp file in the same directory, then renames.
 */
export const PUT_PROGRAM = [
  'set -e; d=$1; dir=$(dirname -- "$d"); base=$(basename -- "$d")',
  't=$(mktemp "$dir/.$base.fd-XXXXXX")',
  "trap 'rm -f -- \"$t\"' EXIT",
  'cat >"$t"',
  'm=$2; if [ -z "$m" ]; then m=$(stat -c %a -- "$d" 2>/dev/null || echo 644); fi',
  'chmod -- "$m" "$t"',
  'o=$3; g=$4; if [ -z "$o" ] && [ -z "$g" ] && [ -e "$d" ]; then chown -- "$(stat -c %u:%g -- "$d")" "$t" 2>/dev/null || :; fi',
  'if [ -n "$o" ] || [ -n "$g" ]; then chown -- "$o${g:+:$g}" "$t"; fi',
  'mv -f -- "$t" "$d"',
  "trap - EXIT",
].join("\n");

/** argv for putFile with become. */
export function putArgv(user: string, path: string, mode: number | undefined, owner = "", group = ""): string[] {
  return ["sudo", "-n", "-H", "-u", user, "--", "/bin/sh", "-c", PUT_PROGRAM, "sh", path, mode === undefined ? "" : modeString(mode), owner, group];
}

/** Exit status meaning "no such file" for GET_PROGRAM. */
export const GET_MISSING_STATUS = 44;
/** `sh -c` program for getFile with become or in a sandbox: $1 path; the content on stdout. */
export const GET_PROGRAM = `if [ -e "$1" ] || [ -L "$1" ]; then exec cat -- "$1"; else exit ${GET_MISSING_STATUS}; fi`;

export function getArgv(user: string, path: string): string[] {
  return ["sudo", "-n", "-H", "-u", user, "--", "/bin/sh", "-c", GET_PROGRAM, "sh", path];
}

export function modeString(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`invalid file mode: ${mode}`);
  return mode.toString(8).padStart(4, "0");
}

/** Milliseconds from `connect_timeout`: a number of seconds, or "10s", "500ms", "1m". */
export function parseDuration(value: number | string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`invalid duration: ${value}`);
    return Math.round(value * 1000);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m?.[1]) throw new Error(`invalid duration: ${JSON.stringify(value)} (use seconds, or e.g. "10s", "500ms", "1m")`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new Error(`invalid duration: ${JSON.stringify(value)}`);
  return Math.round(ms);
}

const SIGNAL_NAMES: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM" };

/**
 * The result of an aborted command: the signal that ended it as far as we can tell (a shell reports death by
 * signal N as status 128+N), SIGTERM otherwise. A command that had already exited normally keeps its status.
 */
export function abortedResult(exitCode: number | null, signal: string | undefined): { exitCode: number | null; signal?: string } {
  if (signal) return { exitCode: null, signal: signal.startsWith("SIG") ? signal : `SIG${signal}` };
  if (exitCode !== null && exitCode > 128 && exitCode < 128 + 65) return { exitCode: null, signal: SIGNAL_NAMES[exitCode - 128] ?? `SIG${exitCode - 128}` };
  if (exitCode !== null) return { exitCode };
  return { exitCode: null, signal: "SIGTERM" };
}
