"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useTheme } from "./theme";
import { UserMenu } from "./UserMenu";

export function Logo({ size = 22 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden="true">
      <path fill="currentColor" d="M2 13.5 21 4l-4.5 16-5.2-4.6L7 19v-5.2l9.3-7.1L6 12.6z" />
    </svg>
  );
}

export function ThemeToggle({ labelled = false }: { labelled?: boolean }) {
  const [theme, setTheme] = useTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button type="button" className="btn ghost small theme-toggle" onClick={() => setTheme(next)} aria-label={`Switch to the ${next} theme`} title={`Switch to the ${next} theme`}>
      <span aria-hidden="true">{theme === "dark" ? "☀" : "☾"}</span>
      {labelled && <span>{theme === "dark" ? "Light" : "Dark"}</span>}
    </button>
  );
}

/**
 * The page's header: brand, breadcrumb, page actions, theme and the account menu; `children` (a section's tabs)
 * get a row of their own below, so long tab lists never push the account menu off screen.
 */
export function TopBar({ crumbs, children, actions }: { crumbs?: ReactNode; children?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="topbar-wrap">
      <div className="topbar">
        <Link href="/" className="brand" aria-label="Flightdeck: all sites">
          <Logo /> Flightdeck
        </Link>
        {crumbs && (
          <nav className="crumbs" aria-label="Breadcrumb">
            {crumbs}
          </nav>
        )}
        <span className="spacer" />
        {actions && <div className="topbar-actions">{actions}</div>}
        <ThemeToggle />
        <UserMenu />
      </div>
      {children && <div className="subbar">{children}</div>}
    </header>
  );
}
