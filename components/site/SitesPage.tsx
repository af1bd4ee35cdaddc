"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { goToLogin } from "~/components/trpc/auth-redirect";
import { errorMessage, errorSentence } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useMe } from "~/components/ui/session";
import { TopBar } from "~/components/ui/TopBar";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { ExportMenu } from "./ExportMenu";
import { LintBadges } from "./LintBadges";

export function SitesPage() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.list.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const me = useMe();
  // Creating and importing sites is for server admins; everyone else sees the sites they were given.
  const admin = me.data?.isAdmin === true;
  const groups = groupByProject(sites.data ?? [], projects.data ?? []);
  return (
    <>
      <TopBar />
      <main className="page stack">
        <div className="row">
          <h1 className="grow">Sites</h1>
          {admin && (
            <Link className="btn" href="/admin/projects">
              Projects
            </Link>
          )}
        </div>
        {sites.error && <div className="notice error">Could not load sites: {errorMessage(sites.error)}</div>}
        {sites.data?.length === 0 &&
          (admin ? (
            <div className="card">
              <h2>No sites yet</h2>
              <p className="muted">A site is a directory of YAML: inventory, profiles, blueprints. Import one from the server or an archive below, or create an empty one.</p>
            </div>
          ) : (
            <div className="card" data-testid="no-sites">
              <h2>No site shared with you yet</h2>
              <p className="muted no-margin">
                You can sign in, but no site has given you a role. Ask a site admin to add <strong>{me.data?.username}</strong> on the site&apos;s Members page (or a server admin for a new site).
              </p>
            </div>
          ))}
        {groups.map((g) => (
          <section key={g.slug} className="project-group" aria-labelledby={`project-${g.slug}`} data-testid={`project-${g.slug}`}>
            <div className="project-head">
              <h2 id={`project-${g.slug}`}>{g.name}</h2>
              <span className="muted mono">{g.slug}</span>
              <span className="badge" title="Sites of this project you can read">
                {g.sites.length} {g.sites.length === 1 ? "site" : "sites"}
              </span>
              {g.role && (
                <span className="badge" title="Your role on the project, and so on each of its sites" data-testid={`project-role-${g.slug}`}>
                  project role: {g.role}
                </span>
              )}
            </div>
            <ul className="site-list" aria-label={`Sites of ${g.name}`}>
              {g.sites.map((s) => (
                <li key={s.slug} className="card site-card">
                  <div className="grow">
                    <Link href={`/sites/${s.slug}`} className="site-name">
                      {s.name}
                    </Link>
                    <div className="muted mono">{s.slug}</div>
                    {s.description && <p className="muted">{s.description}</p>}
                  </div>
                  <dl className="facts">
                    <div><dt>Hosts</dt><dd>{s.hosts}</dd></div>
                    <div><dt>Files</dt><dd>{s.files}</dd></div>
                    <div><dt>Revision</dt><dd>{s.revision}</dd></div>
                  </dl>
                  <div className="site-meta">
                    <span className="row">
                      {s.role && (
                        <span className="badge" title="Your role on this site" data-testid={`role-${s.slug}`}>
                          your role: {s.role}
                        </span>
                      )}
                      <LintBadges errors={s.errors} warnings={s.warnings} />
                    </span>
                    <span className="muted">
                      saved <RelativeTime date={s.updatedAt} /> by {s.updatedBy}
                    </span>
                    <ExportMenu slug={s.slug} />
                  </div>
                </li>
              ))}
            </ul>
          </section>
        ))}
        {admin && (
          <div className="two-col">
            <CreateSite />
            <ImportSite />
          </div>
        )}
      </main>
      <style>{`
        .project-group { display: flex; flex-direction: column; gap: 10px; }
        .project-head { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; border-bottom: 1px solid var(--border); padding-bottom: 6px; }
        .project-head h2 { margin: 0; font-size: 15px; }
        .site-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
        .site-card { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
        .site-card p { margin: 6px 0 0; }
        .site-name { font-size: 16px; font-weight: 600; }
        .facts { display: flex; gap: 20px; margin: 0; }
        .facts div { text-align: center; }
        .facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); }
        .facts dd { margin: 0; font-size: 18px; font-weight: 600; }
        .site-meta { display: flex; flex-direction: column; align-items: flex-end; gap: 6px; }
        .two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
        @media (max-width: 800px) { .two-col { grid-template-columns: 1fr; } }
        form.card { display: flex; flex-direction: column; gap: 12px; }
        .import-format { border: 0; margin: 0; padding: 0; min-width: 0; }
        .import-format legend { padding: 0; margin-bottom: 4px; font-size: 13px; font-weight: 500; }
        .format-choice { display: inline-flex; border: 1px solid var(--border); border-radius: var(--radius); overflow: hidden; }
        .format-choice label { display: inline-flex; align-items: center; gap: 6px; padding: 5px 12px; font-size: 13px; cursor: pointer; background: var(--surface); }
        .format-choice label + label { border-left: 1px solid var(--border); }
        .format-choice label.on { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
        .format-choice label:focus-within { outline: 2px solid var(--focus); outline-offset: -2px; }
        .format-choice input { margin: 0; accent-color: var(--accent); }
        .import-error, .import-done { display: flex; flex-direction: column; align-items: stretch; gap: 6px; }
        .problems { margin: 0; padding-left: 18px; font-size: 12.5px; overflow-wrap: anywhere; max-height: 240px; overflow: auto; }
        .problems li + li { margin-top: 2px; }
      `}</style>
    </>
  );
}

type SiteRow = RouterOutputs["sites"]["list"][number];
type ProjectRow = RouterOutputs["projects"]["list"][number];

/** The sites under their projects: projects by name (their sites by name, as listed), each named once. */
function groupByProject(sites: SiteRow[], projects: ProjectRow[]) {
  const known = new Map(projects.map((p) => [p.slug, p]));
  const groups = new Map<string, { slug: string; name: string; role: ProjectRow["role"]; sites: SiteRow[] }>();
  for (const s of sites) {
    const slug = s.project ?? "default";
    const project = known.get(slug);
    const group = groups.get(slug) ?? { slug, name: project?.name ?? slug, role: project?.role ?? null, sites: [] };
    group.sites.push(s);
    groups.set(slug, group);
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || a.slug.localeCompare(b.slug));
}

function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);
}

function CreateSite() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [project, setProject] = useState("default");
  const projects = useQuery(trpc.projects.list.queryOptions());
  const create = useMutation(trpc.sites.create.mutationOptions({ onSuccess: (_, v) => router.push(`/sites/${v.slug}`) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ slug: slugify(name), name, project });
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>New site</h2>
      <label className="field">
        Name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Lab cluster" required />
        <span className="hint">Id: <code>{slugify(name) || "…"}</code></span>
      </label>
      <label className="field">
        Project
        <select value={project} onChange={(e) => setProject(e.target.value)} data-testid="new-site-project">
          {(projects.data ?? [{ slug: "default", name: "Default" }]).map((p) => (
            <option key={p.slug} value={p.slug}>
              {p.name} ({p.slug})
            </option>
          ))}
        </select>
        <span className="hint">Its members&apos; roles apply to the new site.</span>
      </label>
      {create.error && <div className="notice error" role="alert">{errorSentence(create.error)}</div>}
      <div>
        <button className="btn primary" disabled={!slugify(name) || create.isPending}>
          Create site
        </button>
      </div>
    </form>
  );
}

type ImportFormat = "site" | "ansible";

interface ImportResult {
  error?: string;
  /** An Ansible inventory's problems, each `file:line:col: message`. */
  problems?: string[];
  skipped?: string[];
  binary?: string[];
  /** What an Ansible import made, and what Ansible would have warned about. */
  ansible?: { hosts: number; groups: number; secrets: number; corrections: number; warnings: string[] };
}

/**
 * Import a site from an archive or a server directory: a Flightdeck site (its own layout), or an Ansible inventory
 * (INI or YAML, group_vars/, host_vars/; vaulted values become the new site's secrets with the vault password,
 * which is sent for this import only).
 */
function ImportSite() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [format, setFormat] = useState<ImportFormat>("site");
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [inventory, setInventory] = useState("");
  const [vault, setVault] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult>({});
  const importPath = useMutation(trpc.sites.importPath.mutationOptions());
  const slug = slugify(name);
  const ansible = format === "ansible";

  // Open the new site, unless something was left out or Ansible had warnings: those are said first.
  const done = (r: ImportResult) => (r.skipped?.length || r.ansible?.warnings.length ? setResult(r) : router.push(`/sites/${slug}`));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult({});
    setBusy(true);
    try {
      if (file) {
        const form = new FormData();
        form.set("file", file);
        form.set("slug", slug);
        form.set("name", name);
        if (ansible && vault) form.set("vault_password", vault);
        if (ansible && inventory) form.set("inventory", inventory);
        // The site in the query lets the server check who may import before it reads the upload.
        const query = new URLSearchParams({ slug, name, ...(ansible && { format }) });
        const res = await fetch(`/api/v1/sites/import?${query}`, { method: "POST", body: form });
        // Refusals are RFC 9457 problem documents: the sentence is their `detail`.
        const body = (await res.json().catch(() => ({}))) as ImportResult & { detail?: string };
        if (res.status === 401) return goToLogin();
        if (!res.ok) return setResult({ error: body.detail ?? body.error ?? `The import failed on the server (HTTP ${res.status}).`, problems: body.problems });
        await queryClient.invalidateQueries();
        done({ skipped: body.skipped, binary: body.binary, ansible: body.ansible });
      } else {
        const r = await importPath.mutateAsync({ slug, name, path, format, ...(ansible && vault && { vaultPassword: vault }) }).catch((err: unknown) => {
          // An inventory's problems come one per line, each located.
          const lines = errorMessage(err).split("\n");
          setResult(ansible && lines.length > 1 ? { error: `${path} cannot be imported as an Ansible inventory: ${lines.length} problems`, problems: lines } : { error: errorSentence(err) });
        });
        // Binary Ansible files were left out (a site keeps text): say which before opening the site.
        if (r) done({ skipped: r.binary.length ? r.binary : undefined, binary: r.binary, ansible: r.ansible });
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card import-form" onSubmit={(e) => void submit(e)} data-testid="import-form">
      <h2>Import a site</h2>
      <fieldset className="import-format">
        <legend>Import</legend>
        <div className="format-choice">
          <label className={format === "site" ? "on" : undefined}>
            <input type="radio" name="import-format" value="site" checked={format === "site"} onChange={() => setFormat("site")} />
            Flightdeck site
          </label>
          <label className={ansible ? "on" : undefined}>
            <input type="radio" name="import-format" value="ansible" checked={ansible} onChange={() => setFormat("ansible")} data-testid="format-ansible" />
            Ansible inventory
          </label>
        </div>
      </fieldset>
      <label className="field">
        Name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder={ansible ? "Production (from Ansible)" : "Production DC1"} required />
        <span className="hint">
          {ansible ? "A new site; every host resolves to exactly what ansible-inventory gives it." : "An existing id gets the import as a new revision."} Id: <code>{slug || "…"}</code>
        </span>
      </label>
      <label className="field">
        Archive <span className="hint">{ansible ? ".tgz or .zip of the inventory: INI or YAML files, group_vars/, host_vars/" : ".tgz, .tar or .zip of the site directory"}</span>
        <input type="file" accept=".tgz,.tar.gz,.tar,.zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      {ansible && file && (
        <label className="field">
          Inventory in the archive <span className="hint">optional: a file or folder; by default the archive&apos;s folder, or its one file</span>
          <input type="text" value={inventory} onChange={(e) => setInventory(e.target.value)} placeholder="hosts.ini" />
        </label>
      )}
      <label className="field">
        {ansible ? "…or an inventory on the server (a file or directory)" : "…or a directory on the server"}
        <input type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder={ansible ? "/etc/ansible/inventories/production" : "/srv/sites/dc1"} disabled={!!file} />
      </label>
      {ansible && (
        <label className="field">
          Vault password <span className="hint">optional: opens !vault values and vaulted files, which become the site&apos;s secrets; used for this import only, never stored</span>
          <input type="password" value={vault} onChange={(e) => setVault(e.target.value)} autoComplete="off" data-testid="vault-password" />
        </label>
      )}
      {result.error && (
        <div className="notice error import-error" role="alert" data-testid="import-error">
          <div>{result.error}</div>
          {result.problems && (
            <ul className="problems" aria-label="Problems">
              {result.problems.map((p, i) => (
                <li key={i} className="mono">
                  {p}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {(result.skipped || result.ansible) && (
        <div className="notice warn import-done" data-testid="import-done">
          <div>
            Imported
            {result.ansible &&
              `: ${result.ansible.hosts} ${result.ansible.hosts === 1 ? "host" : "hosts"}, ${result.ansible.groups} groups${result.ansible.secrets ? `, ${result.ansible.secrets} secrets` : ""}`}
            .{" "}
            {result.skipped && (
              <>
                Not imported (not site files): {result.skipped.join(", ")}.
                {result.binary?.length ? ` Of these, ${result.binary.join(", ")} ${result.binary.length === 1 ? "is Ansible content but binary" : "are Ansible content but binary"}: a site keeps text files only.` : ""}{" "}
              </>
            )}
            <Link href={`/sites/${slug}`}>Open the site</Link>
          </div>
          {result.ansible && result.ansible.warnings.length > 0 && (
            <ul className="problems" aria-label="Warnings">
              {result.ansible.warnings.map((w, i) => (
                <li key={i} className="mono">
                  {w}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div>
        <button className="btn primary" disabled={!slug || (!file && !path) || busy}>
          {busy ? "Importing…" : "Import"}
        </button>
      </div>
    </form>
  );
}
