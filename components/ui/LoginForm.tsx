"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { safeNext } from "~/components/trpc/auth-redirect";
import { useMe } from "./session";
import { Logo, ThemeToggle } from "./TopBar";

/** What a refused sign-in means, in the user's words (better-auth answers with a status and a code). */
async function signInError(res: Response): Promise<string> {
  const body = (await res.json().catch(() => ({}))) as { code?: string };
  if (res.status === 429) {
    const wait = Number(res.headers.get("x-retry-after") ?? res.headers.get("retry-after"));
    const when = Number.isFinite(wait) && wait > 0 ? `${Math.ceil(wait)} s` : "a minute";
    return `Too many sign-in attempts from this address. Wait ${when}, then try again.`;
  }
  // The account exists and the password was right, but no session may be made: the account is disabled.
  if (body.code === "ACCOUNT_DISABLED") return "This account is disabled. Ask a Flightdeck admin to enable it again.";
  if (res.status === 401 || res.status === 422 || res.status === 400) return "Wrong user name or password. Check both (the password is case-sensitive) and try again.";
  return `Signing in failed on the server (HTTP ${res.status}). Try again in a moment; if it keeps failing, the server log says why.`;
}

export function LoginForm({ next }: { next: string | undefined }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useMe();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const target = safeNext(next);

  // Already signed in (a bookmark to /login, the back button): go on.
  useEffect(() => {
    if (me.data && !busy) router.replace(me.data.mustChangePassword ? `/account/password?next=${encodeURIComponent(target)}` : target);
  }, [me.data, busy, router, target]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const res = await fetch("/api/auth/sign-in/username", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: username.trim().toLowerCase(), password }),
      });
      if (!res.ok) {
        setError(await signInError(res));
        setBusy(false);
        setPassword("");
        passwordRef.current?.focus();
        return;
      }
      // Nothing cached from before signing in may be shown to the new session.
      queryClient.clear();
      const who = (await res.json().catch(() => ({}))) as { user?: { mustChangePassword?: boolean } };
      router.replace(who.user?.mustChangePassword ? `/account/password?next=${encodeURIComponent(target)}` : target);
    } catch {
      setError("The server did not answer. Check the connection and that Flightdeck is running, then try again.");
      setBusy(false);
    }
  };

  return (
    <main className="login-page">
      <div className="login-theme">
        <ThemeToggle labelled />
      </div>
      <form className="card login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title" noValidate={false}>
        <div className="login-brand">
          <Logo size={30} />
          <span>Flightdeck</span>
        </div>
        <h1 id="login-title">Sign in</h1>
        {target !== "/" && <p className="muted login-note">Sign in to open {target.split("?")[0]}.</p>}
        <label className="field">
          User name
          <input type="text" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          Password
          <input ref={passwordRef} type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <div className="notice error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button className="btn primary login-submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted login-foot">Accounts are made by a Flightdeck admin. Forgot your password? Ask an admin for a one-time one.</p>
      </form>
    </main>
  );
}
