"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useConfirm } from "~/components/ui/confirm";
import type { Me } from "~/components/ui/session";
import { AdminFrame, PageHead } from "./AdminFrame";
import { AdminTable, Flag } from "./AdminTable";
import { NameField } from "./fields";
import { KeyIcon } from "./icons";
import { ShownOnce } from "./ShownOnce";

/** A user as listed, with the user name always set (accounts made outside Flightdeck may lack one: their name stands in). */
type User = Omit<RouterOutputs["users"]["list"][number], "username"> & { username: string };

const USERNAME = /^[a-z0-9][a-z0-9_.-]{1,31}$/;

/** Server admins manage accounts: create (with a one-time password), reset a password, admin rights, disable. */
export function UsersView() {
  return <AdminFrame title="Users" admin>{(me) => <Users me={me} />}</AdminFrame>;
}

function Users({ me }: { me: Me }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const [secret, setSecret] = useState<{ username: string; password: string; reason: "created" | "reset" } | null>(null);
  const { ask, dialog } = useConfirm();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: refresh }));
  const reset = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: refresh }));

  const list: User[] = (users.data ?? []).map((u) => ({ ...u, username: u.username ?? u.name }));
  const admins = list.filter((u) => u.isAdmin && !u.disabled).length;

  const confirmReset = (u: User) =>
    ask({
      title: `Reset the password of ${u.username}?`,
      body: (
        <>
          <p>
            {u.username} gets a new one-time password, to be changed at the next sign-in. Their current password stops working and they are signed out
            everywhere now.
          </p>
          <p className="muted">API tokens they made keep working.</p>
        </>
      ),
      confirmLabel: "Reset password",
      danger: true,
      run: async () => {
        const r = await reset.mutateAsync({ id: u.id });
        setSecret({ username: u.username, password: r.oneTimePassword, reason: "reset" });
      },
    });

  const confirmAdmin = (u: User) =>
    u.isAdmin
      ? ask({
          title: `Remove server admin rights from ${u.username}?`,
          body: <p>They keep the roles they were given on each site, and lose everything else: other sites, users, kiosk boards, the full audit log.</p>,
          confirmLabel: "Remove admin rights",
          danger: true,
          run: () => update.mutateAsync({ id: u.id, isAdmin: false }),
        })
      : ask({
          title: `Make ${u.username} a server admin?`,
          body: <p>A server admin is admin on every site and manages users, kiosk boards and every token. Give this to few people.</p>,
          confirmLabel: "Make server admin",
          run: () => update.mutateAsync({ id: u.id, isAdmin: true }),
        });

  const confirmDisable = (u: User) =>
    u.disabled
      ? ask({
          title: `Enable ${u.username}?`,
          body: <p>They can sign in again with their password, and their API tokens work again.</p>,
          confirmLabel: "Enable",
          run: () => update.mutateAsync({ id: u.id, disabled: false }),
        })
      : ask({
          title: `Disable ${u.username}?`,
          body: (
            <>
              <p>They are signed out everywhere now and cannot sign in; their API tokens stop working. Their name stays on revisions, runs and the audit log.</p>
              <p className="muted">You can enable the account again later.</p>
            </>
          ),
          confirmLabel: "Disable account",
          danger: true,
          run: () => update.mutateAsync({ id: u.id, disabled: true }),
        });

  return (
    <>
      <PageHead title="Users">
        People who can sign in. Server admins manage everything; everyone else gets a role per site from that site&apos;s admins (the site&apos;s Members tab).
      </PageHead>
      {secret && (
        <ShownOnce
          title={secret.reason === "created" ? `One-time password for ${secret.username}` : `New one-time password for ${secret.username}`}
          value={secret.password}
          valueLabel={`One-time password for ${secret.username}`}
          onDone={() => setSecret(null)}
          testId="one-time-password"
        >
          <p className="muted">
            Give it to {secret.username} in person or over a private channel. It works for one sign-in: Flightdeck then asks them to choose their own password.
          </p>
        </ShownOnce>
      )}
      <CreateUser onCreated={(username, password) => (setSecret({ username, password, reason: "created" }), void refresh())} />
      <section className="card" aria-labelledby="users-title">
        <div className="adm-card-head">
          <h2 id="users-title">All users</h2>
          {users.data && <span className="badge">{list.length}</span>}
        </div>
        {users.error && (
          <div className="notice error" role="alert">
            Could not load users: {errorMessage(users.error)}
          </div>
        )}
        {users.isPending && <p className="muted">Loading…</p>}
        {users.data && (
          <AdminTable columns={["User", "Status", "Created"]} actions testId="users-table">
            {list.map((u) => {
              const self = u.username === me.username;
              const lastAdmin = u.isAdmin && !u.disabled && admins <= 1;
              return (
                <tr key={u.id} data-testid={`user-${u.username}`} className={u.disabled ? "adm-dim" : undefined}>
                  <td>
                    <div className="adm-who">
                      <span className="mono">
                        {u.username} {self && <span className="badge accent">you</span>}
                      </span>
                      {u.name && u.name !== u.username && <span className="muted">{u.name}</span>}
                    </div>
                  </td>
                  <td>
                    <div className="adm-flags">
                      {u.isAdmin && (
                        <Flag tone="accent" icon="★" testId="flag-admin">
                          server admin
                        </Flag>
                      )}
                      {u.disabled ? (
                        <Flag tone="error" icon="⊘" testId="flag-disabled">
                          disabled
                        </Flag>
                      ) : (
                        <Flag tone="ok" icon="✓">
                          active
                        </Flag>
                      )}
                      {u.mustChangePassword && !u.disabled && (
                        <Flag tone="warn" icon={<KeyIcon />} title="Signed in with a one-time password: must choose a new one at the next sign-in" testId="flag-must-change">
                          must change password
                        </Flag>
                      )}
                    </div>
                  </td>
                  <td className="adm-when">
                    <RelativeTime date={u.createdAt} />
                  </td>
                  <td className="adm-actions">
                    <div className="row">
                      <button
                        type="button"
                        className="btn small"
                        onClick={() => confirmReset(u)}
                        disabled={u.disabled || self}
                        title={self ? "Change your own password from your account menu" : u.disabled ? "Enable the account first" : undefined}
                        aria-label={`Reset the password of ${u.username}`}
                      >
                        Reset password…
                      </button>
                      <button
                        type="button"
                        className="btn small"
                        onClick={() => confirmAdmin(u)}
                        disabled={self || u.disabled || lastAdmin}
                        title={self ? "Ask another admin to change your own rights" : lastAdmin ? "The last server admin keeps the rights" : undefined}
                        aria-label={u.isAdmin ? `Remove server admin rights from ${u.username}` : `Make ${u.username} a server admin`}
                      >
                        {u.isAdmin ? "Remove admin…" : "Make admin…"}
                      </button>
                      <button
                        type="button"
                        className={`btn small${u.disabled ? "" : " adm-danger-ghost"}`}
                        onClick={() => confirmDisable(u)}
                        disabled={self}
                        title={self ? "You cannot disable yourself" : undefined}
                        aria-label={u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
                      >
                        {u.disabled ? "Enable…" : "Disable…"}
                      </button>
                    </div>
                  </td>
                </tr>
              );
            })}
          </AdminTable>
        )}
      </section>
      {dialog}
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: (username: string, password: string) => void }) {
  const trpc = useTRPC();
  const [username, setUsername] = useState("");
  const [name, setName] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const create = useMutation(trpc.users.create.mutationOptions());
  const normalized = username.trim().toLowerCase();
  const invalid = normalized !== "" && !USERNAME.test(normalized);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { username: normalized, name: name.trim(), isAdmin },
      {
        onSuccess: (r) => {
          setUsername("");
          setName("");
          setIsAdmin(false);
          onCreated(r.username, r.oneTimePassword ?? "");
        },
      },
    );
  };

  return (
    <form className="card adm-form" onSubmit={submit} aria-labelledby="new-user-title">
      <div>
        <h2 id="new-user-title">New user</h2>
        <p className="muted adm-sub">Flightdeck makes a one-time password for the first sign-in; you see it once, here.</p>
      </div>
      <div className="adm-fields">
        <NameField label="User name" rule="2–32 lower-case letters, digits, “.”, “_” or “-”" value={username} onChange={setUsername} valid={!invalid} placeholder="jane" />
        <label className="field">
          <span>
            Full name <span className="hint">(optional)</span>
          </span>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Jane Doe" autoComplete="off" maxLength={100} />
        </label>
      </div>
      <label className="adm-check">
        <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} />
        <span>
          Server admin
          <span className="hint">Admin on every site; manages users, kiosk boards and all tokens.</span>
        </span>
      </label>
      {create.error && (
        <div className="notice error" role="alert">
          {errorMessage(create.error)}
        </div>
      )}
      <div>
        <button className="btn primary" disabled={!normalized || invalid || create.isPending}>
          {create.isPending ? "Creating…" : "Create user"}
        </button>
      </div>
    </form>
  );
}
