/**
 * A long-running process whose log pipe is gone (its supervisor or the terminal that started it died) must keep
 * serving, not spin: a write to the closed pipe fails with EPIPE as an 'error' event, which unhandled becomes an
 * uncaught exception, which Next logs to the same pipe, failing again, forever (seen: an orphaned replica at 100 %
 * CPU, its event loop never free for the lease heartbeat). Lost log lines are the lesser harm.
 */
export function survivePipeLoss(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
    });
  }
}
