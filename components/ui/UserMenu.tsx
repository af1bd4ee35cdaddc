"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { signOut, useMe } from "./session";
import { useMenu } from "./useMenu";

interface Item {
  href?: string;
  label: string;
  onSelect?: () => void;
  testId: string;
}

/** The signed-in user's name in the top bar, with a menu: account pages, admin pages for server admins, sign out. */
export function UserMenu() {
  const me = useMe();
  const user = me.data;
  const { open, setOpen, buttonRef, menuRef, onKey } = useMenu();
  const [signingOut, setSigningOut] = useState(false);
  const id = useId();

  if (!user) return null;
  const restricted = user.mustChangePassword;
  const account: Item[] = restricted
    ? []
    : [
        { href: "/account/password", label: "Change password", testId: "menu-password" },
        { href: "/tokens", label: "API tokens", testId: "menu-tokens" },
        { href: "/audit", label: "Audit log", testId: "menu-audit" },
      ];
  const admin: Item[] =
    user.isAdmin && !restricted
      ? [
          { href: "/admin/users", label: "Users", testId: "menu-users" },
          { href: "/admin/boards", label: "Kiosk boards", testId: "menu-boards" },
        ]
      : [];
  const out: Item = {
    label: signingOut ? "Signing out…" : "Sign out",
    testId: "menu-sign-out",
    onSelect: () => {
      setSigningOut(true);
      void signOut();
    },
  };

  const render = (item: Item) =>
    item.href ? (
      <Link key={item.testId} href={item.href} role="menuitem" tabIndex={-1} className="menu-item" data-testid={item.testId} onClick={() => setOpen(false)}>
        {item.label}
      </Link>
    ) : (
      <button key={item.testId} type="button" role="menuitem" tabIndex={-1} className="menu-item" data-testid={item.testId} onClick={item.onSelect} disabled={signingOut}>
        {item.label}
      </button>
    );

  return (
    <div className="user-menu">
      <button
        ref={buttonRef}
        type="button"
        className="btn ghost small user-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={`Account menu for ${user.username}`}
        data-testid="user-menu"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span className="avatar" aria-hidden="true">
          {user.username.charAt(0).toUpperCase()}
        </span>
        <span className="user-name">{user.username}</span>
        <span aria-hidden="true" className="caret">
          ▾
        </span>
      </button>
      {open && (
        <div ref={menuRef} id={id} role="menu" aria-label={`${user.username}'s account`} className="menu" onKeyDown={onKey}>
          <div className="menu-head" role="presentation">
            Signed in as <strong>{user.username}</strong>
            {user.isAdmin && <span className="badge accent">server admin</span>}
          </div>
          {account.length > 0 && <div className="menu-group" role="presentation">{account.map(render)}</div>}
          {admin.length > 0 && (
            <div className="menu-group" role="presentation">
              <div className="menu-label" role="presentation">
                Administration
              </div>
              {admin.map(render)}
            </div>
          )}
          <div className="menu-group" role="presentation">
            {render(out)}
          </div>
        </div>
      )}
    </div>
  );
}
