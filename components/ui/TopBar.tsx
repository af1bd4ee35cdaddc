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

function MoonIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true">
      <path fill="currentColor" d="M20.5 14.6A8.5 8.5 0 0 1 9.4 3.5a8.5 8.5 0 1 0 11.1 11.1z" />
    </svg>
  );
}

function SunIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <circle cx="12" cy="12" r="4.5" fill="currentColor" stroke="none" />
      <path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8" />
    </svg>
  );
}

export function ThemeToggle({ labelled = false }: { labelled?: boolean }) {
  const [theme, setTheme] = useTheme();
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button type="button" className="btn ghost small theme-toggle" onClick={() => setTheme(next)} aria-label={`Switch to the ${next} theme`} title={`Switch to the ${next} theme`}>
      {theme === "dark" ? <SunIcon /> : <MoonIcon />}
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
