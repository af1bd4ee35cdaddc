"use client";

import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Fragment, useEffect, useMemo, useState, type ReactNode } from "react";
import { useTRPC, useTRPCClient, type RouterInputs, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useDebounced } from "~/components/ui/useDebounced";
import { AdminFrame, PageHead } from "./AdminFrame";
import { AdminTable } from "./AdminTable";

type Entry = RouterOutputs["audit"]["query"]["entries"][number];
type Query = RouterInputs["audit"]["query"];

const PAGE = 50;
const FIELDS = ["site", "action", "actor", "text", "from", "to"] as const;
type Filters = Record<(typeof FIELDS)[number], string>;

const RANGES = [
  { label: "Last hour", ms: 3_600_000 },
  { label: "Last 24 hours", ms: 86_400_000 },
  { label: "Last 7 days", ms: 7 * 86_400_000 },
];

/** Who did what, when: filterable, newest first, a page at a time. Filters live in the URL, so a view can be shared. */
export function AuditView() {
  return <AdminFrame title="Audit log">{() => <Audit />}</AdminFrame>;
}

function readFilters(params: URLSearchParams): Filters {
  return Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ""])) as Filters;
}

/** `datetime-local` values are local wall-clock times without a zone: the viewer's zone applies. */
function toMs(local: string): number | undefined {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isFinite(t) ? t : undefined;
}

function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function Audit() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => readFilters(params));
  const typed = useDebounced(filters, 300);
  const sites = useQuery(trpc.sites.list.queryOptions());

  // The URL follows the filters (replace, not push: typing is not history).
  useEffect(() => {
    const q = new URLSearchParams();
    for (const f of FIELDS) if (typed[f]) q.set(f, typed[f]);
    const next = q.toString();
    if (next !== params.toString()) router.replace(next ? `${pathname}?${next}` : pathname, { scroll: false });
  }, [typed, pathname, router, params]);

  const input = useMemo((): Query => {
    const q: Query = { limit: PAGE };
    if (typed.site) q.site = typed.site;
    if (typed.action) q.action = typed.action;
    if (typed.actor.trim()) q.actor = typed.actor.trim();
    if (typed.text.trim()) q.text = typed.text.trim();
    const from = toMs(typed.from);
    const to = toMs(typed.to);
    if (from !== undefined) q.from = from;
    if (to !== undefined) q.to = to + 59_999; // the whole "to" minute
    return q;
  }, [typed]);

  const log = useInfiniteQuery({
    queryKey: ["audit.query", input],
    queryFn: ({ pageParam }) => client.audit.query.query(pageParam ? { ...input, before: pageParam } : input),
    initialPageParam: 0,
    getNextPageParam: (last) => (last.more ? last.entries[last.entries.length - 1]?.id : undefined),
    placeholderData: keepPreviousData,
  });

  const first = log.data?.pages[0];
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  const actions: readonly string[] = first?.actions ?? [];
  const scope = first?.scope;
  const groups = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const a of actions) {
      const g = a.slice(0, a.indexOf(".") + 1);
      map.set(g, [...(map.get(g) ?? []), a]);
    }
    return [...map];
  }, [actions]);
  const siteOptions = useMemo(() => {
    const slugs = new Set(scope ?? sites.data?.map((s) => s.slug) ?? []);
    if (filters.site) slugs.add(filters.site);
    return [...slugs].sort();
  }, [scope, sites.data, filters.site]);

  const set = (f: keyof Filters, v: string) => setFilters((x) => ({ ...x, [f]: v }));
  const active = FIELDS.some((f) => filters[f]);

  return (
    <>
      <PageHead title="Audit log">
        Every sign-in, change of users, roles, tokens and settings, saved document, revealed secret and run decision, newest first. Entries cannot be changed or
        deleted.
      </PageHead>
      {scope && (
        <div className="notice info" role="status">
          You see the entries of the sites you administer: {scope.length ? scope.join(", ") : "none yet"}. Server admins see everything.
        </div>
      )}
      <section className="card" aria-label="Filters">
        <div className="adm-filters">
          <label className="field">
            Site
            <select value={filters.site} onChange={(e) => set("site", e.target.value)} data-testid="filter-site">
              <option value="">All sites</option>
              {siteOptions.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Action
            <select value={filters.action} onChange={(e) => set("action", e.target.value)} data-testid="filter-action">
              <option value="">All actions</option>
              {filters.action && !actions.includes(filters.action) && !groups.some(([g]) => g === filters.action) && <option value={filters.action}>{filters.action}</option>}
              {groups.map(([g, list]) => (
                <optgroup key={g} label={g.slice(0, -1)}>
                  {list.length > 1 && <option value={g}>{`${g}* (every ${g.slice(0, -1)} action)`}</option>}
                  {list.map((a) => (
                    <option key={a} value={a}>
                      {a}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
          </label>
          <label className="field">
            Actor
            <input type="search" value={filters.actor} onChange={(e) => set("actor", e.target.value)} placeholder="user name" spellCheck={false} data-testid="filter-actor" />
          </label>
          <label className="field">
            Contains
            <input type="search" value={filters.text} onChange={(e) => set("text", e.target.value)} placeholder="target or detail" spellCheck={false} data-testid="filter-text" />
          </label>
        </div>
        <div className="adm-filter-time">
          <label className="field">
            From
            <input type="datetime-local" value={filters.from} onChange={(e) => set("from", e.target.value)} data-testid="filter-from" />
          </label>
          <label className="field">
            To
            <input type="datetime-local" value={filters.to} onChange={(e) => set("to", e.target.value)} data-testid="filter-to" />
          </label>
          <div className="adm-presets" role="group" aria-label="Quick time ranges">
            {RANGES.map((r) => (
              <button key={r.label} type="button" className="btn small" onClick={() => setFilters((x) => ({ ...x, from: toLocalInput(Date.now() - r.ms), to: "" }))}>
                {r.label}
              </button>
            ))}
          </div>
          <span className="grow" />
          {active && (
            <div className="adm-presets">
              <button type="button" className="btn small" onClick={() => setFilters(readFilters(new URLSearchParams()))}>
                Clear filters
              </button>
            </div>
          )}
        </div>
      </section>
      {log.error && (
        <div className="notice error" role="alert">
          Could not load the audit log: {errorMessage(log.error)}
        </div>
      )}
      <section aria-label="Entries" aria-busy={log.isFetching}>
        <AdminTable columns={["When", "Who", "Action", "Site", "Target", "Detail", "From"]} className="adm-audit" testId="audit-table">
          {entries.map((e) => (
            <Row key={e.id} e={e} />
          ))}
          {log.data && !entries.length && (
            <tr>
              <td colSpan={7} className="adm-empty">
                {active ? "Nothing matches these filters." : "Nothing recorded yet."}
              </td>
            </tr>
          )}
          {log.isPending && (
            <tr>
              <td colSpan={7} className="adm-empty">
                Loading…
              </td>
            </tr>
          )}
        </AdminTable>
        <div className="adm-load-more">
          {log.data && (
            <span className="muted" role="status">
              {entries.length} {entries.length === 1 ? "entry" : "entries"}
              {log.hasNextPage ? " shown" : ""}
            </span>
          )}
          {log.hasNextPage && (
            <button type="button" className="btn" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage} data-testid="load-more">
              {log.isFetchingNextPage ? "Loading…" : `Load ${PAGE} older`}
            </button>
          )}
        </div>
      </section>
    </>
  );
}

function tone(action: string): string {
  if (action === "login.failed") return "error";
  if (/\.(revoked|deleted|removed|rejected|cancelled|revealed)$/.test(action)) return "warn";
  if (/\.(created|approved|succeeded)$/.test(action)) return "ok";
  return "";
}

function Row({ e }: { e: Entry }) {
  return (
    <tr data-testid="audit-row" data-action={e.action}>
      <td className="adm-when">
        <RelativeTime date={e.at} />
      </td>
      <td className="mono">{e.actor}</td>
      <td>
        <span className={`badge adm-action ${tone(e.action)}`}>{e.action}</span>
      </td>
      <td>{e.site ? <span className="mono">{e.site}</span> : <span className="muted">—</span>}</td>
      <td className="adm-target">{e.target || <span className="muted">—</span>}</td>
      <td>
        <Detail detail={e.detail} />
      </td>
      <td className="adm-ip">{e.ip ?? ""}</td>
    </tr>
  );
}

/** "expiresInDays" → "expires in days". */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function Value({ v }: { v: unknown }): ReactNode {
  if (v === null || v === undefined) return <span className="adm-val-null">none</span>;
  if (typeof v === "boolean") return <span className="adm-val-bool">{v ? "yes" : "no"}</span>;
  if (typeof v === "number") return <span className="adm-val-num">{v}</span>;
  if (typeof v === "string") return v === "" ? <span className="adm-val-null">empty</span> : <span className="adm-val-str">{v}</span>;
  if (Array.isArray(v)) {
    if (!v.length) return <span className="adm-val-null">none</span>;
    return (
      <span className="adm-flags">
        {v.map((x, i) => (
          <span key={i} className="badge">
            {typeof x === "object" ? JSON.stringify(x) : String(x)}
          </span>
        ))}
      </span>
    );
  }
  if (isRecord(v)) return <Detail detail={v} />;
  return <span>{JSON.stringify(v)}</span>;
}

/** An entry's detail as keys and values; `{from, to}` pairs read as "old → new". */
function Detail({ detail }: { detail: Record<string, unknown> }) {
  const keys = Object.keys(detail);
  if (!keys.length) return <span className="muted">—</span>;
  const { from, to, ...rest } = detail;
  const change = "from" in detail && "to" in detail;
  const rows: { key: string; node: ReactNode }[] = [];
  if (change) {
    if (isRecord(to) && (isRecord(from) || from === null)) {
      // A change of several fields: show each field that the change names.
      for (const k of Object.keys(to)) rows.push({ key: words(k), node: <Change from={isRecord(from) ? from[k] : undefined} to={to[k]} /> });
    } else rows.push({ key: "changed", node: <Change from={from} to={to} /> });
  }
  for (const [k, v] of Object.entries(change ? rest : detail)) rows.push({ key: words(k), node: <Value v={v} /> });
  return (
    <dl className="adm-detail">
      {rows.map((r) => (
        <Fragment key={r.key}>
          <dt>{r.key}</dt>
          <dd>{r.node}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function Change({ from, to }: { from: unknown; to: unknown }) {
  return (
    <span className="adm-change">
      {from !== undefined && (
        <>
          <span className="old">
            <Value v={from} />
          </span>
          <span className="arrow" aria-label="changed to">
            →
          </span>
        </>
      )}
      <Value v={to} />
    </span>
  );
}
