/**
 * What `flightdeck lint` adds for a site directory's Ansible content: Ansible's syntax check of the playbooks its
 * steps name (in the same sandbox as on a server), and a warning for each binary file left out of the site.
 */
import { playbookRefs, type Diagnostic, type Site } from "../inventory";
import { findSandbox, identityPaths } from "../transports/sandbox";
import { PlaybookChecker } from "./syntax-check";

export const BINARY_LEFT_OUT = "not part of the site: a binary file (a site keeps text files only, so the dashboard, archives and runs leave it out)";

export interface AnsibleLintOptions {
  /** PATH to find ansible-playbook on (default: this process's). */
  path?: string;
}

export async function ansibleLint(site: Pick<Site, "files" | "workflows">, binary: readonly string[], options: AnsibleLintOptions = {}): Promise<Diagnostic[]> {
  const checker = new PlaybookChecker({
    path: options.path,
    sandbox: () => findSandbox({ hide: identityPaths(process.env), runUser: process.env.FLIGHTDECK_RUN_USER || "nobody", lang: process.env.LANG }),
  });
  const checked = await checker.check(site.files, playbookRefs(site.workflows));
  const leftOut = binary.map((file): Diagnostic => ({ file, line: 1, col: 1, endLine: 1, endCol: 1, severity: "warning", message: BINARY_LEFT_OUT }));
  return [...checked, ...leftOut];
}
