"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { useConfirm } from "~/components/ui/confirm";
import { errorMessage } from "~/components/ui/errors";
import { useMe, useRoles, type Role } from "~/components/ui/session";
import { PageHead } from "./AdminFrame";
import { AdminTable, Flag } from "./AdminTable";
import { PickOne, RolePicker } from "./fields";
import "./admin.css";

type Member = RouterOutputs["members"]["list"]["members"][number];
type Roles = RouterOutputs["members"]["roles"];

/** A site's members and their roles, and the site's approval setting; for the site's admins. Lives in the site frame. */
export function MembersView({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const site = useQuery(trpc.sites.get.queryOptions({ slug }));
  const role = site.data?.role;
  const isAdmin = site.data?.role === "admin";
  const members = useQuery({ ...trpc.members.list.queryOptions({ slug }), enabled: isAdmin });
  const roles = useRoles();

  return (
    <main className="page stack adm-page in-site" data-testid="members-view">
      <PageHead title="Members">
        Who can do what on this site. Server admins are admins on every site without being listed here.
        {site.data?.project && (
          <>
            {" "}
            The members of its project <code data-testid="site-project">{site.data.project}</code> have their project role here too: a role given here can add to
            theirs, never lower it.
          </>
        )}
      </PageHead>
      {site.isPending && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {site.error && (
        <div className="notice error" role="alert">
          {errorMessage(site.error)}
        </div>
      )}
      {site.data && !isAdmin && (
        <div className="card stack" role="status">
          <h2>Only the site&apos;s admins manage members</h2>
          <p className="muted" style={{ margin: 0 }}>
            You are <strong>{role ?? "not a member"}</strong> here. Ask an admin of this site if you need another role.
          </p>
        </div>
      )}
      {site.data && !isAdmin && <LocalExecution slug={slug} enabled={site.data.localExecution} />}
      {site.data && isAdmin && (
        <>
          <MemberList slug={slug} data={members.data} error={members.error} roles={roles.data} />
          {members.data && roles.data && <AddMember slug={slug} data={members.data} roles={roles.data} />}
          <Approvals slug={slug} current={site.data.approvalsRequired} />
          <ParallelRuns slug={slug} current={site.data.parallelRuns} />
          <LocalExecution slug={slug} enabled={site.data.localExecution} />
          {roles.data && <RoleGuide roles={roles.data} />}
        </>
      )}
    </main>
  );
}

function useRefresh(slug: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.members.list.queryKey({ slug }) });
}

function MemberList({ slug, data, error, roles }: { slug: string; data: RouterOutputs["members"]["list"] | undefined; error: unknown; roles: Roles | undefined }) {
  const trpc = useTRPC();
  const refresh = useRefresh(slug);
  const set = useMutation(trpc.members.set.mutationOptions({ onSuccess: refresh }));
  const [failed, setFailed] = useState<string | null>(null);
  const { ask, dialog } = useConfirm();

  const change = (m: Member, role: Role) => {
    setFailed(null);
    set.mutate({ slug, userId: m.userId, role }, { onError: (e) => setFailed(`Could not change the role of ${m.username}: ${errorMessage(e)}`) });
  };
  const remove = (m: Member) =>
    ask({
      title: `Remove ${m.username} from this site?`,
      body: (
        <p>
          {m.username} loses the <strong>{m.role}</strong> role here{m.isAdmin ? " (as a server admin they keep full access anyway)" : ", and their API tokens for this site stop working"}.
        </p>
      ),
      confirmLabel: "Remove member",
      danger: true,
      run: () => set.mutateAsync({ slug, userId: m.userId, role: null }),
    });

  return (
    <section className="card" aria-labelledby="members-title">
      <div className="adm-card-head">
        <h2 id="members-title">Members</h2>
        {data && <span className="badge">{data.members.length}</span>}
      </div>
      {error !== null && error !== undefined && (
        <div className="notice error" role="alert">
          Could not load members: {errorMessage(error)}
        </div>
      )}
      {failed && (
        <div className="notice error" role="alert">
          {failed}
        </div>
      )}
      {data && !data.members.length && <p className="adm-empty">No members yet. Add someone below.</p>}
      {data && data.members.length > 0 && (
        <AdminTable columns={["User", "Role", "What they can do"]} actions testId="members-table">
          {data.members.map((m) => (
            <tr key={m.userId} data-testid={`member-${m.username}`} className={m.disabled ? "adm-dim" : undefined}>
              <td>
                <div className="adm-who">
                  <span className="mono">{m.username}</span>
                  {m.name && m.name !== m.username && <span className="muted">{m.name}</span>}
                </div>
                <div className="adm-flags">
                  {m.isAdmin && (
                    <Flag tone="accent" icon="★" title="Server admins hold the admin role on every site">
                      server admin
                    </Flag>
                  )}
                  {m.disabled && (
                    <Flag tone="error" icon="⊘">
                      disabled
                    </Flag>
                  )}
                </div>
              </td>
              <td>
                <select
                  className="adm-role-select"
                  value={m.role}
                  onChange={(e) => change(m, e.target.value as Role)}
                  aria-label={`Role of ${m.username}`}
                  disabled={set.isPending || !roles}
                  data-testid={`role-${m.username}`}
                >
                  {(roles ?? [{ role: m.role, description: "" }]).map((r) => (
                    <option key={r.role} value={r.role}>
                      {r.role.charAt(0).toUpperCase() + r.role.slice(1)}
                    </option>
                  ))}
                </select>
              </td>
              <td className="muted">{roles?.find((r) => r.role === m.role)?.description}</td>
              <td className="adm-actions">
                <button type="button" className="btn small adm-danger-ghost" onClick={() => remove(m)} aria-label={`Remove ${m.username} from this site`}>
                  Remove…
                </button>
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
      {dialog}
    </section>
  );
}

function AddMember({ slug, data, roles }: { slug: string; data: RouterOutputs["members"]["list"]; roles: Roles }) {
  const trpc = useTRPC();
  const refresh = useRefresh(slug);
  const set = useMutation(trpc.members.set.mutationOptions({ onSuccess: refresh }));
  const listed = new Set(data.members.map((m) => m.userId));
  const candidates = data.users.filter((u) => !listed.has(u.id));
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [added, setAdded] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const who = candidates.find((u) => u.id === userId);
    set.mutate(
      { slug, userId, role },
      {
        onSuccess: () => {
          setAdded(`${who?.username ?? "The user"} is now ${role} on this site.`);
          setUserId("");
          setRole("viewer");
        },
      },
    );
  };

  return (
    <form className="card adm-form" onSubmit={submit} aria-labelledby="add-member-title">
      <h2 id="add-member-title">Add a member</h2>
      {candidates.length === 0 ? (
        <p className="muted" style={{ margin: 0 }}>
          Every user already has a role here. A server admin creates new users under <Link href="/admin/users">Users</Link>.
        </p>
      ) : (
        <>
          <PickOne
            label="User"
            prompt="Choose a user…"
            value={userId}
            onChange={setUserId}
            options={candidates.map((u) => ({ value: u.id, label: `${u.username}${u.name && u.name !== u.username ? ` (${u.name})` : ""}${u.isAdmin ? " · server admin" : ""}` }))}
            className="adm-narrow"
            testId="add-member-user"
          />
          <RolePicker roles={roles} value={role} onChange={setRole} legend="Role" />
          {set.error && (
            <div className="notice error" role="alert">
              {errorMessage(set.error)}
            </div>
          )}
          {added && !set.error && (
            <div className="notice info" role="status">
              {added}
            </div>
          )}
          <div>
            <button className="btn primary" disabled={!userId || set.isPending} data-testid="add-member-submit">
              {set.isPending ? "Adding…" : "Add member"}
            </button>
          </div>
        </>
      )}
    </form>
  );
}

type NumericSetting = "approvalsRequired" | "parallelRuns";

/** One numeric site setting in its own small form: saved on its own, audited on its own. */
function SiteNumber({
  slug,
  field,
  current,
  title,
  label,
  min,
  max,
  explain,
}: {
  slug: string;
  field: NumericSetting;
  current: number;
  title: string;
  label: string;
  min: number;
  max: number;
  explain: (n: number | null) => ReactNode;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState(String(current));
  const [saved, setSaved] = useState(false);
  useEffect(() => setValue(String(current)), [current]);
  const save = useMutation(
    trpc.sites.settings.mutationOptions({
      onSuccess: () => {
        setSaved(true);
        void queryClient.invalidateQueries({ queryKey: trpc.sites.get.queryKey({ slug }) });
      },
    }),
  );
  const n = Number(value);
  const valid = value.trim() !== "" && Number.isInteger(n) && n >= min && n <= max;
  const id = field === "approvalsRequired" ? "approvals" : "parallel-runs";

  return (
    <form
      className="card"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        setSaved(false);
        save.mutate({ slug, [field]: n });
      }}
    >
      <h2 id={`${id}-title`}>{title}</h2>
      <label className="adm-approvals-label" htmlFor={`${id}-value`}>
        {label}
      </label>
      <div className="adm-approvals">
        <input
          id={`${id}-value`}
          type="number"
          min={min}
          max={max}
          step={1}
          value={value}
          onChange={(e) => (setValue(e.target.value), setSaved(false))}
          aria-invalid={!valid}
          aria-describedby={`${id}-explain`}
          data-testid={field === "approvalsRequired" ? "approvals-required" : "parallel-runs"}
        />
        <button className="btn primary" disabled={!valid || n === current || save.isPending} data-testid={field === "approvalsRequired" ? "approvals-save" : "parallel-runs-save"}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {saved && n === current && (
          <span className="badge ok" role="status">
            <span aria-hidden="true">✓</span> Saved
          </span>
        )}
      </div>
      <p id={`${id}-explain`} className="adm-explain">
        {explain(valid ? n : null)}
      </p>
      {save.error && (
        <div className="notice error" role="alert">
          {errorMessage(save.error)}
        </div>
      )}
    </form>
  );
}

function Approvals({ slug, current }: { slug: string; current: number }) {
  return (
    <SiteNumber
      slug={slug}
      field="approvalsRequired"
      current={current}
      title="Approvals"
      label="Approvals required"
      min={0}
      max={10}
      explain={(n) =>
        n === 0 ? (
          <>
            <strong>0: runs start as soon as they are requested</strong>, with no review. Fine for a lab; risky for production.
          </>
        ) : (
          <>
            A requested run waits until <strong>{n ?? "N"} {n === 1 ? "approver" : "different approvers"}</strong> (approver or admin role, not the person who asked) approve
            it; one rejection stops it. <strong>0</strong> means runs start as soon as they are requested.
          </>
        )
      }
    />
  );
}

function ParallelRuns({ slug, current }: { slug: string; current: number }) {
  return (
    <SiteNumber
      slug={slug}
      field="parallelRuns"
      current={current}
      title="Runs at once"
      label="Runs of this site executing at the same time"
      min={1}
      max={64}
      explain={(n) => (
        <>
          {n === 1 || n === null ? (
            <>
              <strong>One run at a time</strong>: an approved run waits <em>queued</em>, with its place in line, until the one before it ends.
            </>
          ) : (
            <>
              Up to <strong>{n} runs</strong> of this site execute together (on any worker); more wait <em>queued</em>. Runs that touch the same hosts at once can
              step on each other.
            </>
          )}
        </>
      )}
    />
  );
}

function RoleGuide({ roles }: { roles: Roles }) {
  return (
    <section className="card" aria-labelledby="roles-title">
      <h2 id="roles-title">Roles</h2>
      <p className="muted adm-sub">Each role can do everything the roles above it can.</p>
      <dl className="adm-detail">
        {roles.map((r) => (
          <div key={r.role} style={{ display: "contents" }}>
            <dt style={{ textTransform: "capitalize", fontWeight: 600, color: "var(--text)" }}>{r.role}</dt>
            <dd className="muted">{r.description}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/**
 * Whether the site's `transport: local` steps may run on this server (sandboxed). Only server admins change it:
 * a local step runs on the machine that holds every site's secrets, so it is the server's decision, not the site's.
 */
function LocalExecution({ slug, enabled }: { slug: string; enabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useMe();
  const save = useMutation(
    trpc.sites.localExecution.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.sites.get.queryKey({ slug }) }),
    }),
  );
  const serverAdmin = me.data?.isAdmin === true;

  return (
    <section className="card stack" aria-labelledby="local-title" data-testid="local-execution">
      <div className="adm-card-head">
        <h2 id="local-title">Local execution</h2>
        <span className={`badge${enabled ? " ok" : ""}`} data-testid="local-execution-state">
          {enabled ? "On" : "Off"}
        </span>
      </div>
      <p className="adm-explain" id="local-explain" style={{ margin: 0 }}>
        Hosts with <code>transport: local</code> run their steps on the Flightdeck server itself, in a sandbox: as an unprivileged user, with a private home and{" "}
        <code>/tmp</code>, and nothing of the server&apos;s data. {enabled ? "This site may use it." : "This site may not: lint and plans refuse such hosts."}
        {serverAdmin ? "" : " Only a server admin can change this."}
      </p>
      {serverAdmin && (
        <div>
          <button
            type="button"
            className={`btn${enabled ? "" : " primary"}`}
            disabled={save.isPending}
            aria-describedby="local-explain"
            onClick={() => save.mutate({ slug, enabled: !enabled })}
            data-testid="local-execution-toggle"
          >
            {save.isPending ? "Saving…" : enabled ? "Turn off local execution" : "Turn on local execution"}
          </button>
        </div>
      )}
      {save.error && (
        <div className="notice error" role="alert">
          {errorMessage(save.error)}
        </div>
      )}
    </section>
  );
}
