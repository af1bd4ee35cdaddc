/**
 * How the broadcast reports trouble with PostgreSQL: the first failure of an outage is logged, the rest stay
 * quiet until something works again, which is logged too (with how many failures were not). A database that is
 * away for an hour gives two lines, not one per event batch. Messages never carry the connection URL's password.
 */
export class OutageLog {
  private down = false;
  private suppressed = 0;

  constructor(
    /** Says which part failed, e.g. "broadcast (PostgreSQL adapter)". */
    private readonly what: string,
    /** The database URL, whose password is blanked out of every message. */
    private readonly url: string,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {}

  get failing(): boolean {
    return this.down;
  }

  fail(err: unknown) {
    if (this.down) {
      this.suppressed++;
      return;
    }
    this.down = true;
    this.log(`flightdeck: ${this.what}: ${redact(describe(err), this.url)} (browsers catch up from the store meanwhile)`);
  }

  ok() {
    if (!this.down) return;
    const more = this.suppressed ? ` (${this.suppressed} more failure${this.suppressed === 1 ? "" : "s"} not logged)` : "";
    this.down = false;
    this.suppressed = 0;
    this.log(`flightdeck: ${this.what}: working again${more}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(describe).join("; ");
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Blanks the URL's password (and any other URL's) out of a message. */
export function redact(message: string, url: string): string {
  let out = message.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) out = out.split(password).join("***");
  } catch {
    // not a URL: nothing to blank
  }
  return out;
}
