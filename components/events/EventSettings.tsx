"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";

/**
 * Site admins: where senders post, the webhook secret (shown once when made), whether `approval: auto`
 * reactions may approve their runs, and the GitHub branch whose pushes request a deployment.
 */
export function EventSettings({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.events.settings.queryOptions({ slug }));
  const [shown, setShown] = useState<string | null>(null);
  const [branch, setBranch] = useState("");
  const [deployment, setDeployment] = useState("");
  const [origin, setOrigin] = useState("");
  useEffect(() => setOrigin(window.location.origin), []);
  useEffect(() => {
    setBranch(settings.data?.github?.branch ?? "");
    setDeployment(settings.data?.github?.deployment ?? "");
  }, [settings.data?.github]);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.events.settings.queryKey({ slug }) });
  const rotate = useMutation(trpc.events.rotateSecret.mutationOptions({ onSuccess: (r) => (setShown(r.secret), refresh()) }));
  const remove = useMutation(trpc.events.removeSecret.mutationOptions({ onSuccess: () => (setShown(null), refresh()) }));
  const update = useMutation(trpc.events.updateSettings.mutationOptions({ onSuccess: refresh }));
  const error = rotate.error ?? remove.error ?? update.error ?? settings.error;
  const s = settings.data;
  const base = `${origin}/api/v1/sites/${slug}/events`;

  return (
    <details className="card event-settings" data-testid="event-settings">
      <summary>
        <strong>Intake settings</strong> <span className="muted">· webhook secret {s ? (s.hasSecret ? "set" : "not set") : "…"} · auto approval {s?.allowAutoApproval ? "allowed" : "off"}</span>
      </summary>
      <div className="stack settings-body">
        <dl className="event-facts">
          <dt>Generic</dt>
          <dd className="mono">POST {base}</dd>
          <dt>Alertmanager</dt>
          <dd className="mono">POST {base}/alertmanager</dd>
          <dt>GitHub</dt>
          <dd className="mono">POST {base}/github</dd>
        </dl>
        <p className="muted no-margin">
          Senders authenticate with an API token (operator role) or sign the raw body with the webhook secret: <code>X-Flightdeck-Signature: sha256=&lt;hex HMAC-SHA256&gt;</code>{" "}
          (GitHub: its own <code>X-Hub-Signature-256</code>, with the secret as the webhook&apos;s secret).
        </p>
        {shown && (
          <div className="notice warn secret-once" role="status" data-testid="secret-once">
            <span>
              The new webhook secret, shown this once: <code className="secret-value">{shown}</code>
            </span>
            <button type="button" className="btn small" onClick={() => void navigator.clipboard?.writeText(shown)}>
              Copy
            </button>
          </div>
        )}
        <div className="row wrap">
          <button type="button" className="btn" onClick={() => rotate.mutate({ slug })} disabled={rotate.isPending || !s} data-testid="rotate-secret">
            {s?.hasSecret ? "Rotate the webhook secret" : "Create a webhook secret"}
          </button>
          {s?.hasSecret && (
            <button type="button" className="btn ghost" onClick={() => remove.mutate({ slug })} disabled={remove.isPending}>
              Remove it
            </button>
          )}
        </div>
        <label className="row">
          <input type="checkbox" checked={s?.allowAutoApproval ?? false} disabled={!s || update.isPending} onChange={(e) => update.mutate({ slug, allowAutoApproval: e.target.checked })} data-testid="allow-auto" />
          Reactions that say <code>approval: auto</code> start their runs without a reviewer
        </label>
        <form
          className="row wrap github-form"
          onSubmit={(e) => {
            e.preventDefault();
            update.mutate({ slug, github: branch.trim() && deployment.trim() ? { branch: branch.trim(), deployment: deployment.trim() } : null });
          }}
        >
          <label className="field">
            GitHub tracked branch
            <input value={branch} onChange={(e) => setBranch(e.target.value)} placeholder="main" />
          </label>
          <label className="field">
            Deployment a push requests
            <input value={deployment} onChange={(e) => setDeployment(e.target.value)} placeholder="rollout" />
          </label>
          <button type="submit" className="btn" disabled={update.isPending}>
            Save
          </button>
        </form>
        {error && (
          <div className="notice error" role="alert">
            {errorMessage(error)}
          </div>
        )}
      </div>
    </details>
  );
}
