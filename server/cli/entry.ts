/** Process entry of the CLI: wires `run` to stdout/stderr and the exit code. */
import { run } from "./main";

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

try {
  process.exitCode = run(process.argv.slice(2), { out, err });
} catch (e) {
  // Not bad input (that is handled in `run`): a bug. Say so plainly, with the trace for the report.
  err(`flightdeck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 3;
}
