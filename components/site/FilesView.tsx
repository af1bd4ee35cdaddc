"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { Fragment, useCallback, useEffect, useMemo, useState } from "react";
import YamlEditor from "~/components/editor/YamlEditor";
import { useTRPC } from "~/components/trpc/react";
import { useTheme } from "~/components/ui/theme";
import { SITE_FILE_RULE, siteFileKind } from "~/server/inventory/site-files";
import { SaveDialog } from "./SaveDialog";
import { useWorkspace } from "./workspace";

interface EditorMarker {
  line: number;
  col: number;
  severity: "error" | "warning";
  message: string;
  source: "yaml" | "flightdeck";
}

/** The site's files: a file list, the Monaco editor with live lint, and a problems list that jumps to lines. */
export function FilesView({ path }: { path: string | undefined }) {
  const w = useWorkspace();
  const trpc = useTRPC();
  const router = useRouter();
  const search = useSearchParams();
  const [theme] = useTheme();
  const [saving, setSaving] = useState(false);
  const [schemaMarkers, setSchemaMarkers] = useState<EditorMarker[]>([]);
  const schema = useQuery({ ...trpc.files.schema.queryOptions(), staleTime: Infinity });
  const current = path ?? w.paths[0];
  // Viewers read; operators and above edit (the server refuses a viewer's save anyway).
  const editable = w.can("operator");
  const base = `/sites/${w.slug}/files`;

  // No file in the URL: open the first one.
  useEffect(() => {
    if (!path && current) router.replace(`${base}/${current}`);
  }, [path, current, base, router]);

  const line = Number(search.get("line") ?? 0);
  const col = Number(search.get("col") ?? 1);
  const reveal = useMemo(() => (line > 0 ? { line, col, nonce: Date.now() } : undefined), [line, col]);

  const fileDiagnostics = useMemo(() => w.diagnostics.filter((d) => d.file === current), [w.diagnostics, current]);
  const problems = useMemo(() => {
    const server = w.diagnostics.map((d) => ({ ...d, source: "flightdeck" as const }));
    const yaml = schemaMarkers.filter((m) => m.source === "yaml").map((m) => ({ ...m, file: current ?? "" }));
    return [...yaml, ...server].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  }, [w.diagnostics, schemaMarkers, current]);

  const counts = useCallback(
    (p: string) => {
      const d = w.diagnostics.filter((x) => x.file === p);
      return { errors: d.filter((x) => x.severity === "error").length, warnings: d.filter((x) => x.severity === "warning").length };
    },
    [w.diagnostics],
  );

  const onSave = useCallback(() => {
    if (editable && w.dirty.length) setSaving(true);
  }, [editable, w.dirty.length]);

  const newFile = () => {
    const name = window.prompt("New file path: a .yml document, or Ansible content under playbooks/, roles/, collections/ or ansible/", "profiles/new.yml");
    if (!name) return;
    const kind = /^[A-Za-z0-9_.\-/]+$/.test(name) ? siteFileKind(name) : null;
    if (!kind) {
      window.alert(`'${name}' is not a valid site file path: use ${SITE_FILE_RULE}`);
      return;
    }
    w.setBuffer(name, starter(name, kind));
    router.push(`${base}/${name}`);
  };

  // Documents first, then the site's Ansible content (never checked against the documents' schema).
  const groups = useMemo(
    () => [
      { title: undefined, paths: w.paths.filter((p) => siteFileKind(p) !== "ansible") },
      { title: "Ansible content", paths: w.paths.filter((p) => siteFileKind(p) === "ansible") },
    ],
    [w.paths],
  );

  const content = current ? w.contentOf(current) : undefined;
  return (
    <div className="files-view">
      <aside className="file-list" aria-label="Files">
        <div className="row file-list-head">
          <h2 className="grow">Files</h2>
          {editable && (
            <button className="btn small" onClick={newFile} title="Add a YAML file">
              + New
            </button>
          )}
        </div>
        {groups.map(
          (g) =>
            (g.paths.length > 0 || !g.title) && (
              <div key={g.title ?? "documents"} role="group" aria-label={g.title ?? "Documents"}>
                {g.title && <h3 className="file-group">{g.title}</h3>}
                <ul>
                  {g.paths.map((p) => {
                    const c = counts(p);
                    return (
                      <li key={p}>
                        <Link href={`${base}/${p}`} aria-current={p === current ? "page" : undefined} className="file-link">
                          <span className="grow mono">{breakable(p)}</span>
                          {w.dirty.includes(p) && <span title="Unsaved changes" aria-label="unsaved">●</span>}
                          {c.errors > 0 && <span className="badge error" title={`${c.errors} errors`}>✕ {c.errors}</span>}
                          {c.warnings > 0 && <span className="badge warn" title={`${c.warnings} warnings`}>▲ {c.warnings}</span>}
                        </Link>
                      </li>
                    );
                  })}
                </ul>
              </div>
            ),
        )}
      </aside>
      <section className="editor-pane">
        <div className="row editor-toolbar">
          <code className="grow">{current ?? "no file"}</code>
          {w.linting && <span className="muted">checking…</span>}
          {editable && current && w.dirty.includes(current) && (
            <button className="btn small" onClick={() => w.discard(current)}>
              Discard changes
            </button>
          )}
          {editable ? (
            <button className="btn small primary" onClick={onSave} disabled={!w.dirty.length} title="Save all changed files (Ctrl+S)">
              Save{w.dirty.length > 1 ? ` ${w.dirty.length} files` : ""}
            </button>
          ) : (
            w.role && (
              <span className="read-only-note" data-testid="read-only-note">
                <span className="badge">Read-only</span>
                <span className="muted">You are a {w.role} on this site: ask a site admin for the operator role to edit.</span>
              </span>
            )
          )}
        </div>
        <div className="editor-host">
          {current && content !== undefined && schema.data ? (
            <YamlEditor
              site={w.slug}
              path={current}
              value={content}
              onChange={(v) => w.setBuffer(current, v)}
              markers={fileDiagnostics}
              jsonSchema={schema.data}
              siteSchema={siteFileKind(current) !== "ansible"}
              onSave={onSave}
              reveal={reveal}
              onMarkersChange={setSchemaMarkers}
              theme={theme}
              readOnly={!editable}
            />
          ) : (
            <div className="editor-empty muted">{w.paths.length || !w.revision ? "Loading…" : editable ? "This site has no files yet. Add one with + New." : "This site has no files yet."}</div>
          )}
        </div>
        <div className="problems" aria-label="Problems">
          <div className="problems-head">
            <h2>Problems</h2>
            <span className="muted">{problems.length ? `${problems.length}` : "none: the site is valid"}</span>
          </div>
          <ul>
            {problems.map((p, i) => (
              <li key={`${p.file}:${p.line}:${p.col}:${i}`}>
                <Link href={`${base}/${p.file}?line=${p.line}&col=${p.col}`} className={`problem ${p.severity}`}>
                  <span aria-label={p.severity} className="icon">{p.severity === "error" ? "✕" : "▲"}</span>
                  <span className="grow">{p.message}</span>
                  <span className="mono muted">
                    {p.file}:{p.line}:{p.col}
                  </span>
                  {p.source === "yaml" && <span className="badge">schema</span>}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      </section>
      {saving && <SaveDialog onClose={() => setSaving(false)} />}
      <style>{`
        .files-view { flex: 1; min-height: 0; display: grid; grid-template-columns: 260px 1fr; }
        .file-list { border-right: 1px solid var(--border); background: var(--surface); overflow: auto; }
        .file-list-head { padding: 12px 12px 4px; }
        .file-list-head h2 { margin: 0; }
        .file-list ul { list-style: none; margin: 0; padding: 4px 6px; }
        .file-group { margin: 10px 14px 0; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); }
        .file-link { display: flex; gap: 6px; align-items: center; padding: 5px 8px; border-radius: 4px; color: var(--text); }
        .file-link:hover { background: var(--surface-2); text-decoration: none; }
        .file-link[aria-current="page"] { background: var(--accent-soft); }
        .file-link .mono { min-width: 0; overflow-wrap: anywhere; }
        .editor-pane { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
        .editor-toolbar { padding: 6px 12px; border-bottom: 1px solid var(--border); background: var(--surface); min-height: 39px; }
        .read-only-note { display: inline-flex; align-items: center; gap: 8px; font-size: 13px; }
        .editor-host { flex: 1; min-height: 0; }
        .editor-empty { padding: 24px; }
        .problems { height: 170px; border-top: 1px solid var(--border); background: var(--surface); overflow: auto; }
        .problems-head { display: flex; gap: 8px; align-items: baseline; padding: 8px 12px 2px; position: sticky; top: 0; background: var(--surface); }
        .problems-head h2 { margin: 0; font-size: 13px; text-transform: uppercase; letter-spacing: .4px; }
        .problems ul { list-style: none; margin: 0; padding: 0 6px 8px; }
        .problem { display: flex; gap: 8px; align-items: center; padding: 3px 8px; border-radius: 4px; color: var(--text); }
        .problem:hover { background: var(--surface-2); text-decoration: none; }
        .problem.error .icon { color: var(--error); }
        .problem.warning .icon { color: var(--warn); }
      `}</style>
    </div>
  );
}

/** What a new file starts with: a profile for a document, a play for a playbook, nothing for other Ansible files. */
function starter(path: string, kind: "document" | "ansible"): string {
  if (kind === "document") return "kind: profile\napi_version: v1beta1\nspec:\n  name: \n";
  const stem = path.replace(/^.*\//, "").replace(/\.ya?ml$/i, "");
  if (/^playbooks\/[^/]+\.ya?ml$/i.test(path)) return `- name: ${stem}\n  hosts: all\n  tasks: []\n`;
  return "";
}

/** A path that wraps after its slashes (roles/web/tasks/ | main.yml) rather than inside a name. */
function breakable(path: string) {
  return path.split("/").map((segment, i, all) => (
    <Fragment key={i}>
      {segment}
      {i < all.length - 1 && (
        <>
          /<wbr />
        </>
      )}
    </Fragment>
  ));
}
