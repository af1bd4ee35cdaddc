"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { errorMessage } from "~/components/ui/errors";
import { TopBar } from "~/components/ui/TopBar";
import { LintBadges } from "./LintBadges";
import { useWorkspace } from "./workspace";

const TABS = [
  { href: "files", label: "Files" },
  { href: "hosts", label: "Hosts" },
  { href: "secrets", label: "Secrets" },
  { href: "deployments", label: "Deployments" },
  { href: "runs", label: "Runs" },
  { href: "history", label: "History" },
];

/** The site's chrome: breadcrumb, tabs, revision and lint state, and the "someone else saved" notice. */
export function SiteFrame({ children }: { children: ReactNode }) {
  const w = useWorkspace();
  const pathname = usePathname();
  const base = `/sites/${w.slug}`;
  const errors = w.diagnostics.filter((d) => d.severity === "error").length;
  return (
    <div className="site-frame">
      <TopBar
        actions={
          <>
            {w.revision !== undefined && (
              <span className="badge" title="Newest saved revision">
                rev {w.revision}
              </span>
            )}
            {w.revision !== undefined && <LintBadges errors={errors} warnings={w.diagnostics.length - errors} />}
            {w.dirty.length > 0 && <span className="badge accent">● {w.dirty.length} unsaved</span>}
            <a className="btn small" href={`/api/v1/sites/${w.slug}/export`} download>
              Export .tgz
            </a>
          </>
        }
        crumbs={
          <>
            <Link href="/">Sites</Link>
            <span aria-hidden="true">/</span>
            <span className="site-title">{w.site?.name ?? w.slug}</span>
          </>
        }
      >
        <nav className="tabs" aria-label="Site sections">
          {TABS.map((t) => (
            <Link key={t.href} href={`${base}/${t.href}`} aria-current={pathname.startsWith(`${base}/${t.href}`) ? "page" : undefined}>
              {t.label}
            </Link>
          ))}
        </nav>
      </TopBar>
      {w.remote && (
        <div className="notice info remote-notice" role="status">
          Revision {w.remote.revision} was saved by {w.remote.author}: “{w.remote.message}”. You have unsaved changes based on revision {w.revision}.
          <button className="btn small" onClick={() => w.reload()}>
            Discard mine and load revision {w.remote.revision}
          </button>
        </div>
      )}
      {w.loadError !== null && w.loadError !== undefined ? (
        <main className="page">
          <div className="notice error">
            {errorMessage(w.loadError)}. <Link href="/">Back to all sites</Link>
          </div>
        </main>
      ) : (
        children
      )}
      <style>{`
        .site-frame { display: flex; flex-direction: column; height: 100vh; }
        .site-title { color: var(--text); font-weight: 600; }
        .remote-notice { border-radius: 0; }
      `}</style>
    </div>
  );
}
