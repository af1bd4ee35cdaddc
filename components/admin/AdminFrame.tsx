"use client";

/** The frame of the administration pages: the top bar with the section tabs, and a sign-in gate. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { errorMessage } from "~/components/ui/errors";
import { useMe, type Me } from "~/components/ui/session";
import { TopBar } from "~/components/ui/TopBar";
import "./admin.css";

const SECTIONS = [
  { href: "/admin/users", label: "Users", admin: true },
  { href: "/admin/projects", label: "Projects", admin: true },
  { href: "/admin/boards", label: "Kiosk boards", admin: true },
  { href: "/tokens", label: "API tokens", admin: false },
  { href: "/audit", label: "Audit log", admin: false },
];

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
