/** Errors the store raises for requests that cannot be honoured; the API edge maps them to responses. */
export class NotFoundError extends Error {}
export class ConflictError extends Error {}
export class InvalidInputError extends Error {}
