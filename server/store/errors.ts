/** The store's errors are the server's flat error tree (../errors): recognised by code across module graphs. */
export { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from "../errors";
