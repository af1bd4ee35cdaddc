/** Errors the store raises for requests that cannot be honoured; the API edge maps them to responses. */
export class NotFoundError extends Error {}
export class ConflictError extends Error {}
export class InvalidInputError extends Error {}
/** The caller is known but may not do this (a role too low, their own run to approve). */
export class ForbiddenError extends Error {}
/** Nobody is signed in (or the token is unknown, revoked or expired). */
export class UnauthorizedError extends Error {}
