/** Process entry of the CLI: wires `run` to stdout/stderr and the exit code. */
import { run } from "./main";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

// Ctrl+C once cancels a run (remote commands are ended); twice leaves at once.
const cancel = new AbortController();
process.on("SIGINT", () => {
  if (cancel.signal.aborted) process.exit(130);
  err("flightdeck: cancelling (Ctrl+C again to quit now)");
  cancel.abort(new Error("cancelled from the terminal"));
});

run(process.argv.slice(2), { out, err, tty: process.stdout.isTTY ? process.stdout : undefined, signal: cancel.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Not bad input (that is handled in `run`): a bug. Say so plainly, with the trace for the report.
    err(`flightdeck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 3;
  },
);
