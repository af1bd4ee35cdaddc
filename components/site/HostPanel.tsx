"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { useWorkspace } from "./workspace";

type Row = RouterOutputs["hosts"]["get"]["vars"][number];

const LEVEL_LABEL: Record<Row["origin"]["level"], string> = {
  default: "default",
  all: "group all",
  group: "group",
  profile: "profile",
  host: "host",
};

/** One host's resolved connection and variables, each with the place that set it (click opens that line). */
export function HostPanel({ name }: { name: string }) {
  const w = useWorkspace();
  const trpc = useTRPC();
  const host = useQuery(trpc.hosts.get.queryOptions({ slug: w.slug, name }));
  const data = host.data;
  const h = data?.host;
  return (
    <aside className="host-panel" aria-label={`Host ${name}`}>
      <div className="row">
        <h1 className="grow">{name}</h1>
        <Link href={`/sites/${w.slug}/hosts`} className="btn small" aria-label="Close host panel">
          ✕
        </Link>
      </div>
      {host.error && <div className="notice error">{errorMessage(host.error)}</div>}
      {h && data && (
        <>
          <dl className="host-facts">
            <dt>Groups</dt>
            <dd className="row wrap">{h.groups.map((g) => <span key={g} className="badge">{g}</span>)}</dd>
            <dt>Profiles</dt>
            <dd className="mono">{h.profiles.length ? h.profiles.join(" → ") : <span className="muted">none</span>}</dd>
            <dt>Labels</dt>
            <dd className="row wrap">
              {Object.entries(h.labels).map(([k, v]) => <span key={k} className="badge accent mono">{k}={v}</span>)}
              {!Object.keys(h.labels).length && <span className="muted">none</span>}
            </dd>
          </dl>
          <ValueTable title="Connection" rows={data.connection} slug={w.slug} />
          <ValueTable title="Variables" rows={data.vars} slug={w.slug} />
          <p className="muted legend">Lowest to highest: defaults, group all, other groups (parents first), profiles (root first), the host itself.</p>
        </>
      )}
      <style>{`
        .host-panel { border-left: 1px solid var(--border); background: var(--surface); padding: 14px 16px; overflow: auto; display: flex; flex-direction: column; gap: 12px; min-width: 0; }
        .host-facts { display: grid; grid-template-columns: 80px 1fr; gap: 6px 12px; margin: 0; }
        .host-facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; padding-top: 2px; }
        .host-facts dd { margin: 0; }
        .values { table-layout: fixed; }
        .values td.value { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
        .values td.key { font-family: var(--mono); font-size: 12.5px; font-weight: 600; overflow-wrap: anywhere; }
        .origin { display: flex; flex-wrap: wrap; gap: 4px 6px; align-items: center; }
        .level { font-size: 11px; }
        .level-host { background: var(--accent-soft); color: var(--accent); border-color: transparent; }
        .level-profile { background: var(--ok-soft); color: var(--ok); border-color: transparent; }
        .legend { font-size: 12px; margin: 0; }
      `}</style>
    </aside>
  );
}

function ValueTable({ title, rows, slug }: { title: string; rows: Row[]; slug: string }) {
  return (
    <section>
      <h2>{title}</h2>
      <table className="grid values">
        <colgroup>
          <col style={{ width: "32%" }} />
          <col style={{ width: "38%" }} />
          <col style={{ width: "30%" }} />
        </colgroup>
        <thead>
          <tr>
            <th>Key</th>
            <th>Value</th>
            <th>Set by</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-key={r.key}>
              <td className="key">{r.key}</td>
              <td className="value">{formatValue(r.value)}</td>
              <td>
                <span className="origin">
                  <span className={`badge level level-${r.origin.level}`}>
                    {LEVEL_LABEL[r.origin.level]}
                    {r.origin.level === "group" || r.origin.level === "profile" ? ` ${r.origin.source}` : ""}
                  </span>
                  {r.origin.file ? (
                    <Link className="mono" href={`/sites/${slug}/files/${r.origin.file}?line=${r.origin.line}&col=${r.origin.col}`} title="Open this line in the editor">
                      {r.origin.file}:{r.origin.line}
                    </Link>
                  ) : (
                    <span className="muted">built in</span>
                  )}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!rows.length && <p className="muted">Nothing set.</p>}
    </section>
  );
}

/** Values as YAML readers expect them: strings quoted, lists and maps spaced for reading. */
function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x)}`).join(", ")}}`;
  return JSON.stringify(v) ?? "null";
}
