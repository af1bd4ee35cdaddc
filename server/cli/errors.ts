/** The CLI's own errors; both exit 2. Domain errors of the model and the engine are told apart by code (../errors). */

/** Bad usage: the message is followed by the usage text. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** `flightdeck launch` could not reach the dashboard, or the dashboard refused. */
export class LaunchError extends Error {
  override name = "LaunchError";
}
