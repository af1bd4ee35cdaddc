"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "~/components/trpc/react";
import { useAuthor } from "~/components/ui/author";
import { errorMessage } from "~/components/ui/errors";
import { useWorkspace } from "./workspace";

/**
 * The site's secrets: key names with masked values. A value is sent to the server to be encrypted and never
 * comes back unless the user reveals that one value.
 */
export function SecretsView() {
  const w = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [author] = useAuthor();
  const list = useQuery(trpc.secrets.list.queryOptions({ slug: w.slug }));
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const refresh = () => queryClient.invalidateQueries();
  const set = useMutation(trpc.secrets.set.mutationOptions({ onSuccess: refresh, onError: (e) => setError(errorMessage(e)) }));
  const reveal = useMutation(trpc.secrets.reveal.mutationOptions({ onError: (e) => setError(errorMessage(e)) }));
  const data = list.data;
  const who = author || "unknown";

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!data) return;
    setError(null);
    set.mutate({ slug: w.slug, baseRevision: data.revision, key: key.trim(), value, author: who }, { onSuccess: () => (setKey(""), setValue("")) });
  };

  return (
    <main className="page stack secrets-view">
      <div>
        <h1>Secrets</h1>
        <p className="muted">
          {data?.path ? <code>{data.path}</code> : "secrets.yml"} is a sops file encrypted to age recipients: key names stay readable, values are
          encrypted. Reference a value from any data as <code>secret:KEY</code>; it is decrypted only when a step that uses it runs.
        </p>
      </div>
      {error && (
        <div className="notice error" role="alert">
          {error}
        </div>
      )}
      {data?.server.locked && <Unlock onDone={() => void refresh()} />}
      <section className="card">
        <h2>Values</h2>
        {data && !data.keys.length && <p className="muted">No secrets yet. Add one below.</p>}
        {!!data?.keys.length && (
          <table className="grid">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th className="actions-col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.keys.map((k) => (
                <tr key={k} data-key={k}>
                  <td className="mono">{k}</td>
                  <td className="mono">{k in revealed ? revealed[k] : <span aria-label="hidden value">••••••••</span>}</td>
                  <td className="actions-col">
                    <div className="row">
                    {k in revealed ? (
                      <button className="btn small" onClick={() => setRevealed(({ [k]: _, ...rest }) => rest)}>
                        Hide
                      </button>
                    ) : (
                      <button
                        className="btn small"
                        onClick={() => reveal.mutate({ slug: w.slug, key: k }, { onSuccess: (r) => setRevealed((v) => ({ ...v, [k]: r.value })) })}
                      >
                        Reveal
                      </button>
                    )}
                    <button className="btn small" onClick={() => setKey(k)}>
                      Change
                    </button>
                    <button
                      className="btn small"
                      onClick={() => window.confirm(`Remove the secret '${k}'? Steps that reference it will fail.`) && set.mutate({ slug: w.slug, baseRevision: data.revision, key: k, value: null, author: who })}
                    >
                      Remove
                    </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <form className="card stack" onSubmit={save}>
        <h2>{data?.keys.includes(key.trim()) ? `Change ${key.trim()}` : "Add a secret"}</h2>
        <div className="row wrap">
          <label className="field grow">
            Key
            <input type="text" value={key} onChange={(e) => setKey(e.target.value)} placeholder="db.password" required autoComplete="off" />
          </label>
          <label className="field grow">
            Value
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="new-password" />
          </label>
        </div>
        <div>
          <button className="btn primary" disabled={set.isPending || !key.trim() || !value || !data || data.server.locked}>
            {set.isPending ? "Encrypting…" : "Save"}
          </button>
        </div>
      </form>
      <section className="card">
        <h2>Recipients</h2>
        <p className="muted">Who can decrypt this file. Change them with <code>flightdeck secrets recipients</code>; the server&apos;s key is needed here.</p>
        <ul className="mono">
          {(data?.recipients.length ? data.recipients : data?.server.recipients ?? []).map((r) => (
            <li key={r}>
              {r} {data?.server.recipients.includes(r) && <span className="badge accent">this server</span>}
            </li>
          ))}
        </ul>
      </section>
      <style>{`
        .secrets-view { overflow: auto; }
        .actions-col { width: 1%; white-space: nowrap; gap: 6px; }
        .secrets-view ul { margin: 0; padding-left: 18px; overflow-wrap: anywhere; }
      `}</style>
    </main>
  );
}

/** The server's identity file is passphrase-protected and still locked: the passphrase unlocks it in memory. */
function Unlock({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const [passphrase, setPassphrase] = useState("");
  const unlock = useMutation(trpc.secrets.unlock.mutationOptions({ onSuccess: () => (setPassphrase(""), onDone()) }));
  return (
    <form
      className="notice warn stack"
      onSubmit={(e) => {
        e.preventDefault();
        unlock.mutate({ passphrase });
      }}
    >
      <span>The server&apos;s age identity is locked. Enter the passphrase your team shares to unlock it (or start the server with FLIGHTDECK_AGE_PASSPHRASE).</span>
      <div className="row">
        <input type="password" aria-label="Passphrase" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" required />
        <button className="btn primary" disabled={!passphrase || unlock.isPending}>
          Unlock
        </button>
      </div>
      {unlock.error && <span role="alert">{errorMessage(unlock.error)}</span>}
    </form>
  );
}
