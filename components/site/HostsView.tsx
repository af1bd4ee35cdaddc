"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { HostPanel } from "./HostPanel";
import { useWorkspace } from "./workspace";

/** Every host of the saved revision, searchable by name, group, profile and label; a host's panel beside. */
export function HostsView({ host }: { host: string | undefined }) {
  const w = useWorkspace();
  const trpc = useTRPC();
  const hosts = useQuery(trpc.hosts.list.queryOptions({ slug: w.slug }));
  const [filter, setFilter] = useState("");
  const rows = useMemo(() => {
    const terms = filter.toLowerCase().split(/\s+/).filter(Boolean);
    return (hosts.data?.hosts ?? []).filter((h) => {
      const text = [h.name, h.profile ?? "", h.address, ...h.groups, ...Object.entries(h.labels).map(([k, v]) => `${k}=${v}`)].join(" ").toLowerCase();
      return terms.every((t) => text.includes(t));
    });
  }, [hosts.data, filter]);

  return (
    <div className={`hosts-view ${host ? "with-panel" : ""}`}>
      <section className="hosts-main">
        <div className="row hosts-toolbar">
          <input type="search" placeholder="Filter by name, group, profile, label (role=web)…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter hosts" className="grow" />
          <span className="muted">
            {rows.length} of {hosts.data?.hosts.length ?? 0} hosts · revision {hosts.data?.revision ?? "…"}
          </span>
        </div>
        {w.dirty.length > 0 && <div className="notice info">Showing the saved revision; you have unsaved changes in {w.dirty.join(", ")}.</div>}
        {hosts.error && <div className="notice error">{errorMessage(hosts.error)}</div>}
        <div className="hosts-table">
          <table className="grid">
            <thead>
              <tr>
                <th>Host</th>
                <th>Groups</th>
                <th>Profile</th>
                <th>Labels</th>
                <th>Address</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((h) => (
                <tr key={h.name} className={h.name === host ? "selected" : undefined}>
                  <td>
                    <Link href={`/sites/${w.slug}/hosts/${encodeURIComponent(h.name)}`} className="host-link">
                      {h.name}
                    </Link>
                  </td>
                  <td>
                    <span className="row wrap">
                      {h.groups.filter((g) => g !== "all").map((g) => (
                        <span key={g} className="badge">{g}</span>
                      ))}
                    </span>
                  </td>
                  <td className="mono">{h.profile ?? <span className="muted">none</span>}</td>
                  <td>
                    <span className="row wrap">
                      {Object.entries(h.labels).map(([k, v]) => (
                        <span key={k} className="badge accent mono">{k}={v}</span>
                      ))}
                    </span>
                  </td>
                  <td className="mono">
                    {h.transport === "local" ? "local" : h.address}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {hosts.data && rows.length === 0 && <p className="muted empty">{hosts.data.hosts.length ? "No host matches the filter." : "This site has no hosts yet: add some to an inventory file."}</p>}
        </div>
      </section>
      {host && <HostPanel name={host} />}
      <style>{`
        .hosts-view { flex: 1; min-height: 0; display: grid; grid-template-columns: 1fr; }
        .hosts-view.with-panel { grid-template-columns: minmax(420px, 1fr) minmax(440px, 560px); }
        .hosts-main { display: flex; flex-direction: column; gap: 10px; padding: 12px 16px; min-height: 0; min-width: 0; }
        .hosts-table { flex: 1; overflow: auto; border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); }
        .host-link { font-weight: 600; white-space: nowrap; }
        .hosts-table .row.wrap { gap: 4px; }
        .hosts-table td { white-space: nowrap; }
        .empty { padding: 16px; }
      `}</style>
    </div>
  );
}
