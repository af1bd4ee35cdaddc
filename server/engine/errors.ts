/** The engine's errors, one line each on when they are raised. */
import { InvalidInputError } from "../errors";

/** The site or the request cannot be planned (lint errors, unknown deployment): nothing ran. */
export class PlanError extends InvalidInputError {
  override name = "PlanError";
}

/** A step's template or params could not be rendered for a host: the step fails with this message. */
export class StepInputError extends Error {
  override name = "StepInputError";
}
