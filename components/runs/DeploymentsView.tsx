"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Fragment, useState } from "react";
import { useWorkspace } from "~/components/site/workspace";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { errorMessage } from "~/components/ui/errors";
import { RunDialog } from "./dialogs";
import { runHref } from "./paths";
import { PLAN_CSS, PlanPreview, stepsText } from "./PlanPreview";

type Deployment = RouterOutputs["runs"]["deployments"]["deployments"][number];

/** The site's deployments, each with what it would run, and a Launch button that opens the new run. */
export function DeploymentsView({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const w = useWorkspace();
  const deployments = useQuery(trpc.runs.deployments.queryOptions({ slug }));
  const data = deployments.data;
  const approvals = w.site?.approvalsRequired ?? 0;

  return (
    <main className="page stack deployments-page">
      <div className="row wrap">
        <h1>Deployments</h1>
        {data && <span className="badge">revision #{data.revision}</span>}
        <span className="grow" />
        <Link href={`/sites/${slug}/runs`} className="btn small">
          See runs
        </Link>
      </div>
      <p className="muted intro">A deployment runs blueprints on hosts in stages. Each plan below is what a run would do now, from the newest saved revision.</p>
      {w.role && !w.can("operator") && (
        <div className="notice info" data-testid="viewer-note">
          You are a {w.role} on this site: you can read the plans, and operators request runs.
        </div>
      )}
      {w.can("operator") && approvals > 0 && (
        <div className="notice info" data-testid="approval-note">
          Runs of this site need {approvals === 1 ? "one approval" : `${approvals} approvals`} before they start: a requested run waits on the <Link href={`/sites/${slug}/approvals`}>Approvals</Link> tab until an approver
          decides.
        </div>
      )}
      {w.site && approvals === 0 && (
        <div className="notice info" data-testid="no-approval-note">
          {/* One span: a notice is a flex row, which would set the link apart from its sentence. */}
          <span>
            Runs of this site start as soon as they are requested: it requires no approval.{" "}
            {w.can("admin") ? (
              <>
                To have runs reviewed first, require approvals on <Link href={`/sites/${slug}/members`}>Members</Link>.
              </>
            ) : (
              "A site admin can require approvals on the Members page."
            )}
          </span>
        </div>
      )}
      {w.dirty.length > 0 && (
        <div className="notice info">
          Runs use the saved revision{data ? ` #${data.revision}` : ""}; your unsaved changes in {w.dirty.join(", ")} are not part of them. Save them in <Link href={`/sites/${slug}/files`}>Files</Link> first to include them.
        </div>
      )}
      {deployments.error && (
        <div className="notice error" role="alert">
          Could not plan this site’s deployments: {errorMessage(deployments.error)}
        </div>
      )}
      {deployments.isPending && <p className="muted">Planning…</p>}
      {data && data.errors > 0 && (
        <div className="notice error">
          ✕ The site has {data.errors} lint {data.errors === 1 ? "error" : "errors"}: nothing can run until {data.errors === 1 ? "it is" : "they are"} fixed. <Link href={`/sites/${slug}/files`}>Open Files to see the problems</Link>
        </div>
      )}
      {data && data.deployments.length === 0 && (
        <div className="card empty-card">
          <h2>No deployment yet</h2>
          <p className="muted">
            A deployment says which blueprints run on which hosts, stage by stage. Add a document with <code>kind: deployment</code> (and the blueprints it names) in{" "}
            <Link href={`/sites/${slug}/files`}>Files</Link>, save, and it appears here ready to launch.
          </p>
        </div>
      )}
      {data?.deployments.map((d) => (
        <DeploymentCard key={d.name} slug={slug} revision={data.revision} d={d} canRequest={w.can("operator")} approvals={approvals} />
      ))}
      <style>{CSS + PLAN_CSS}</style>
    </main>
  );
}

function DeploymentCard({ slug, revision, d, canRequest, approvals }: { slug: string; revision: number; d: Deployment; canRequest: boolean; approvals: number }) {
  const trpc = useTRPC();
  const router = useRouter();
  const launch = useMutation(trpc.runs.launch.mutationOptions());
  const [open, setOpen] = useState(false);
  const plan = d.plan;
  const steps = plan ? plan.stages.reduce((n, s) => n + s.operations.reduce((m, op) => m + op.steps.length * op.hosts.length, 0), 0) : 0;

  return (
    <section className="card deployment" data-testid={`deployment-${d.name}`} aria-labelledby={`dep-${d.name}`}>
      <header className="dep-head">
        <div className="dep-title">
          <h2 id={`dep-${d.name}`}>{d.title || d.name}</h2>
          <code className="muted">{d.name}</code>
        </div>
        {plan && (
          <span className="muted dep-summary">
            {plan.hosts.length} {plan.hosts.length === 1 ? "host" : "hosts"} · {stepsText(plan)} ({steps.toLocaleString()} host-steps) · {plan.stages.length} {plan.stages.length === 1 ? "stage" : "stages"}
          </span>
        )}
        {canRequest && (
          <button
            type="button"
            className="btn primary"
            onClick={() => setOpen(true)}
            disabled={!plan || plan.hosts.length === 0}
            title={!plan ? "Fix the problem below first" : plan.hosts.length === 0 ? "The deployment targets no host" : undefined}
            data-testid={`launch-${d.name}`}
          >
            <span aria-hidden="true">▶</span> {approvals > 0 ? "Request run…" : "Launch…"}
          </button>
        )}
      </header>
      {d.problem !== null ? <Problem slug={slug} text={d.problem} /> : plan && <PlanPreview plan={plan} />}
      {open && plan && (
        <RunDialog
          title={approvals > 0 ? `Request a run of ${d.title || d.name}` : `Launch ${d.title || d.name}`}
          submitLabel={approvals > 0 ? "Request run" : "Launch"}
          busyLabel={approvals > 0 ? "Requesting…" : "Launching…"}
          reason={approvals > 0 ? "required" : "optional"}
          testId="launch-dialog"
          onClose={() => setOpen(false)}
          onSubmit={async ({ reason }) => {
            const { id } = await launch.mutateAsync({ slug, deployment: d.name, reason });
            router.push(runHref(slug, id));
          }}
        >
          <p className="muted dialog-text">
            Runs revision #{revision} on {plan.hosts.length} {plan.hosts.length === 1 ? "host" : "hosts"}: {stepsText(plan)} in {plan.stages.length}{" "}
            {plan.stages.length === 1 ? "stage" : "stages"}.
          </p>
          {approvals > 0 ? (
            <p className="notice warn dialog-text" data-testid="needs-approval">
              It will wait for {approvals === 1 ? "an approver" : `${approvals} approvers`} of this site before anything runs. Nobody approves their own request; the run page shows the decision as it happens.
            </p>
          ) : (
            <p className="muted dialog-text">This site runs without approval: it starts at once. You can watch it and cancel it from the run page.</p>
          )}
        </RunDialog>
      )}
    </section>
  );
}

const DIAGNOSTIC = /^(\S+?):(\d+):(\d+): (error|warning): (.*)$/;

/** Why a deployment cannot be planned; lint diagnostics link to their line in Files. */
function Problem({ slug, text }: { slug: string; text: string }) {
  const lines = text.split("\n");
  return (
    <div className="notice error problem" role="note" data-testid="deployment-problem">
      <div className="problem-text">
        {lines.map((line, i) => {
          const m = DIAGNOSTIC.exec(line);
          return (
            <Fragment key={i}>
              {m ? (
                <div className="problem-line">
                  <Link href={`/sites/${slug}/files/${m[1]!.split("/").map(encodeURIComponent).join("/")}?line=${m[2]}&col=${m[3]}`} className="mono">
                    {m[1]}:{m[2]}:{m[3]}
                  </Link>{" "}
                  {m[5]}
                </div>
              ) : (
                <div className="problem-line">{i === 0 ? line.charAt(0).toUpperCase() + line.slice(1) : line}</div>
              )}
            </Fragment>
          );
        })}
        <Link href={`/sites/${slug}/files`} className="btn small problem-files">
          Open Files
        </Link>
      </div>
    </div>
  );
}

const CSS = `
.deployments-page { max-width: 1200px; }
.intro { margin: -8px 0 0; }
.deployment { display: flex; flex-direction: column; gap: 12px; }
.dep-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.dep-title { display: flex; align-items: baseline; gap: 8px; flex: 1; min-width: 200px; }
.dep-title h2 { margin: 0; }
.dep-summary { font-size: 13px; }
.problem { align-items: flex-start; }
.problem-text { display: flex; flex-direction: column; gap: 3px; min-width: 0; }
.problem-line { overflow-wrap: anywhere; }
.problem-line a { color: inherit; text-decoration: underline; }
.problem-files { align-self: flex-start; margin-top: 6px; }
.dialog-text { margin: 0; }
.empty-card p { margin: 0; }
`;
