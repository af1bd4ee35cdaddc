"use client";

/**
 * Who is signed in, for the whole dashboard: a gate that sends signed-out visitors to /login (and users with a
 * one-time password to /account/password) before any page asks the API for anything, and the helpers pages
 * use to hide what the user's role cannot do (the server refuses it anyway).
 */
import { useQuery } from "@tanstack/react-query";
import { usePathname } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { goToLogin, goToPasswordChange, isPublicPath } from "~/components/trpc/auth-redirect";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "./errors";

export type Me = NonNullable<RouterOutputs["account"]["me"]>;
export type Role = RouterOutputs["members"]["roles"][number]["role"];

/**
 * The order of server/auth/roles.ts's ROLES (browser code cannot import it), for decisions made while rendering;
 * what each role allows comes from the server with useRoles().
 */
const ORDER: readonly Role[] = ["viewer", "operator", "approver", "admin"];

/** Whether `role` includes `need` (viewer < operator < approver < admin), as the server decides it. */
export function atLeast(role: Role | null | undefined, need: Role): boolean {
  return role != null && ORDER.indexOf(role) >= ORDER.indexOf(need);
}

export function useMe() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.account.me.queryOptions(), staleTime: 60_000 });
}

/** The roles, lowest first, each with its one-line description of what it allows (`members.roles`). */
export function useRoles() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.members.roles.queryOptions(), staleTime: Infinity });
}

/** Signs out on the server, then leaves for the login form with nothing of the session left in memory. */
export async function signOut(): Promise<void> {
  await fetch("/api/auth/sign-out", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).catch(() => undefined);
  window.location.assign("/login");
}

/** Renders the dashboard only for a signed-in user who may use it; public pages (login, kiosk) pass through. */
export function SessionGate({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const open = isPublicPath(pathname);
  const me = useMe();
  const user = me.data;
  const passwordPage = pathname === "/account/password";

  useEffect(() => {
    if (open || me.isPending || me.isError) return;
    if (!user) goToLogin();
    else if (user.mustChangePassword && !passwordPage) goToPasswordChange();
  }, [open, me.isPending, me.isError, user, passwordPage]);

  if (open) return <>{children}</>;
  if (me.isError) {
    return (
      <main className="page">
        <div className="card stack" role="alert">
          <h1>Flightdeck is not answering</h1>
          <p className="muted no-margin">The dashboard could not ask the server who you are ({errorMessage(me.error)}). Check that the server is running, then try again.</p>
          <div>
            <button type="button" className="btn primary" onClick={() => void me.refetch()}>
              Try again
            </button>
          </div>
        </div>
      </main>
    );
  }
  if (!user || (user.mustChangePassword && !passwordPage)) return <div className="session-wait" aria-busy="true" />;
  return <>{children}</>;
}
