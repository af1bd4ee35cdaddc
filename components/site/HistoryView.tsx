"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import DiffEditor from "~/components/editor/DiffEditor";
import { useTRPC } from "~/components/trpc/react";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useTheme } from "~/components/ui/theme";
import { changedFiles, CHANGE_MARK } from "./changes";
import { LintBadges } from "./LintBadges";
import { useWorkspace } from "./workspace";

/** Revisions of the site, and a diff between any two of them (default: the newest against the one before). */
export function HistoryView() {
  const w = useWorkspace();
  const trpc = useTRPC();
  const search = useSearchParams();
  const [theme] = useTheme();
  const revisions = useQuery(trpc.revisions.list.queryOptions({ slug: w.slug }));
  const newest = revisions.data?.[0]?.number ?? 1;
  const to = Number(search.get("to") ?? newest);
  const from = Number(search.get("from") ?? Math.max(1, to - 1));
  const left = useQuery(trpc.files.list.queryOptions({ slug: w.slug, revision: from }));
  const right = useQuery(trpc.files.list.queryOptions({ slug: w.slug, revision: to }));

  const changes = useMemo(() => (left.data && right.data ? changedFiles(left.data.files, right.data.files) : []), [left.data, right.data]);
  const file = search.get("file") ?? changes[0]?.path;
  const selected = changes.find((c) => c.path === file);
  const href = (params: Record<string, string | number>) => {
    const q = new URLSearchParams({ from: String(from), to: String(to), ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
    return `/sites/${w.slug}/history?${q.toString()}`;
  };

  return (
    <div className="history-view">
      <aside className="revisions" aria-label="Revisions">
        <h2>Revisions</h2>
        <ol>
          {revisions.data?.map((r) => (
            <li key={r.number} className={r.number === to ? "current" : r.number === from ? "base" : undefined}>
              <Link href={href({ from: Math.max(1, r.number - 1), to: r.number })} className="revision">
                <span className="row">
                  <strong>#{r.number}</strong>
                  <span className="grow rev-message">{r.message}</span>
                </span>
                <span className="row muted small">
                  {r.author} · <RelativeTime date={r.createdAt} />
                  <span className="grow" />
                  <LintBadges errors={r.errors} warnings={r.warnings} />
                </span>
              </Link>
            </li>
          ))}
        </ol>
      </aside>
      <section className="diff-pane">
        <div className="row diff-toolbar wrap">
          <label className="row">
            Compare
            <select value={from} onChange={(e) => (window.location.href = href({ from: e.target.value }))} aria-label="Base revision">
              {revisions.data?.map((r) => <option key={r.number} value={r.number}>#{r.number}</option>)}
            </select>
            with
            <select value={to} onChange={(e) => (window.location.href = href({ to: e.target.value }))} aria-label="Compared revision">
              {revisions.data?.map((r) => <option key={r.number} value={r.number}>#{r.number}</option>)}
            </select>
          </label>
          <span className="grow" />
          <span className="muted">{changes.length} {changes.length === 1 ? "file" : "files"} changed</span>
        </div>
        {changes.length > 0 && <div className="row wrap changed-files">
          {changes.map((c) => (
            <Link key={c.path} href={href({ file: c.path })} className={`badge ${c.path === selected?.path ? "accent" : ""}`} aria-current={c.path === selected?.path ? "true" : undefined}>
              {CHANGE_MARK[c.change]} {c.path}
            </Link>
          ))}
        </div>}
        <div className="diff-host">
          {selected ? (
            <DiffEditor original={selected.before} modified={selected.after} path={selected.path} theme={theme} />
          ) : (
            <p className="muted empty">{revisions.data?.length === 1
                ? "This site has one revision so far: save a change to see what it changed here."
                : from === to
                  ? "Choose two different revisions to compare."
                  : "No file changed between these revisions."}</p>
          )}
        </div>
      </section>
      <style>{`
        .history-view { flex: 1; min-height: 0; display: grid; grid-template-columns: 320px 1fr; }
        .revisions { border-right: 1px solid var(--border); background: var(--surface); overflow: auto; padding: 12px 8px; }
        .revisions h2 { padding: 0 8px; }
        .revisions ol { list-style: none; margin: 0; padding: 0; }
        .revision { display: flex; flex-direction: column; gap: 2px; padding: 8px; border-radius: 4px; color: var(--text); }
        .revision:hover { background: var(--surface-2); text-decoration: none; }
        .revisions li.current .revision { background: var(--accent-soft); }
        .revisions li.base .revision { box-shadow: inset 3px 0 0 var(--muted); }
        .rev-message { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        .small { font-size: 12px; }
        .diff-pane { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
        .diff-toolbar, .changed-files { padding: 8px 12px; border-bottom: 1px solid var(--border); background: var(--surface); }
        .diff-host { flex: 1; min-height: 0; }
        .empty { padding: 16px; }
      `}</style>
    </div>
  );
}
