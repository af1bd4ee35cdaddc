"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { PageHead } from "~/components/admin/AdminFrame";
import { AdminTable, Flag } from "~/components/admin/AdminTable";
import { useTRPC, type RouterInputs, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RelativeTime } from "~/components/ui/RelativeTime";
import "~/components/admin/admin.css";
import "./notify.css";

type Settings = RouterOutputs["notifications"]["settings"];
type Kind = Settings["rules"][number]["kinds"][number];
type RuleEdit = RouterInputs["notifications"]["setSettings"]["rules"][number] & { key: number; hasSecret: boolean };
type Delivery = RouterOutputs["notifications"]["deliveries"]["items"][number];

const KINDS: { kind: Kind; label: string }[] = [
  { kind: "approval_requested", label: "Approval requested" },
  { kind: "run_started", label: "Run started" },
  { kind: "run_finished", label: "Run finished" },
  { kind: "run_failed", label: "Run failed" },
  { kind: "reaction_fired", label: "Reaction fired" },
];

let nextKey = 1;

/** Who gets which notifications on this site, and how the recent ones went; for the site's admins. */
export function NotificationsView({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const site = useQuery(trpc.sites.get.queryOptions({ slug }));
  const isAdmin = site.data?.role === "admin";
  const settings = useQuery({ ...trpc.notifications.settings.queryOptions({ slug }), enabled: isAdmin });
  return (
    <main className="page stack adm-page in-site notify-page" data-testid="notifications-view">
      <PageHead title="Notifications">
        Tell people and systems when a run waits for approval, starts, finishes or fails, and when a reaction fires. Webhooks get a signed JSON POST; addresses get
        an e-mail. Each notification links to its run or to the approvals page.
      </PageHead>
      {site.error && (
        <div className="notice error" role="alert">
          {errorMessage(site.error)}
        </div>
      )}
      {site.data && !isAdmin && (
        <div className="card" role="status">
          <h2>Only the site&apos;s admins manage notifications</h2>
          <p className="muted" style={{ margin: 0 }}>
            You are <strong>{site.data.role}</strong> here.
          </p>
        </div>
      )}
      {settings.error && (
        <div className="notice error" role="alert">
          Could not load the settings: {errorMessage(settings.error)}
        </div>
      )}
      {settings.data && (
        <>
          {settings.data.warnings.map((w) => (
            <div key={w} className="notice warn" role="status" data-testid="notify-warning">
              {w}
            </div>
          ))}
          <RulesForm slug={slug} settings={settings.data} />
          <Deliveries slug={slug} />
        </>
      )}
    </main>
  );
}

function toEdits(settings: Settings): RuleEdit[] {
  return settings.rules.map((r) => ({ key: nextKey++, kinds: r.kinds, channel: r.channel, target: r.target, hasSecret: r.hasSecret }));
}

function RulesForm({ slug, settings }: { slug: string; settings: Settings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [rules, setRules] = useState<RuleEdit[]>(() => toEdits(settings));
  const [revealed, setRevealed] = useState<{ target: string; secret: string }[]>([]);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.notifications.setSettings.mutationOptions({
      onSuccess: (result) => {
        queryClient.setQueryData(trpc.notifications.settings.queryKey({ slug }), result);
        void queryClient.invalidateQueries({ queryKey: trpc.notifications.deliveries.queryKey({ slug, limit: 20 }) });
        setRules(toEdits(result));
        setRevealed(result.secrets);
        setSaved(true);
      },
    }),
  );
  useEffect(() => setSaved(false), [rules]);

  const change = (key: number, patch: Partial<RuleEdit>) => setRules((list) => list.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const toggle = (rule: RuleEdit, kind: Kind) => change(rule.key, { kinds: rule.kinds.includes(kind) ? rule.kinds.filter((k) => k !== kind) : [...rule.kinds, kind] });
  const add = (channel: "webhook" | "email") =>
    setRules((list) => [...list, { key: nextKey++, channel, target: "", kinds: channel === "email" ? ["approval_requested", "run_failed"] : ["run_finished", "run_failed"], hasSecret: false }]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setRevealed([]);
    save.mutate({ slug, rules: rules.map(({ kinds, channel, target, newSecret }) => ({ kinds, channel, target: target.trim(), ...(newSecret ? { newSecret } : {}) })) });
  };
  const dirty = JSON.stringify(rules.map(({ kinds, channel, target, newSecret }) => [kinds, channel, target, !!newSecret])) !== JSON.stringify(settings.rules.map((r) => [r.kinds, r.channel, r.target, false]));

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="rules-title" data-testid="notify-rules">
      <div className="adm-card-head">
        <h2 id="rules-title">Who gets what</h2>
        <span className="badge">{rules.length}</span>
      </div>
      <p className="muted" style={{ margin: 0 }}>
        E-mail goes through the server&apos;s relay{settings.email.from ? (
          <>
            {" "}
            from <code>{settings.email.from}</code>
          </>
        ) : null}
        . Webhook receivers check the <code>X-Flightdeck-Signature: sha256=…</code> header: the HMAC-SHA256 of the body with the webhook&apos;s secret.
      </p>
      {rules.length === 0 && <p className="adm-empty">Nobody is notified yet. Add a webhook or an e-mail address.</p>}
      {rules.length > 0 && (
        <AdminTable columns={["Target", ...KINDS.map((k) => k.label), "Signing"]} actions testId="rules-table" className="notify-rules">
          {rules.map((r, i) => (
            <tr key={r.key} data-testid={`rule-${i}`}>
              <td>
                <label className="notify-target">
                  <span className="badge" aria-hidden="true">
                    {r.channel === "webhook" ? "POST" : "✉"}
                  </span>
                  <input
                    className="mono"
                    value={r.target}
                    placeholder={r.channel === "webhook" ? "https://hooks.example.net/flightdeck" : "ops@example.net"}
                    onChange={(e) => change(r.key, { target: e.target.value })}
                    aria-label={r.channel === "webhook" ? `Webhook URL of rule ${i + 1}` : `E-mail address of rule ${i + 1}`}
                    type="text"
                    inputMode={r.channel === "email" ? "email" : "url"}
                    spellCheck={false}
                  />
                </label>
              </td>
              {KINDS.map((k) => (
                <td key={k.kind} className="notify-kind">
                  <input type="checkbox" checked={r.kinds.includes(k.kind)} onChange={() => toggle(r, k.kind)} aria-label={`${k.label} to rule ${i + 1}`} />
                </td>
              ))}
              <td>
                {r.channel === "email" ? (
                  <span className="muted">—</span>
                ) : r.newSecret || !r.hasSecret ? (
                  <Flag tone="accent" icon="✦">
                    new secret on save
                  </Flag>
                ) : (
                  <span className="notify-signing">
                    <Flag tone="ok" icon="✓">
                      secret set
                    </Flag>
                    <button type="button" className="btn small" onClick={() => change(r.key, { newSecret: true })} aria-label={`Replace the signing secret of rule ${i + 1}`}>
                      Replace
                    </button>
                  </span>
                )}
              </td>
              <td className="adm-actions">
                <button type="button" className="btn small adm-danger-ghost" onClick={() => setRules((list) => list.filter((x) => x.key !== r.key))} aria-label={`Remove rule ${i + 1}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
      {save.error && (
        <div className="notice error" role="alert" data-testid="rules-error">
          {errorMessage(save.error)}
        </div>
      )}
      {revealed.length > 0 && (
        <div className="notice info stack" role="status" data-testid="new-secrets">
          <strong>Copy these signing secrets now: they are not shown again.</strong>
          {revealed.map((s) => (
            <div key={s.target} className="notify-secret">
              <span className="mono muted">{s.target}</span>
              <code data-testid="new-secret">{s.secret}</code>
            </div>
          ))}
        </div>
      )}
      {saved && !revealed.length && !save.error && (
        <div className="notice info" role="status">
          Saved.
        </div>
      )}
      <div className="notify-actions">
        <button type="button" className="btn" onClick={() => add("webhook")} data-testid="add-webhook">
          Add webhook
        </button>
        <button type="button" className="btn" onClick={() => add("email")} data-testid="add-email">
          Add e-mail
        </button>
        <span className="grow" />
        <button className="btn primary" disabled={!dirty || save.isPending} data-testid="save-rules">
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

const STATUS: Record<Delivery["status"], { tone: "ok" | "warn" | "error" | ""; icon: string }> = {
  pending: { tone: "warn", icon: "◷" },
  sending: { tone: "", icon: "↗" },
  sent: { tone: "ok", icon: "✓" },
  failed: { tone: "error", icon: "✕" },
};

function Deliveries({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.notifications.deliveries.queryOptions({ slug, limit: 20 }), refetchInterval: 5000 });
  const items = list.data?.items ?? [];
  return (
    <section className="card" aria-labelledby="deliveries-title">
      <div className="adm-card-head">
        <h2 id="deliveries-title">Recent notifications</h2>
      </div>
      {list.error && (
        <div className="notice error" role="alert">
          {errorMessage(list.error)}
        </div>
      )}
      {list.data && !items.length && <p className="adm-empty">None sent yet.</p>}
      {items.length > 0 && (
        <AdminTable columns={["When", "What", "To", "Status", "Last error"]} testId="deliveries-table">
          {items.map((d) => (
            <tr key={d.id} data-testid={`delivery-${d.id}`}>
              <td className="nowrap">
                <RelativeTime date={d.createdAt} />
              </td>
              <td>
                <div>{d.payload.summary}</div>
                {/^https?:/.test(d.payload.link) ? (
                  <a href={d.payload.link} className="mono small">
                    {d.payload.link}
                  </a>
                ) : (
                  <span className="mono small muted">{d.payload.link}</span>
                )}
              </td>
              <td className="mono">{d.target}</td>
              <td className="nowrap">
                <Flag tone={STATUS[d.status].tone} icon={STATUS[d.status].icon} testId="delivery-status">
                  {d.status}
                </Flag>
                {d.attempts > 1 && <span className="muted small"> {d.attempts} attempts</span>}
                {d.status === "pending" && d.attempts > 0 && (
                  <div className="muted small">
                    next <RelativeTime date={d.nextAttemptAt} />
                  </div>
                )}
              </td>
              <td className="notify-error">{d.lastError ?? ""}</td>
            </tr>
          ))}
        </AdminTable>
      )}
    </section>
  );
}
