/**
 * How much work one request may ask of the server, in one place (the README's "Limits" section says the same).
 * Sizes fit real sites: the 10,000-host benchmark site (bench/generate-site.ts) is 4.2 MiB of YAML in 12
 * files, under a quarter of SITE_LIMITS.siteBytes; a whole site of it in one file is 3.9 MiB, under fileBytes.
 */
import { PayloadTooLargeError, TooManyRequestsError } from "./errors";

const MiB = 1 << 20;

/** Site archives (`POST /api/v1/sites/import`). */
export const ARCHIVE_LIMITS = {
  /** The upload as sent (.tgz, .tar or .zip); a multipart body may add MULTIPART_SLACK for its fields. */
  uploadBytes: 20 * MiB,
  /** Everything the archive expands to, every entry counted as it is inflated (skipped ones too). */
  expandedBytes: 64 * MiB,
  /** Entries of any kind (files, directories, links). */
  entries: 10_000,
  /** Characters of one entry's path. */
  pathLength: 1024,
} as const;

/** Multipart framing and the `slug`/`name` fields around an uploaded archive. */
export const MULTIPART_SLACK = 64 << 10;

/** A site's YAML, wherever it comes from: saves, lint of unsaved buffers, imports. */
export const SITE_LIMITS = {
  /** One file. */
  fileBytes: 4 * MiB,
  /** All of a site's files together (after unsaved changes are applied). */
  siteBytes: 16 * MiB,
  /** Files in a site. */
  files: 5000,
  /** Characters of a file's path. */
  pathLength: 1024,
  /** Diagnostics one lint answer carries (the counts stay exact; the editor cannot show more usefully). */
  diagnostics: 1000,
} as const;

/** A tRPC request body: a lint or save of a whole site, JSON-escaped (quotes, newlines) with room to spare. */
export const TRPC_BODY_BYTES = 2 * SITE_LIMITS.siteBytes;

/**
 * Checking a site (parse, validate, resolve every host) runs in worker threads (server/workers/check-pool.ts):
 * `yaml`'s full parser, which anchors, block scalars and multi-line values need, reads about 2 MB/s, and an
 * anchor-heavy file of 50 KB can take seconds; on the event loop that would stop every other request.
 */
export const CHECK_DEFAULTS = {
  /** FLIGHTDECK_CHECK_WORKERS: threads checking sites at once (one user's checks run one at a time). */
  workers: 2,
  /** FLIGHTDECK_CHECK_TIMEOUT: seconds one check may take before its thread is stopped. */
  timeoutSeconds: 10,
  /**
   * FLIGHTDECK_CHECK_MEMORY: MiB of JS heap (old generation) one checking thread may use. The 10,000-host site
   * checks within 48; 16 MiB of plain YAML needs about 150; YAML that `yaml` must parse fully, ~100 per MiB.
   */
  memoryMb: 256,
  /** Checks waiting for a thread, over all users, and per user, before new ones are refused. */
  queued: 32,
  queuedPerUser: 4,
} as const;

/**
 * Per-user budgets, token buckets keyed by the user (an API token counts as its owner). Checks are charged in
 * seconds of checking-thread time (at least `checkMinSeconds` each), so a burst of cheap editor lints is fine
 * and a stream of expensive ones is not; imports are charged per request, before anything is read.
 */
export const RATE_LIMITS = {
  checkSeconds: { burst: 30, perSecond: 0.5 },
  checkMinSeconds: 0.05,
  imports: { burst: 10, perSecond: 10 / 60 },
} as const;

/** An upload, archive or document over one of the limits above (413). */
export function tooLarge(message: string): Error {
  return new PayloadTooLargeError(message);
}
/** A caller over a rate limit (429, and Retry-After on REST); the message says when to retry too, for tRPC. */
export function tooMany(message: string, retryAfterSeconds: number): Error {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new TooManyRequestsError(`${message}; try again in ${seconds} s`, seconds);
}

/** "4 MiB", "20 KiB": how limits read in messages. */
export function size(bytes: number): string {
  return bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** Refuse a site over SITE_LIMITS, naming the file or the total that is. */
export function checkSiteSize(files: readonly { path: string; content: string }[]): void {
  if (files.length > SITE_LIMITS.files) throw tooLarge(`the site has ${files.length} files; at most ${SITE_LIMITS.files} are accepted`);
  let total = 0;
  for (const f of files) {
    if (f.path.length > SITE_LIMITS.pathLength) throw tooLarge(`a file path is ${f.path.length} characters long; at most ${SITE_LIMITS.pathLength} are accepted (${f.path.slice(0, 60)}…)`);
    const bytes = Buffer.byteLength(f.content, "utf8");
    if (bytes > SITE_LIMITS.fileBytes) throw tooLarge(`${f.path} is ${size(bytes)}; a site file may be at most ${size(SITE_LIMITS.fileBytes)}`);
    total += bytes;
  }
  if (total > SITE_LIMITS.siteBytes) throw tooLarge(`the site's files total ${size(total)}; a site may be at most ${size(SITE_LIMITS.siteBytes)}`);
}
