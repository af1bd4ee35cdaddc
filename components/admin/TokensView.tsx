"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { useConfirm } from "~/components/ui/confirm";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import { useRoles, type Me, type Role } from "~/components/ui/session";
import { AdminFrame, PageHead } from "./AdminFrame";
import { AdminTable } from "./AdminTable";
import { PickOne, RolePicker } from "./fields";
import { CopyField, ShownOnce } from "./ShownOnce";

export type Token = RouterOutputs["tokens"]["list"][number];

const PROJECT_SCOPE = "project:";

const EXPIRY = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 0, label: "Never" },
];

/** Personal API tokens: made here (shown once), listed by prefix, revoked here. */
export function TokensView() {
  return <AdminFrame title="API tokens">{(me) => <Tokens me={me} />}</AdminFrame>;
}

function Tokens({ me }: { me: Me }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [created, setCreated] = useState<{ token: string; site: string; name: string } | null>(null);
  const api = tokens.data?.filter((t) => t.kind === "api") ?? [];
  const kiosk = tokens.data?.filter((t) => t.kind === "kiosk") ?? [];

  return (
    <>
      <PageHead title="API tokens">
        A token lets a script or the <code>flightdeck</code> command act as you on one site, or on every site of a project, with at most your role there. Revoke it when it is no longer needed.
      </PageHead>
      {created && <CreatedToken {...created} onDone={() => setCreated(null)} />}
      <CreateToken onCreated={setCreated} />
      <section className="card" aria-labelledby="tokens-title">
        <div className="adm-card-head">
          <h2 id="tokens-title">{me.isAdmin ? "All API tokens" : "Your API tokens"}</h2>
          {tokens.data && <span className="badge">{api.length}</span>}
        </div>
        {me.isAdmin && <p className="muted adm-sub">As a server admin you see everyone&apos;s tokens and can revoke any of them.</p>}
        {tokens.error && (
          <div className="notice error" role="alert">
            Could not load tokens: {errorMessage(tokens.error)}
          </div>
        )}
        {tokens.data && <TokenTable tokens={api} showOwner={me.isAdmin} empty="No API tokens yet. Create one above." testId="tokens-table" />}
      </section>
      {me.isAdmin && kiosk.length > 0 && (
        <section className="card" aria-labelledby="kiosk-tokens-title">
          <div className="adm-card-head">
            <h2 id="kiosk-tokens-title">Kiosk tokens</h2>
            <span className="badge">{kiosk.length}</span>
          </div>
          <p className="muted adm-sub">
            Each opens one wall board and reads nothing else. New ones are made on <a href="/admin/boards">Kiosk boards</a>.
          </p>
          <TokenTable tokens={kiosk} showOwner empty="" testId="kiosk-tokens-table" />
        </section>
      )}
    </>
  );
}

/** The state of a token in words: active, expires soon, expired, revoked. */
function tokenState(t: Token, now: number): { tone: "ok" | "warn" | "error" | ""; icon: string; label: string } {
  if (t.revokedAt) return { tone: "", icon: "⊘", label: "revoked" };
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= now) return { tone: "error", icon: "✕", label: "expired" };
  if (t.expiresAt && new Date(t.expiresAt).getTime() - now < 7 * 86_400_000) return { tone: "warn", icon: "◷", label: "expires soon" };
  return { tone: "ok", icon: "✓", label: "active" };
}

export function TokenTable({ tokens, showOwner, showTarget = true, empty, testId }: { tokens: Token[]; showOwner: boolean; showTarget?: boolean; empty: string; testId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }) }));
  const { ask, dialog } = useConfirm();
  const [now, setNow] = useState(0);
  useEffect(() => setNow(Date.now()), [tokens]);

  if (!tokens.length) return empty ? <p className="adm-empty">{empty}</p> : null;
  const kiosk = tokens[0]?.kind === "kiosk";

  const confirmRevoke = (t: Token) =>
    ask({
      title: `Revoke the token “${t.name}”?`,
      body: (
        <>
          <p>
            Anything using <code>{t.prefix}…</code> is refused from now on{kiosk ? `: the wall screen of board ${t.board ?? ""} shows that it needs a new token` : ""}. This cannot be
            undone; make a new token if it is needed again.
          </p>
        </>
      ),
      confirmLabel: "Revoke token",
      danger: true,
      run: () => revoke.mutateAsync({ id: t.id }),
    });

  return (
    <>
      <AdminTable columns={["Name", "Token", showOwner && "Owner", showTarget && (kiosk ? "Board" : "Site · role"), "Created", "Last used", "Expires", "State"]} actions testId={testId}>
        {tokens.map((t) => {
          const state = tokenState(t, now || Date.parse(t.createdAt));
          return (
            <tr key={t.id} data-testid={`token-${t.name}`} className={t.revokedAt ? "adm-dim" : undefined}>
              <td>
                <strong>{t.name}</strong>
              </td>
              <td className="mono adm-prefix" title="The first characters of the token; the rest is never shown again">
                {t.prefix}…
              </td>
              {showOwner && <td className="mono">{t.owner}</td>}
              {showTarget && (
                <td>
                  {kiosk ? (
                    <span className="mono">{t.board}</span>
                  ) : (
                    <>
                      {t.project ? <span title="Every site of this project">project <span className="mono">{t.project}</span></span> : <span className="mono">{t.site}</span>}{" "}
                      <span className="badge">{t.role}</span>
                    </>
                  )}
                </td>
              )}
              <td className="adm-when">
                <RelativeTime date={t.createdAt} />
              </td>
              <td className="adm-when">{t.lastUsedAt ? <RelativeTime date={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
              <td className="adm-when">{t.expiresAt ? <RelativeTime date={t.expiresAt} /> : <span className="muted">never</span>}</td>
              <td>
                {t.revokedAt ? (
                  <span className="badge" data-testid="token-state" data-state="revoked" title={new Date(t.revokedAt).toLocaleString()}>
                    <span aria-hidden="true">⊘</span> revoked <RelativeTime date={t.revokedAt} />
                  </span>
                ) : (
                  <span className={`badge ${state.tone}`} data-testid="token-state" data-state={state.label}>
                    <span aria-hidden="true">{state.icon}</span> {state.label}
                  </span>
                )}
              </td>
              <td className="adm-actions">
                {!t.revokedAt && (
                  <button type="button" className="btn small adm-danger-ghost" onClick={() => confirmRevoke(t)} aria-label={`Revoke the token ${t.name}`}>
                    Revoke…
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </AdminTable>
      {dialog}
    </>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: { token: string; site: string; name: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sites = useQuery(trpc.sites.list.queryOptions());
  const projects = useQuery(trpc.projects.list.queryOptions());
  const roles = useRoles();
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() }) }));
  const [name, setName] = useState("");
  const [site, setSite] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [days, setDays] = useState(90);

  const usable = (sites.data ?? []).filter((s) => s.role);
  // A project scope is `project:<slug>` (site ids hold no ':'): the token acts on every site of the project.
  const usableProjects = (projects.data ?? []).filter((p) => p.role);
  const project = site.startsWith(PROJECT_SCOPE) ? site.slice(PROJECT_SCOPE.length) : undefined;
  const held = (project !== undefined ? usableProjects.find((p) => p.slug === project)?.role : usable.find((s) => s.slug === site)?.role) ?? undefined;
  const order = roles.data?.map((r) => r.role) ?? [];
  useEffect(() => {
    if (!site && usable.length === 1) setSite(usable[0]!.slug);
  }, [site, usable]);
  // Never more than the role held on the chosen site.
  useEffect(() => {
    if (held && order.indexOf(role) > order.indexOf(held)) setRole(held);
  }, [held, role, order]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), ...(project !== undefined ? { project } : { site }), role, expiresInDays: days || undefined },
      {
        onSuccess: (r) => {
          onCreated({ token: r.token, site: project !== undefined ? "SITE" : site, name: name.trim() });
          setName("");
        },
      },
    );
  };

  return (
    <form className="card adm-form" onSubmit={submit} aria-labelledby="new-token-title">
      <h2 id="new-token-title">New API token</h2>
      {sites.data && !usable.length ? (
        <p className="muted" style={{ margin: 0 }}>
          You have no role on any site yet, so a token could do nothing. Ask a site admin to add you.
        </p>
      ) : (
        <>
          <div className="adm-fields">
            <label className="field">
              Name
              <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="CI deploy job" required maxLength={100} autoComplete="off" data-testid="token-name" />
              <span className="hint">What uses it, to recognise it later.</span>
            </label>
            <PickOne
              label="Site or project"
              prompt="Choose a site or a project…"
              value={site}
              onChange={setSite}
              options={[
                ...usable.map((s) => ({ value: s.slug, label: `${s.name} (${s.slug}) · you are ${s.role}` })),
                ...usableProjects.map((p) => ({ value: `${PROJECT_SCOPE}${p.slug}`, label: `Project ${p.name} (${p.slug}), every site · you are ${p.role}` })),
              ]}
              testId="token-site"
            />
            <label className="field">
              Expires after
              <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="token-expiry">
                {EXPIRY.map((x) => (
                  <option key={x.days} value={x.days}>
                    {x.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {roles.data && <RolePicker roles={roles.data} value={role} onChange={setRole} max={held} legend={held ? `Role (at most yours on this ${project !== undefined ? "project" : "site"}: ${held})` : "Role"} />}
          {create.error && (
            <div className="notice error" role="alert">
              {errorMessage(create.error)}
            </div>
          )}
          <div>
            <button className="btn primary" disabled={!name.trim() || !site || create.isPending} data-testid="token-create">
              {create.isPending ? "Creating…" : "Create token"}
            </button>
          </div>
        </>
      )}
    </form>
  );
}

function CreatedToken({ token, site, name, onDone }: { token: string; site: string; name: string; onDone: () => void }) {
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  return (
    <ShownOnce title={`Token “${name}”`} value={token} valueLabel={`The token ${name}`} onDone={onDone} testId="new-token">
      <h3>Use it with the command line</h3>
      <CopyField multiline label="Command line example" value={`FLIGHTDECK_TOKEN=${token} npx flightdeck launch ${site} --server ${origin}`} testId="usage-cli" />
      <h3>…or the REST API</h3>
      <CopyField multiline label="curl example" value={`curl -H "Authorization: Bearer ${token}" ${origin}/api/v1/sites`} testId="usage-curl" />
      <p className="muted">Keep it out of scripts you commit: pass it from your CI&apos;s secret store as an environment variable.</p>
    </ShownOnce>
  );
}
