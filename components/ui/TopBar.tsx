"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useTheme } from "./theme";

export function Logo() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
      <path fill="currentColor" d="M2 13.5 21 4l-4.5 16-5.2-4.6L7 19v-5.2l9.3-7.1L6 12.6z" />
    </svg>
  );
}

export function TopBar({ crumbs, children, actions }: { crumbs?: ReactNode; children?: ReactNode; actions?: ReactNode }) {
  const [theme, setTheme] = useTheme();
  return (
    <header className="topbar">
      <Link href="/" className="brand" aria-label="Flightdeck: all sites">
        <Logo /> Flightdeck
      </Link>
      {crumbs && <nav className="crumbs" aria-label="Breadcrumb">{crumbs}</nav>}
      {children}
      <span className="spacer" />
      {actions}
      <button
        type="button"
        className="btn ghost small"
        onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
        aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
        title="Switch theme"
      >
        {theme === "dark" ? "☀ Light" : "☾ Dark"}
      </button>
    </header>
  );
}
