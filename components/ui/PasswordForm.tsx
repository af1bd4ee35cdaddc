"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { safeNext } from "~/components/trpc/auth-redirect";
import { useTRPC } from "~/components/trpc/react";
import { errorSentence } from "./errors";
import { signOut, useMe } from "./session";
import { TopBar } from "./TopBar";

const MIN = 10;

/** Change one's own password; with a one-time password this is the only page the user can use until done. */
export function PasswordForm({ next }: { next: string | undefined }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useMe();
  const forced = me.data?.mustChangePassword === true;
  const [current, setCurrent] = useState("");
  const [fresh, setFresh] = useState("");
  const [repeat, setRepeat] = useState("");
  const [tried, setTried] = useState(false);
  const [done, setDone] = useState(false);
  const change = useMutation(trpc.account.changePassword.mutationOptions());

  const tooShort = fresh.length > 0 && fresh.length < MIN;
  const mismatch = repeat.length > 0 && repeat !== fresh;
  const same = fresh.length > 0 && fresh === current;
  const problem = fresh.length < MIN ? `The new password needs at least ${MIN} characters.` : same ? "Choose a password different from the current one." : repeat !== fresh ? "The two new passwords differ: type the same one twice." : null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (problem) return;
    change.mutate(
      { current, next: fresh },
      {
        onSuccess: () => {
          setDone(true);
          setCurrent("");
          setFresh("");
          setRepeat("");
          setTried(false);
          void queryClient.invalidateQueries({ queryKey: trpc.account.me.queryKey() }).then(() => forced && router.replace(safeNext(next)));
        },
      },
    );
  };

  return (
    <>
      <TopBar />
      <main className="page narrow-page">
        <form className="card stack password-card" onSubmit={submit} aria-labelledby="password-title" noValidate>
          <div>
            <h1 id="password-title">{forced ? "Choose your own password" : "Change password"}</h1>
            <p className="muted no-margin">
              {forced
                ? "You signed in with a one-time password from an admin. Choose your own to go on: nothing else opens until you do."
                : `Signed in as ${me.data?.username ?? "…"}. Other signed-in browsers stay signed in.`}
            </p>
          </div>
          <label className="field">
            {forced ? "One-time password" : "Current password"}
            <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required autoFocus />
          </label>
          <label className="field">
            <span>
              New password <span className="hint">(at least {MIN} characters)</span>
            </span>
            <input
              type="password"
              autoComplete="new-password"
              value={fresh}
              onChange={(e) => setFresh(e.target.value)}
              required
              minLength={MIN}
              maxLength={256}
              aria-invalid={(tried || tooShort) && fresh.length < MIN ? true : undefined}
              aria-describedby="new-password-hint"
            />
            <span id="new-password-hint" className={`hint ${tooShort ? "bad" : ""}`}>
              {tooShort ? `${MIN - fresh.length} more ${MIN - fresh.length === 1 ? "character" : "characters"} needed` : "A few unrelated words make a strong password."}
            </span>
          </label>
          <label className="field">
            Repeat the new password
            <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required aria-invalid={mismatch ? true : undefined} />
            {mismatch && <span className="hint bad">Not the same as the new password yet.</span>}
          </label>
          {tried && problem && (
            <div className="notice error" role="alert">
              {problem}
            </div>
          )}
          {change.error && (
            <div className="notice error" role="alert">
              {errorSentence(change.error)}
            </div>
          )}
          {done && !forced && (
            <div className="notice info" role="status">
              ✓ Your password is changed. Use the new one next time you sign in.
            </div>
          )}
          <div className="row">
            <button className="btn primary" disabled={change.isPending}>
              {change.isPending ? "Saving…" : forced ? "Save and continue" : "Change password"}
            </button>
            {forced && (
              <button type="button" className="btn ghost" onClick={() => void signOut()}>
                Sign out
              </button>
            )}
          </div>
        </form>
      </main>
    </>
  );
}
