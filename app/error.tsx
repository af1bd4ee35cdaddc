"use client";

import Link from "next/link";

/** A crash in a page: say so plainly, offer a retry, and keep the technical detail for the browser console. */
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  console.error(error);
  return (
    <main className="page">
      <div className="card stack">
        <h1>This page stopped working</h1>
        <p className="muted">
          Something failed while showing it. Your saved revisions are safe on the server. Try again; if it keeps happening,
          the browser console and the server log{error.digest ? ` (reference ${error.digest})` : ""} say what went wrong.
        </p>
        <div className="row">
          <button className="btn primary" onClick={() => reset()}>
            Try again
          </button>
          <Link className="btn" href="/">
            All sites
          </Link>
        </div>
      </div>
    </main>
  );
}
