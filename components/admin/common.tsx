"use client";

/**
 * What the administration pages share: their frame (top bar with the section tabs, a sign-in gate), the
 * "shown once" box for passwords and tokens, a copy button and a confirmation dialog.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { TopBar } from "~/components/ui/TopBar";
import "./admin.css";

export type Me = NonNullable<RouterOutputs["account"]["me"]>;

const SECTIONS = [
  { href: "/admin/users", label: "Users", admin: true },
  { href: "/admin/boards", label: "Kiosk boards", admin: true },
  { href: "/tokens", label: "API tokens", admin: false },
  { href: "/audit", label: "Audit log", admin: false },
];

/** Small line icons (SVG: they render the same whatever fonts the machine has). */
export function KeyIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <circle cx="7.5" cy="15.5" r="4.5" />
      <path d="m10.7 12.3 9.3-9.3M16 7l3 3M18.5 4.5l2 2" />
    </svg>
  );
}

export function CopyIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">
      <rect x="9" y="9" width="12" height="12" rx="2" />
      <path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
    </svg>
  );
}

export function useMe() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.account.me.queryOptions(), staleTime: 60_000 });
}

/**
 * An administration page: the top bar with the sections this user may open, then `children(me)` once the
 * user is known to be signed in (and a server admin when `admin`); otherwise a plain explanation.
 */
export function AdminFrame({ title, admin = false, children }: { title: string; admin?: boolean; children: (me: Me) => ReactNode }) {
  const me = useMe();
  const pathname = usePathname();
  const user = me.data;
  const sections = SECTIONS.filter((s) => !s.admin || user?.isAdmin);
  return (
    <div className="adm-frame">
      <TopBar
        crumbs={
          <>
            <Link href="/">Sites</Link>
            <span aria-hidden="true">/</span>
            <span className="adm-crumb">{title}</span>
          </>
        }
      >
        {user && (
          <nav className="tabs" aria-label="Administration">
            {sections.map((s) => (
              <Link key={s.href} href={s.href} aria-current={pathname.startsWith(s.href) ? "page" : undefined}>
                {s.label}
              </Link>
            ))}
          </nav>
        )}
      </TopBar>
      <main className="page stack adm-page">
        <Gate me={me} admin={admin}>
          {(u) => children(u)}
        </Gate>
      </main>
    </div>
  );
}

function Gate({ me, admin, children }: { me: ReturnType<typeof useMe>; admin: boolean; children: (me: Me) => ReactNode }) {
  const pathname = usePathname();
  if (me.isPending) {
    return (
      <p className="muted" role="status">
        Loading…
      </p>
    );
  }
  if (me.error) return <Problem title="Could not reach the server">{errorMessage(me.error)}. Reload the page to try again.</Problem>;
  const user = me.data;
  if (!user) {
    return (
      <Problem title="Sign in first">
        This page needs a signed-in user.{" "}
        <Link className="btn primary small" href={`/login?next=${encodeURIComponent(pathname)}`}>
          Sign in
        </Link>
      </Problem>
    );
  }
  if (user.mustChangePassword) {
    return (
      <Problem title="Choose your own password first">
        You signed in with a one-time password. Choose a new password; then this page opens.{" "}
        <Link className="btn primary small" href={`/account/password?next=${encodeURIComponent(pathname)}`}>
          Change password
        </Link>
      </Problem>
    );
  }
  if (admin && !user.isAdmin) {
    return (
      <Problem title="This page is for server admins">
        You are signed in as <strong>{user.username}</strong>, who is not a server admin. Ask one if you need a change here.
      </Problem>
    );
  }
  return <>{children(user)}</>;
}

export function Problem({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="card stack adm-problem" role="alert">
      <h1>{title}</h1>
      <p className="muted">{children}</p>
    </div>
  );
}

/** A page heading with a one-line explanation under it. */
export function PageHead({ title, children, actions }: { title: string; children?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="adm-head">
      <div className="grow">
        <h1>{title}</h1>
        {children && <p className="muted">{children}</p>}
      </div>
      {actions}
    </div>
  );
}

/** Copies `text`; says "Copied" for a moment (and to screen readers). Falls back to selecting for Ctrl+C. */
export function CopyButton({ text, label = "Copy", testId, className = "btn small" }: { text: string; label?: string; testId?: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(t);
  }, [state]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <button type="button" className={className} onClick={() => void copy()} data-testid={testId} aria-live="polite">
      {state === "copied" ? <span aria-hidden="true">✓</span> : <CopyIcon />} {state === "copied" ? "Copied" : state === "failed" ? "Press Ctrl+C" : label}
    </button>
  );
}

/** A read-only value in a monospace box with a copy button; focus selects all of it. */
export function CopyField({ value, label, testId, multiline = false }: { value: string; label: string; testId?: string; multiline?: boolean }) {
  const id = useId();
  return (
    <div className="adm-copy">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      {multiline ? (
        <textarea id={id} className="adm-copy-value mono" readOnly value={value} rows={2} onFocus={(e) => e.currentTarget.select()} data-testid={testId} spellCheck={false} />
      ) : (
        <input id={id} type="text" className="adm-copy-value mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} data-testid={testId} spellCheck={false} />
      )}
      <CopyButton text={value} />
    </div>
  );
}

/**
 * A secret the server returns exactly once (a one-time password, a token): a highlighted box that says so,
 * and a button to put it away once it has been copied.
 */
export function ShownOnce({ title, value, valueLabel, onDone, children, testId }: { title: string; value: string; valueLabel: string; onDone: () => void; children?: ReactNode; testId?: string }) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <section className="card adm-once" aria-labelledby="adm-once-title" tabIndex={-1} ref={ref} data-testid={testId}>
      <div className="adm-once-head">
        <span className="adm-once-icon" aria-hidden="true">
          <KeyIcon />
        </span>
        <h2 id="adm-once-title">{title}</h2>
        <span className="badge warn" data-testid="shown-once">
          Shown once
        </span>
      </div>
      <CopyField value={value} label={valueLabel} testId="secret-value" />
      <p className="adm-once-note">
        <strong>Copy it now.</strong> Flightdeck keeps only a hash of it: once you leave or close this box it cannot be shown again.
      </p>
      {children}
      <div>
        <button type="button" className="btn" onClick={onDone} data-testid="shown-once-done">
          I have copied it
        </button>
      </div>
    </section>
  );
}

export interface ConfirmOptions {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  run: () => Promise<unknown>;
}

/**
 * `ask(options)` opens a confirmation dialog; its button runs `options.run`, showing any error in the dialog.
 * Render `dialog` somewhere in the page.
 */
export function useConfirm(): { ask: (o: ConfirmOptions) => void; dialog: ReactNode } {
  const [open, setOpen] = useState<ConfirmOptions | null>(null);
  const close = useCallback(() => setOpen(null), []);
  return { ask: setOpen, dialog: open ? <ConfirmDialog key={open.title} options={open} onClose={close} /> : null };
}

function ConfirmDialog({ options, onClose }: { options: ConfirmOptions; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    opener.current = document.activeElement;
    cancelRef.current?.focus();
    return () => {
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    };
  }, []);
  useEffect(() => {
    const esc = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", esc);
    return () => window.removeEventListener("keydown", esc);
  }, [busy, onClose]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await options.run();
      onClose();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={bodyId}
        data-testid="confirm-dialog"
        onKeyDown={(e) => {
          // Keep Tab inside the dialog.
          if (e.key !== "Tab") return;
          const items = [...e.currentTarget.querySelectorAll<HTMLElement>("button:not(:disabled)")];
          const first = items[0];
          const last = items[items.length - 1];
          const wrapTo = e.shiftKey ? (document.activeElement === first ? last : null) : document.activeElement === last ? first : null;
          if (wrapTo) {
            e.preventDefault();
            wrapTo.focus();
          }
        }}
      >
        <h2 id={titleId}>{options.title}</h2>
        <div id={bodyId} className="adm-confirm-body">
          {options.body}
        </div>
        {error && (
          <div className="notice error" role="alert">
            {error}
          </div>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy} ref={cancelRef}>
            Cancel
          </button>
          <button type="button" className={`btn ${options.danger ? "danger" : "primary"}`} onClick={() => void confirm()} disabled={busy} data-testid="confirm-ok">
            {busy ? "Working…" : options.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/** A small status word with an icon (never colour alone). */
export function Flag({ tone, icon, children, title, testId }: { tone: "ok" | "warn" | "error" | "accent" | ""; icon: ReactNode; children: ReactNode; title?: string; testId?: string }) {
  return (
    <span className={`badge ${tone}`} title={title} data-testid={testId}>
      <span aria-hidden="true">{icon}</span> {children}
    </span>
  );
}

/** The roles with their one-line descriptions, from the server (lowest first). */
export function useRoles() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.members.roles.queryOptions(), staleTime: Infinity });
}

export type RoleName = RouterOutputs["members"]["roles"][number]["role"];
