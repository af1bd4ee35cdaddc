/**
 * `ansible.playbook`: one ansible-playbook per batch, where Flightdeck runs, against the batch's hosts
 * (`--limit`), in a private directory (./private-dir) holding the run's inventory (./inventory), the ssh setup
 * (./ssh), Flightdeck's callback plugin (./plugin) and the site's Ansible content. On a server it runs in the
 * sandbox of local steps, so only where the site may run things on the server. Each task on each host becomes a
 * step `STEP/TASK` as it happens (./events).
 */
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { BatchAction, BatchContext, HostOutcome } from "../../engine/batch";
import { playbookRefusal } from "../../inventory/policy";
import { UnreachableError } from "../../transports/types";
import { writeAnsibleContent } from "../content";
import { shellWord } from "../export/connection";
import { findAnsiblePlaybook } from "../syntax-check";
import { ansibleConfig, playbookArgs, type PlaybookParams } from "./config";
import { PlaybookEvents } from "./events";
import { playbookInventory } from "./inventory";
import { PLUGIN_NAME, callbackPluginSource } from "./plugin";
import { privateDir } from "./private-dir";
import { closeMasters, EVENTS_FD, runPlaybook } from "./process";
import { SshSetup } from "./ssh";

export const ANSIBLE_NOT_INSTALLED = "ansible-playbook is not installed where Flightdeck runs: install Ansible (apt-get install ansible-core)";
/** Folders the sandbox shows: an ansible-playbook elsewhere (a virtualenv in a home directory) cannot run in it. */
const VISIBLE = ["/usr/", "/bin/", "/sbin/", "/lib/", "/etc/"];

export const ansiblePlaybook: BatchAction = async (ctx) => {
  const all = (outcome: HostOutcome) => new Map(ctx.hosts.map((h) => [h, outcome]));
  const ansible = findAnsiblePlaybook(process.env.PATH ?? "/usr/bin:/bin");
  if (!ansible) return all({ status: "failed", message: ANSIBLE_NOT_INSTALLED });
  if (ctx.server) {
    const refused = ctx.server.policy.localRefused ?? (ctx.server.sandbox ? undefined : "this server has no sandbox to run it in");
    if (refused) return all({ status: "failed", message: playbookRefusal(refused) });
    if (!VISIBLE.some((d) => ansible.startsWith(d))) return all({ status: "failed", message: `${ansible} is outside the folders the sandbox shows (/usr, /bin, /etc): install Debian's ansible-core (apt-get install ansible-core)` });
  }
  const dir = await privateDir(ctx.server?.sandbox);
  const ssh = new SshSetup(dir, ctx.server?.policy.files, ctx.secret);
  try {
    return await run(ctx, ansible, dir, ssh);
  } finally {
    if (!dir.sandboxed) await closeMasters(join(dir.outside, "cp"));
    for (const m of await ssh.recordAccepted().catch(() => [])) ctx.notice(m);
    await dir.dispose();
  }
};

async function run(ctx: BatchContext, ansible: string, dir: Awaited<ReturnType<typeof privateDir>>, ssh: SshSetup): Promise<Map<string, HostOutcome>> {
  const params = ctx.params as unknown as PlaybookParams;
  const outcomes = new Map<string, HostOutcome>();
  const failAll = (message: string) => new Map(ctx.hosts.map((h): [string, HostOutcome] => [h, { status: "failed", message }]));

  // The site's Ansible content: the directory itself in the CLI, a copy of the revision's files on a server.
  let site: string;
  if (ctx.siteDir && !dir.sandboxed) site = resolve(ctx.siteDir);
  else {
    await writeAnsibleContent(join(dir.outside, "site"), ctx.site.files);
    site = join(dir.inside, "site");
  }
  const playbookOutside = dir.sandboxed || !ctx.siteDir ? join(dir.outside, "site", params.playbook) : join(site, params.playbook);
  if (!(await access(playbookOutside).then(() => true, () => false))) return failAll(`the playbook ${params.playbook} is not in the site's Ansible content`);

  // Each ssh host's connection as Flightdeck's own: a host that cannot be set up is unreachable, as natively.
  const sshArgs = new Map<string, string>();
  const keys = new Map<string, string>();
  const ready: string[] = [];
  for (const host of ctx.hosts) {
    try {
      const settings = ctx.connection(host);
      if (settings.transport === "ssh") {
        sshArgs.set(host, `-F ${shellWord(await ssh.configFor(settings))}`);
        const key = await ssh.key(settings);
        if (key) keys.set(host, key);
      }
      ready.push(host);
    } catch (e) {
      // As with Flightdeck's own ssh: a key that cannot be used leaves the host unreachable, anything else fails it.
      outcomes.set(host, { status: e instanceof UnreachableError ? "unreachable" : "failed", message: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!ready.length) return outcomes;

  let inventory;
  try {
    // The batch's hosts name the key this run wrote (the one their ssh configuration names).
    inventory = await playbookInventory({ site: ctx.site, hosts: ready, secret: ctx.secret, keyFile: (h) => keys.get(h), sshArgs });
  } catch (e) {
    return failAll(`the run's inventory cannot be exported for Ansible: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const [path, content] of inventory) await dir.write(join("inventory", path), content);
  await dir.write(join("plugins", "callback", `${PLUGIN_NAME}.py`), await callbackPluginSource(), 0o644);
  await dir.write("ansible.cfg", ansibleConfig({ dir: dir.inside, site, forks: params.forks ?? Math.min(ctx.forks, ready.length) }));
  await dir.write("limit", `${ready.join("\n")}\n`);
  if (params.extra_vars && Object.keys(params.extra_vars).length) await dir.write("extra_vars.json", JSON.stringify(params.extra_vars));
  await dir.mkdir("cp");

  const events = new PlaybookEvents(new Set(ready), {
    subStep: ctx.subStep,
    output: ctx.output,
    notice: ctx.notice,
  });
  const argv = [ansible, ...playbookArgs({ dir: dir.inside, site, params, become: ctx.become, extraVars: Boolean(params.extra_vars && Object.keys(params.extra_vars).length) })];
  const env: Record<string, string> = {
    ANSIBLE_CONFIG: join(dir.inside, "ansible.cfg"),
    ANSIBLE_HOME: join(dir.inside, ".ansible"),
    ANSIBLE_LOCAL_TEMP: join(dir.inside, ".ansible", "tmp"),
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_FORCE_COLOR: "0",
    FLIGHTDECK_EVENTS_FD: String(EVENTS_FD),
    PYTHONUNBUFFERED: "1",
  };
  const finished = await runPlaybook(dir.command(argv, env), {
    cwd: dir.outside,
    signal: ctx.signal,
    onEvent: (line) => events.line(line),
    // ansible-playbook's own words (warnings, errors) belong to the whole batch: each host's step shows them.
    onOutput: (stream, text) => ready.forEach((h) => ctx.output(h, undefined, stream, text)),
  });
  for (const [host, outcome] of events.outcomes(finished)) outcomes.set(host, outcome);
  return outcomes;
}
