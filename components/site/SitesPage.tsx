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
import { useTRPC } from "~/components/trpc/react";
import { LintBadges } from "./LintBadges";

export function SitesPage() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.list.queryOptions());
  const me = useMe();
  // Creating and importing sites is for server admins; everyone else sees the sites they were given.
  const admin = me.data?.isAdmin === true;
  return (
    <>
      <TopBar />
      <main className="page stack">
        <div className="row">
          <h1 className="grow">Sites</h1>
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
        <ul className="site-list" aria-label="Sites">
          {sites.data?.map((s) => (
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
                <a className="btn small" href={`/api/v1/sites/${s.slug}/export`} download>
                  Export .tgz
                </a>
              </div>
            </li>
          ))}
        </ul>
        {admin && (
          <div className="two-col">
            <CreateSite />
            <ImportSite />
          </div>
        )}
      </main>
      <style>{`
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
      `}</style>
    </>
  );
}

function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);
}

function CreateSite() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const create = useMutation(trpc.sites.create.mutationOptions({ onSuccess: (_, v) => router.push(`/sites/${v.slug}`) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ slug: slugify(name), name });
  };
  return (
    <form className="card" onSubmit={submit}>
      <h2>New site</h2>
      <label className="field">
        Name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Lab cluster" required />
        <span className="hint">Id: <code>{slugify(name) || "…"}</code></span>
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

function ImportSite() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<{ error?: string; skipped?: string[]; binary?: string[] }>({});
  const importPath = useMutation(trpc.sites.importPath.mutationOptions());
  const slug = slugify(name);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setResult({});
    if (file) {
      const form = new FormData();
      form.set("file", file);
      form.set("slug", slug);
      form.set("name", name);
      // The site in the query lets the server check who may import before it reads the upload.
      const res = await fetch(`/api/v1/sites/import?${new URLSearchParams({ slug, name })}`, { method: "POST", body: form });
      const body = (await res.json().catch(() => ({}))) as { error?: string; skipped?: string[]; binary?: string[] };
      if (res.status === 401) return goToLogin();
      if (!res.ok) return setResult({ error: body.error ?? `The import failed on the server (HTTP ${res.status}).` });
      await queryClient.invalidateQueries();
      if (body.skipped?.length) return setResult({ skipped: body.skipped, binary: body.binary });
      router.push(`/sites/${slug}`);
    } else {
      importPath.mutate(
        { slug, name, path },
        {
          // Binary Ansible files were left out (a site keeps text): say which before opening the site.
          onSuccess: (r) => (r.binary.length ? setResult({ skipped: r.binary, binary: r.binary }) : router.push(`/sites/${slug}`)),
          onError: (err) => setResult({ error: errorSentence(err) }),
        },
      );
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)}>
      <h2>Import a site</h2>
      <label className="field">
        Name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Production DC1" required />
        <span className="hint">An existing id gets the import as a new revision. Id: <code>{slug || "…"}</code></span>
      </label>
      <label className="field">
        Archive <span className="hint">.tgz, .tar or .zip of the site directory</span>
        <input type="file" accept=".tgz,.tar.gz,.tar,.zip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <label className="field">
        …or a directory on the server
        <input type="text" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/srv/sites/dc1" disabled={!!file} />
      </label>
      {result.error && <div className="notice error" role="alert">{result.error}</div>}
      {result.skipped && (
        <div className="notice warn">
          Imported. Not imported (not site files): {result.skipped.join(", ")}.
          {result.binary?.length ? ` Of these, ${result.binary.join(", ")} ${result.binary.length === 1 ? "is Ansible content but binary" : "are Ansible content but binary"}: a site keeps text files only.` : ""}{" "}
          <Link href={`/sites/${slug}`}>Open the site</Link>
        </div>
      )}
      <div>
        <button className="btn primary" disabled={!slug || (!file && !path) || importPath.isPending}>
          Import
        </button>
      </div>
    </form>
  );
}
