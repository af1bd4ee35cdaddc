import Link from "next/link";

export default function NotFound() {
  return (
    <main className="page">
      <div className="card stack">
        <h1>Nothing here</h1>
        <p className="muted">This address does not match any page of Flightdeck.</p>
        <div>
          <Link className="btn primary" href="/">
            All sites
          </Link>
        </div>
      </div>
    </main>
  );
}
