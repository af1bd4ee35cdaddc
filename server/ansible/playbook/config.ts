/**
 * The ansible.cfg and the command line of one run. Nothing of the machine's own Ansible configuration is read
 * (ANSIBLE_CONFIG names this file; the CLI drops inherited ANSIBLE_* variables): roles and collections come
 * from the site, output goes through Flightdeck's callback, ssh keeps ControlPersist's speed with its sockets in
 * the private directory (and its masters end with the run: see ./process).
 */
import { join } from "node:path";
import { PLUGIN_NAME } from "./plugin";

export interface PlaybookParams {
  playbook: string;
  extra_vars?: Record<string, unknown>;
  tags?: string | string[];
  skip_tags?: string | string[];
  check?: boolean;
  diff?: boolean;
  forks?: number;
}

export function ansibleConfig(o: { dir: string; site: string; forks: number }): string {
  return [
    "# Written by Flightdeck for one ansible-playbook run.",
    "[defaults]",
    `roles_path = ${join(o.site, "roles")}`,
    `collections_path = ${join(o.site, "collections")}:/usr/share/ansible/collections`,
    `callback_plugins = ${join(o.dir, "plugins", "callback")}`,
    `stdout_callback = ${PLUGIN_NAME}`,
    `forks = ${o.forks}`,
    "retry_files_enabled = False",
    "nocolor = True",
    "interpreter_python = auto_silent",
    // Ansible's switch stays on: off, it would put StrictHostKeyChecking=no before the host's own policy.
    "host_key_checking = True",
    "force_valid_group_names = ignore",
    "[ssh_connection]",
    "ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s",
    `control_path_dir = ${join(o.dir, "cp")}`,
    "",
  ].join("\n");
}

const list = (v: string | string[]) => (Array.isArray(v) ? v.join(",") : v);

export function playbookArgs(o: { dir: string; site: string; params: PlaybookParams; become?: boolean | string; extraVars: boolean }): string[] {
  const p = o.params;
  const args = ["-i", join(o.dir, "inventory"), "--limit", `@${join(o.dir, "limit")}`];
  if (o.extraVars) args.push("-e", `@${join(o.dir, "extra_vars.json")}`);
  if (p.tags !== undefined) args.push("--tags", list(p.tags));
  if (p.skip_tags !== undefined) args.push("--skip-tags", list(p.skip_tags));
  if (p.check) args.push("--check");
  if (p.diff) args.push("--diff");
  if (o.become !== undefined && o.become !== false) {
    args.push("--become");
    if (typeof o.become === "string") args.push("--become-user", o.become);
  }
  args.push(join(o.site, p.playbook));
  return args;
}
