"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage, errorSentence } from "~/components/ui/errors";
import { useMe } from "~/components/ui/session";
import { useWorkspace } from "./workspace";

/**
 * The site's secrets: key names with masked values. A value is sent to the server to be encrypted and never
 * comes back unless the user reveals that one value.
 */
export function SecretsView() {
  const w = useWorkspace();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const list = useQuery(trpc.secrets.list.queryOptions({ slug: w.slug }));
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const refresh = () => queryClient.invalidateQueries();
  const set = useMutation(trpc.secrets.set.mutationOptions({ onSuccess: refresh, onError: (e) => setError(errorSentence(e)) }));
  const reveal = useMutation(trpc.secrets.reveal.mutationOptions({ onError: (e) => setError(errorSentence(e)) }));
  const data = list.data;
  // What the role allows (the server checks it again): operators change values, site admins reveal them.
  const canEdit = w.can("operator");
  const canReveal = w.can("admin");
  const hasActions = canEdit || canReveal;

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!data) return;
    setError(null);
    set.mutate({ slug: w.slug, baseRevision: data.revision, key: key.trim(), value }, { onSuccess: () => (setKey(""), setValue("")) });
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
      {list.error && (
        <div className="notice error" role="alert">
          Could not read the secrets file: {errorMessage(list.error)}
        </div>
      )}
      {data?.server.locked &&
        (me.data?.isAdmin ? (
          <Unlock onDone={() => void refresh()} />
        ) : (
          <div className="notice warn" role="status">
            The server&apos;s age identity is locked, so values can be neither set nor revealed. A server admin unlocks it here, or the server is restarted with FLIGHTDECK_AGE_PASSPHRASE.
          </div>
        ))}
      <section className="card">
        <h2>Values</h2>
        {data && !data.keys.length && <p className="muted">{canEdit ? "No secrets yet. Add one below." : "No secrets yet."}</p>}
        {!!data?.keys.length && !canReveal && <p className="muted small-note">Values stay masked: only a site admin can reveal one.</p>}
        {!!data?.keys.length && (
          <table className="grid">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                {hasActions && (
                  <th className="actions-col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {data.keys.map((k) => (
                <tr key={k} data-key={k}>
                  <td className="mono">{k}</td>
                  <td className="mono">{k in revealed ? revealed[k] : <span aria-label="hidden value">••••••••</span>}</td>
                  {hasActions && (
                    <td className="actions-col">
                      <div className="row">
                        {canReveal &&
                          (k in revealed ? (
                            <button className="btn small" onClick={() => setRevealed(({ [k]: _, ...rest }) => rest)}>
                              Hide
                            </button>
                          ) : (
                            <button
                              className="btn small"
                              disabled={reveal.isPending}
                              onClick={() => reveal.mutate({ slug: w.slug, key: k }, { onSuccess: (r) => setRevealed((v) => ({ ...v, [k]: r.value })) })}
                            >
                              Reveal
                            </button>
                          ))}
                        {canEdit && (
                          <>
                            <button className="btn small" onClick={() => setKey(k)}>
                              Change
                            </button>
                            <button
                              className="btn small"
                              onClick={() => window.confirm(`Remove the secret '${k}'? Steps that reference it will fail.`) && set.mutate({ slug: w.slug, baseRevision: data.revision, key: k, value: null })}
                            >
                              Remove
                            </button>
                          </>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {canEdit && (
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
      )}
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
        .small-note { font-size: 13px; margin: 0 0 8px; }
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
      {unlock.error && <span role="alert">{errorSentence(unlock.error)}</span>}
    </form>
  );
}
