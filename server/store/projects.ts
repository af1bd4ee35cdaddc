/**
 * Projects: the rules every store implementation shares. A project owns sites (each site exactly one); `default`
 * holds the sites that existed before projects and new sites unless another is chosen, so it is never deleted.
 * A project is deleted only when it owns no site. The queries are in store/sqlite/projects.ts and
 * store/pg/projects.ts.
 */
import { ConflictError, InvalidInputError, NotFoundError } from "./errors";
import { validSlug } from "./sites";
import type { NewProject, ProjectChange } from "./types";

export const DEFAULT_PROJECT = "default";

/** A new project's input checked before any query (InvalidInputError names the rule). */
export function checkNewProject(input: NewProject): Required<NewProject> {
  if (!validSlug(input.slug)) throw new InvalidInputError(`'${input.slug}' is not a valid project id (lowercase letters, digits and '-', up to 63)`);
  return { slug: input.slug, name: checkName(input.name), description: input.description ?? "" };
}

/** A change's defined fields (InvalidInputError when there is none). */
export function checkProjectChange(change: ProjectChange): ProjectChange {
  const set: ProjectChange = {};
  if (change.name !== undefined) set.name = checkName(change.name);
  if (change.description !== undefined) set.description = change.description;
  if (!Object.keys(set).length) throw new InvalidInputError("nothing to change: give a name or a description");
  return set;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new InvalidInputError("a project needs a name");
  return trimmed;
}

/** Deleting `default` is refused before any query. */
export function checkDeletable(slug: string): void {
  if (slug === DEFAULT_PROJECT) throw new ConflictError(`project '${DEFAULT_PROJECT}' cannot be deleted: new sites go there unless another project is chosen`);
}

export function noProject(slug: string): NotFoundError {
  return new NotFoundError(`no project '${slug}'`);
}

export function projectExists(slug: string): ConflictError {
  return new ConflictError(`a project '${slug}' already exists`);
}

export function projectNotEmpty(slug: string, sites: number): ConflictError {
  return new ConflictError(`project '${slug}' still owns ${sites} site${sites === 1 ? "" : "s"}: move or delete them first`);
}
