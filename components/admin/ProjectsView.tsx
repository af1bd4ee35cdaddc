"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC, type RouterOutputs } from "~/components/trpc/react";
import { useConfirm } from "~/components/ui/confirm";
import { errorMessage } from "~/components/ui/errors";
import { useRoles, type Role } from "~/components/ui/session";
import { AdminFrame, PageHead } from "./AdminFrame";
import { AdminTable } from "./AdminTable";
import { NameField, PickOneSelect } from "./fields";

type Project = RouterOutputs["projects"]["list"][number];

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Projects (server admins): create, rename, delete empty ones, move sites between them, and their members. */
export function ProjectsView() {
  return <AdminFrame title="Projects" admin>{() => <Projects />}</AdminFrame>;
}

function Projects() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  return (
    <>
      <PageHead title="Projects">
        A project owns sites. Its members&apos; roles apply to every one of its sites; a site&apos;s own Members page can grant more there, never less. New sites go to{" "}
        <code>default</code> unless another project is chosen.
      </PageHead>
      <NewProject />
      {projects.error && (
        <div className="notice error" role="alert">
          Could not load projects: {errorMessage(projects.error)}
        </div>
      )}
      <ul className="adm-boards" aria-label="Projects">
        {projects.data?.map((p) => <ProjectCard key={p.slug} project={p} projects={projects.data} />)}
      </ul>
    </>
  );
}

function useInvalidate() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries();
}

function NewProject() {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useMutation(trpc.projects.create.mutationOptions({ onSuccess: invalidate }));
  const slugOk = slug === "" || SLUG.test(slug);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ slug, name: name.trim(), description: description.trim() }, { onSuccess: () => (setSlug(""), setName(""), setDescription("")) });
  };
  return (
    <form className="card adm-form" onSubmit={submit} aria-labelledby="project-form-title" data-testid="project-form">
      <h2 id="project-form-title">New project</h2>
      <div className="adm-fields">
        <NameField label="Id" rule="Lowercase letters, digits and “-”, as in /projects/{id}" value={slug} onChange={setSlug} valid={slugOk} placeholder="acme" maxLength={63} testId="project-slug" />
        <label className="field">
          Name
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme Corp" required maxLength={200} data-testid="project-name" />
        </label>
        <label className="field">
          Description
          <input type="text" value={description} onChange={(e) => setDescription(e.target.value)} placeholder="The tenant's regions" maxLength={1000} data-testid="project-description" />
        </label>
      </div>
      {create.error && (
        <div className="notice error" role="alert">
          {errorMessage(create.error)}
        </div>
      )}
      <div>
        <button className="btn primary" disabled={!slug || !slugOk || !name.trim() || create.isPending} data-testid="project-create">
          {create.isPending ? "Creating…" : "Create project"}
        </button>
      </div>
    </form>
  );
}

function ProjectCard({ project, projects }: { project: Project; projects: Project[] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const { ask, dialog } = useConfirm();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const update = useMutation(trpc.projects.update.mutationOptions({ onSuccess: invalidate }));
  const del = useMutation(trpc.projects.delete.mutationOptions({ onSuccess: invalidate }));
  const sites = useQuery(trpc.projects.sites.queryOptions({ project: project.slug }));
  const removable = project.sites === 0 && project.slug !== "default";
  const why = project.slug === "default" ? "New sites go to default: it is never deleted" : project.sites ? "Move or delete its sites first" : undefined;

  const confirmDelete = () =>
    ask({
      title: `Delete the project ${project.slug}?`,
      body: <p>“{project.name}” owns no site. Its members lose the role it gave them (their own site roles stay), and its project tokens stop working.</p>,
      confirmLabel: "Delete project",
      danger: true,
      run: () => del.mutateAsync({ project: project.slug }),
    });

  return (
    <li className="card adm-board" data-testid={`project-card-${project.slug}`} aria-labelledby={`project-card-${project.slug}-title`}>
      {editing ? (
        <form
          className="adm-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            update.mutate({ project: project.slug, name: name.trim(), description: description.trim() }, { onSuccess: () => setEditing(false) });
          }}
        >
          <label className="sr-only" htmlFor={`rename-${project.slug}`}>
            Name of project {project.slug}
          </label>
          <input id={`rename-${project.slug}`} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} data-testid={`rename-${project.slug}`} />
          <label className="sr-only" htmlFor={`describe-${project.slug}`}>
            Description of project {project.slug}
          </label>
          <input id={`describe-${project.slug}`} type="text" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} placeholder="Description" />
          <button className="btn primary small" disabled={!name.trim() || update.isPending} data-testid={`rename-save-${project.slug}`}>
            Save
          </button>
          <button type="button" className="btn small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="adm-board-head">
          <h2 id={`project-card-${project.slug}-title`}>{project.name}</h2>
          <span className="mono muted">{project.slug}</span>
          <span className="badge">
            {project.sites} {project.sites === 1 ? "site" : "sites"}
          </span>
          <span className="grow" />
          <button type="button" className="btn small" onClick={() => setEditing(true)} aria-label={`Rename project ${project.slug}`} data-testid={`rename-open-${project.slug}`}>
            Rename
          </button>
          <button
            type="button"
            className="btn small adm-danger-ghost"
            onClick={confirmDelete}
            disabled={!removable}
            title={why}
            aria-label={`Delete project ${project.slug}`}
            data-testid={`delete-${project.slug}`}
          >
            Delete…
          </button>
        </div>
      )}
      {!editing && project.description && <p className="muted no-margin">{project.description}</p>}
      {(update.error ?? del.error) && (
        <div className="notice error" role="alert">
          {errorMessage(update.error ?? del.error)}
        </div>
      )}
      <div className="adm-kiosk-tokens">
        <h3>Sites</h3>
        {sites.data && !sites.data.length && <p className="muted no-margin">No sites. Move one here from another project.</p>}
        {sites.data && sites.data.length > 0 && (
          <AdminTable columns={["Site", "Move to"]} testId={`project-sites-${project.slug}`}>
            {sites.data.map((s) => (
              <SiteRow key={s.slug} site={s} from={project.slug} projects={projects} />
            ))}
          </AdminTable>
        )}
      </div>
      <Members project={project.slug} />
      {dialog}
    </li>
  );
}

function SiteRow({ site, from, projects }: { site: RouterOutputs["projects"]["sites"][number]; from: string; projects: Project[] }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [to, setTo] = useState("");
  const move = useMutation(trpc.projects.moveSite.mutationOptions({ onSuccess: invalidate }));
  return (
    <tr data-testid={`project-site-${site.slug}`}>
      <td>
        <span className="adm-who">
          <a href={`/sites/${encodeURIComponent(site.slug)}`}>{site.name}</a>
          <span className="mono muted">{site.slug}</span>
        </span>
      </td>
      <td>
        <form
          className="adm-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            move.mutate({ project: to, slug: site.slug });
          }}
        >
          <PickOneSelect
            label={`Project to move site ${site.slug} to`}
            prompt="Choose a project…"
            value={to}
            onChange={setTo}
            options={projects.filter((p) => p.slug !== from).map((p) => ({ value: p.slug, label: `${p.name} (${p.slug})` }))}
            testId={`move-${site.slug}`}
          />
          <button className="btn small" disabled={!to || move.isPending} aria-label={`Move site ${site.slug}`} data-testid={`move-save-${site.slug}`}>
            Move
          </button>
          {move.error && (
            <span className="adm-field-error" role="alert">
              {errorMessage(move.error)}
            </span>
          )}
        </form>
      </td>
    </tr>
  );
}

function Members({ project }: { project: string }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const roles = useRoles();
  const members = useQuery(trpc.projects.members.queryOptions({ project }));
  const set = useMutation(trpc.projects.setMember.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.projects.removeMember.mutationOptions({ onSuccess: invalidate }));
  const [user, setUser] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const roleOptions = (roles.data ?? []).map((r) => ({ value: r.role, label: r.role }));
  const memberNames = new Set(members.data?.members.map((m) => m.username));
  const candidates = (members.data?.users ?? []).filter((u) => u.username && !memberNames.has(u.username));
  const error = set.error ?? remove.error ?? members.error;

  return (
    <div className="adm-kiosk-tokens">
      <h3>Members</h3>
      {members.data && !members.data.members.length && <p className="muted no-margin">No members: only site roles and server admins reach its sites.</p>}
      {members.data && members.data.members.length > 0 && (
        <AdminTable columns={["User", "Role on every site of the project"]} actions testId={`project-members-${project}`}>
          {members.data.members.map((m) => (
            <tr key={m.userId} data-testid={`project-member-${project}-${m.username}`}>
              <td className="mono">{m.username}</td>
              <td>
                <select
                  className="adm-role-select"
                  value={m.role}
                  aria-label={`Role of ${m.username} on project ${project}`}
                  onChange={(e) => set.mutate({ project, user: m.username ?? "", role: e.target.value as Role })}
                >
                  {roleOptions.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </td>
              <td className="adm-actions">
                <button type="button" className="btn small adm-danger-ghost" onClick={() => remove.mutate({ project, user: m.username ?? "" })} aria-label={`Remove ${m.username} from project ${project}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </AdminTable>
      )}
      <form
        className="adm-inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (role) set.mutate({ project, user, role }, { onSuccess: () => (setUser(""), setRole("")) });
        }}
      >
        <PickOneSelect
          label={`User to add to project ${project}`}
          prompt="Add a user…"
          value={user}
          onChange={setUser}
          options={candidates.map((u) => ({ value: u.username!, label: u.name ? `${u.username} (${u.name})` : u.username! }))}
          testId={`member-user-${project}`}
        />
        <PickOneSelect label={`Role of the new member of project ${project}`} prompt="with the role…" value={role} onChange={(r) => setRole(r as Role)} options={roleOptions} testId={`member-role-${project}`} />
        <button className="btn small" disabled={!user || !role || set.isPending} data-testid={`member-add-${project}`}>
          Add member
        </button>
      </form>
      {error && (
        <div className="notice error" role="alert">
          {errorMessage(error)}
        </div>
      )}
    </div>
  );
}

