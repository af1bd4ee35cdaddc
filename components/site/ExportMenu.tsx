"use client";

/**
 * A site's Export menu: the site itself (.tgz in its own layout) and the site as an Ansible inventory bundle
 * (ansible.cfg and hosts/ with group_vars/ and host_vars/, as .tgz or .zip; `flightdeck export ansible`). Items are
 * real links (copy one for curl); a click on an Ansible one fetches it first, so a refusal (lint errors, a variable
 * Ansible cannot hold) is said here instead of being saved as a file.
 */
import { useId, useState, type MouseEvent } from "react";
import { goToLogin } from "~/components/trpc/auth-redirect";
import { useMenu } from "~/components/ui/useMenu";

interface Item {
  href: string;
  label: string;
  hint: string;
  testId: string;
  /** Fetched before saving (its refusals are shown); the plain site archive is an ordinary download. */
  checked: boolean;
}

export function ExportMenu({ slug, small = true }: { slug: string; small?: boolean }) {
  const { open, setOpen, buttonRef, menuRef, onKey } = useMenu();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  const base = `/api/v1/sites/${encodeURIComponent(slug)}`;
  const items: { label: string; items: Item[] }[] = [
    { label: "Flightdeck site", items: [{ href: `${base}/export`, label: "Site archive (.tgz)", hint: "the site's files, as in git", testId: "export-site-tgz", checked: false }] },
    {
      label: "Ansible inventory",
      items: [
        { href: `${base}/inventory.tgz`, label: "Ansible bundle (.tgz)", hint: "ansible.cfg, hosts/, group_vars/, host_vars/", testId: "export-ansible-tgz", checked: true },
        { href: `${base}/inventory.zip`, label: "Ansible bundle (.zip)", hint: "the same, as a zip", testId: "export-ansible-zip", checked: true },
      ],
    },
  ];

  const select = (item: Item) => (e: MouseEvent) => {
    setError(null);
    if (!item.checked) return setOpen(false);
    e.preventDefault();
    setBusy(item.testId);
    saveFrom(item.href).then(
      () => {
        setBusy(null);
        setOpen(false);
      },
      (err: unknown) => {
        setBusy(null);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  };

  return (
    <div className="export-menu">
      <button
        ref={buttonRef}
        type="button"
        className={`btn${small ? " small" : ""}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        data-testid="export-menu"
        onClick={() => {
          setError(null);
          setOpen((o) => !o);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        Export <span aria-hidden="true" className="caret">▾</span>
      </button>
      {open && (
        <div ref={menuRef} id={id} role="menu" aria-label={`Export ${slug}`} className="menu export-items" onKeyDown={onKey}>
          {items.map((g) => (
            <div key={g.label} className="menu-group" role="group" aria-label={g.label}>
              <div className="menu-label" aria-hidden="true">
                {g.label}
              </div>
              {g.items.map((item) => (
                <a key={item.testId} href={item.href} download role="menuitem" tabIndex={-1} className="menu-item export-item" data-testid={item.testId} onClick={select(item)} aria-busy={busy === item.testId}>
                  <span>{busy === item.testId ? "Preparing…" : item.label}</span>
                  <span className="export-hint">{item.hint}</span>
                </a>
              ))}
            </div>
          ))}
          {error && (
            <div className="notice error export-error" role="alert" data-testid="export-error">
              {error}
            </div>
          )}
        </div>
      )}
      <style>{`
        .export-menu { position: relative; }
        .export-items { min-width: 280px; }
        .export-items .menu-group:first-child { border-top: 0; }
        .export-item { display: flex; flex-direction: column; gap: 1px; }
        .export-hint { font-size: 12px; color: var(--muted); }
        .export-error { margin: 4px; font-size: 13px; max-width: 320px; overflow-wrap: anywhere; }
      `}</style>
    </div>
  );
}

/** Fetches a download and saves it under the server's file name; a refusal becomes the error's message. */
async function saveFrom(href: string): Promise<void> {
  const res = await fetch(href);
  if (res.status === 401) return goToLogin();
  if (!res.ok) {
    // Refusals are RFC 9457 problem documents: the sentence is their `detail`.
    const body = (await res.json().catch(() => ({}))) as { detail?: string; error?: string };
    const reason = body.detail ?? body.error;
    throw new Error(reason ? `Could not export: ${reason}` : `Could not export (HTTP ${res.status}).`);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? href.split("/").pop()!;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the file once the click is handled; the object URL goes after a while.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
