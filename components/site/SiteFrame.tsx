"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useTRPC } from "~/components/trpc/react";
import { errorSentence } from "~/components/ui/errors";
import { useRoles } from "~/components/ui/session";
import { TopBar } from "~/components/ui/TopBar";
import { ExportMenu } from "./ExportMenu";
import { LintBadges } from "./LintBadges";
import { useWorkspace } from "./workspace";

const TABS = [
  { href: "files", label: "Files" },
  { href: "hosts", label: "Hosts" },
  { href: "secrets", label: "Secrets" },
  { href: "deployments", label: "Deployments" },
  { href: "runs", label: "Runs" },
  { href: "approvals", label: "Approvals" },
  { href: "events", label: "Events" },
  { href: "schedules", label: "Schedules" },
  { href: "history", label: "History" },
];

/** The site's chrome: breadcrumb, tabs, revision and lint state, and the "someone else saved" notice. */
export function SiteFrame({ children }: { children: ReactNode }) {
  const w = useWorkspace();
  const trpc = useTRPC();
  const pathname = usePathname();
  const base = `/sites/${w.slug}`;
  const errors = w.diagnostics.filter((d) => d.severity === "error").length;
  // The Approvals tab counts the runs waiting for a decision (kept fresh by the workspace's socket).
  const waiting = useQuery({ ...trpc.runs.list.queryOptions({ slug: w.slug, status: "awaiting_approval" }), enabled: w.role !== undefined });
  const count = waiting.data?.length ?? 0;
  const tabs = w.can("admin") ? [...TABS, { href: "notifications", label: "Notifications" }, { href: "members", label: "Members" }] : TABS;
  const allows = useRoles().data?.find((r) => r.role === w.role)?.description;
  return (
    <div className="site-frame">
      <TopBar
        actions={
          <>
            {w.role && (
              <span className="badge role-badge" title={`Your role here: ${w.role}${allows ? ` (${allows})` : ""}`} data-testid="site-role">
                {w.role}
              </span>
            )}
            {w.revision !== undefined && (
              <span className="badge" title="Newest saved revision">
                rev {w.revision}
              </span>
            )}
            {w.revision !== undefined && <LintBadges errors={errors} warnings={w.diagnostics.length - errors} />}
            {w.dirty.length > 0 && <span className="badge accent">● {w.dirty.length} unsaved</span>}
            <ExportMenu slug={w.slug} />
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
          {tabs.map((t) => (
            <Link key={t.href} href={`${base}/${t.href}`} aria-current={pathname.startsWith(`${base}/${t.href}`) ? "page" : undefined} data-testid={`tab-${t.href}`}>
              {t.label}
              {t.href === "approvals" && count > 0 && (
                <span className="tab-count" data-testid="approvals-count" aria-label={`, ${count} waiting`}>
                  {count > 49 ? "50+" : count}
                </span>
              )}
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
          <div className="notice error" role="alert">
            {errorSentence(w.loadError)} <Link href="/">Back to all sites</Link>
          </div>
        </main>
      ) : (
        children
      )}
      <style>{`
        .site-frame { display: flex; flex-direction: column; height: 100vh; }
        .site-title { color: var(--text); font-weight: 600; }
        .remote-notice { border-radius: 0; }
        .tab-count { margin-left: 6px; min-width: 18px; height: 18px; padding: 0 5px; border-radius: 9px; background: var(--warn-soft); color: var(--warn); font-size: 11px; font-weight: 700; display: inline-flex; align-items: center; justify-content: center; font-variant-numeric: tabular-nums; }
        .role-badge { text-transform: capitalize; }
      `}</style>
    </div>
  );
}
