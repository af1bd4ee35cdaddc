/**
 * A playbook run on the sshd fleet, launched and watched from the dashboard: the plan preview lists the playbook's
 * tasks, task chips appear live while ansible-playbook still runs (the test holds it on files it creates only after
 * seeing the chips it waits for: no sleeps), a failing task fails its host, a host that is down is unreachable
 * (never failed), and the host drawer shows the tasks under their step with each task's output.
 */
import { expect, test } from "@playwright/test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findAnsiblePlaybook } from "../server/ansible/syntax-check";
import { findSandbox } from "../server/transports/sandbox";
import { startFleet, type Fleet } from "../test/fleet/fleet";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { forbidExternalRequests, shot } from "./helpers";

const sandbox = findSandbox({ hide: [], runUser: "nobody" });
const missing = !findAnsiblePlaybook(process.env.PATH ?? "") ? "ansible-playbook is not installed (apt-get install ansible-core)" : !sandbox.ok ? `no sandbox for local steps: ${sandbox.message}` : null;
const SLUG = "playbook";

let fleet: Fleet;
let dir: string;
let gate: string;
let gate2: string;

test.beforeAll(async () => {
  if (missing) return;
  fleet = await startFleet({ hosts: 3, namePrefix: "pb-", logLevel: "ERROR" });
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-playbook-"));
  gate = join(dir, "gate-1");
  gate2 = join(dir, "gate-2");
  const hosts = fleet.hosts.map((h) => `  - {name: ${h.name}, labels: {role: web}, connection: {address: ${h.address}, port: ${h.port}}}`).join("\n");
  const files: Record<string, string> = {
    "inventory.yml": `kind: inventory
api_version: v1beta1
spec:
  hosts:
${hosts}
  groups:
  - {name: all, connection: {user: ${fleet.user}, key_file: ${fleet.clientKeyPath}, known_hosts: ${fleet.knownHostsPath}, connect_timeout: 5s}, data: {gate: ${gate}, gate2: ${gate2}}}
`,
    "deploy.yml": `kind: blueprint
api_version: v1beta1
spec:
  name: web
  steps:
  - {name: configure, action: ansible.playbook, params: {playbook: playbooks/site.yml}}
  - {name: verify, action: cmd.run, params: {cmd: "echo verified {{ host.name }}"}}
---
kind: deployment
api_version: v1beta1
meta: {title: Web servers with Ansible}
spec:
  name: web
  stages: [{name: web, operations: [{blueprints: [web], targets: [role=web], run_options: {max_fail_percentage: 100}}]}]
`,
    // Tasks listed ahead by ansible-playbook --list-tasks, then an include whose tasks only show as they start.
    "playbooks/site.yml": `- hosts: all
  gather_facts: false
  tasks:
  - name: hello
    command: echo hello from {{ inventory_hostname }}
  - name: wait for the test
    wait_for: {path: "{{ gate }}", timeout: 120}
  - name: fail on pb-2
    shell: echo "pb-2 is broken" >&2; exit 3
    when: inventory_hostname == 'pb-2'
  - name: more tasks
    include_tasks: more.yml
`,
    // A playbook with many tasks (debug runs on the controller: no host needs to answer).
    "many.yml": `kind: blueprint
api_version: v1beta1
spec:
  name: many
  steps:
  - {name: bulk, action: ansible.playbook, params: {playbook: playbooks/many.yml}}
---
kind: deployment
api_version: v1beta1
meta: {title: Thirty tasks}
spec:
  name: many
  stages: [{name: all, operations: [{blueprints: [many], targets: [role=web]}]}]
`,
    "playbooks/many.yml": `- hosts: all
  gather_facts: false
  tasks:
${Array.from({ length: 30 }, (_, i) => `  - name: check ${String(i + 1).padStart(2, "0")}\n    debug: {msg: "check ${i + 1} on {{ inventory_hostname }}"}`).join("\n")}
`,
    "playbooks/more.yml": `- name: second wait
  wait_for: {path: "{{ gate2 }}", timeout: 120}
- name: after
  command: echo after {{ inventory_hostname }}
`,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "site", path)), { recursive: true });
    writeFileSync(join(dir, "site", path), content);
  }
});

test.afterAll(async () => {
  await fleet?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a playbook run from the dashboard: tasks appear live, a failed task, an unreachable host, tasks in the drawer", async ({ page }) => {
  test.skip(missing !== null, missing ?? "");
  test.setTimeout(180_000);
  const noExternal = forbidExternalRequests(page);
  await login(page, "admin");
  await trpc(page.request, "sites.importPath", { slug: SLUG, name: "Playbook fleet", path: join(dir, "site") });
  // ansible-playbook runs on the server, as local steps do: a server admin's decision for the site.
  await trpc(page.request, "sites.localExecution", { slug: SLUG, enabled: true });
  await trpc(page.request, "sites.settings", { slug: SLUG, approvalsRequired: 0 });

  // The plan preview lists the playbook's tasks under its step (the include's tasks cannot be known ahead).
  await page.goto(`/sites/${SLUG}/deployments`);
  const preview = page.getByTestId("deployment-web");
  const tasks = preview.getByTestId("plan-tasks-configure");
  await expect(tasks.getByRole("listitem")).toHaveText(["1.1hello", "1.2wait for the test", "1.3fail on pb-2", "1.4more tasks"]);
  await expect(preview.getByRole("heading", { name: /2 steps, in order · 4 playbook tasks/ })).toBeVisible();
  await expect(preview).toContainText("3 hosts · 2 steps and 4 playbook tasks (18 host-steps)");
  await shot(page, "80-plan-preview-tasks");
  await expectAccessible(page, "the plan preview with playbook tasks");

  await fleet.stopHost(2);
  try {
    await page.getByTestId("launch-web").click();
    await page.getByTestId("dialog-submit").click();
    await expect(page).toHaveURL(/\/sites\/playbook\/runs\/\d+$/);
    const chip = (host: string, step: string) => page.getByTestId(`chip-${host}-${step}`);

    // The first task's results and the next task's start are on the page while the playbook waits for the gate.
    await expect(chip("pb-1", "configure/hello")).toHaveAttribute("data-status", "changed");
    await expect(chip("pb-1", "configure/wait for the test")).toHaveAttribute("data-status", "running");
    await expect(chip("pb-2", "configure/wait for the test")).toHaveAttribute("data-status", "running");
    await expect(chip("pb-3", "configure/hello")).toHaveAttribute("data-status", "unreachable");
    await expect(chip("pb-1", "configure")).toHaveAttribute("data-status", "running");
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "running");
    // The included tasks are not known yet: no chip.
    await expect(chip("pb-1", "configure/second wait")).toHaveCount(0);
    await expect(page.getByTestId("host-note-pb-1")).toContainText("configure · wait for the test");
    writeFileSync(gate, "");

    // The include's first task appears, running, while the playbook is still going (it waits on the second gate).
    await expect(chip("pb-1", "configure/second wait")).toHaveAttribute("data-status", "running");
    await expect(chip("pb-2", "configure/fail on pb-2")).toHaveAttribute("data-status", "failed");
    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "running");
    await expect(page.getByTestId("progress-percent")).not.toHaveText("100%");
    await shot(page, "81-playbook-mid-run");
    await expectAccessible(page, "a playbook run in progress");
    writeFileSync(gate2, "");

    await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "failed");
  } finally {
    await fleet.startHost(2);
  }
  const chip = (host: string, step: string) => page.getByTestId(`chip-${host}-${step}`);
  await expect(chip("pb-1", "configure/after")).toHaveAttribute("data-status", "changed");
  await expect(chip("pb-1", "verify")).toHaveAttribute("data-status", "changed");
  await expect(page.getByTestId("host-row-pb-2")).toHaveAttribute("data-status", "failed");
  // Unreachable is never failed: the host, its playbook step and its first task.
  await expect(page.getByTestId("host-row-pb-3")).toHaveAttribute("data-status", "unreachable");
  await expect(chip("pb-3", "configure")).toHaveAttribute("data-status", "unreachable");
  await expect(page.getByTestId("segment-unreachable")).toHaveAttribute("data-count", "2"); // pb-3's first task and its playbook step
  await expect(page.getByTestId("segment-failed")).toHaveAttribute("data-count", "2"); // pb-2's task and its playbook step
  await expect(page.getByTestId("host-note-pb-3")).toHaveAttribute("data-tone", "unreachable");
  await shot(page, "82-playbook-finished");
  await expectAccessible(page, "a finished playbook run");

  // The drawer on the failed task: the tasks under their step, the task's own output.
  await chip("pb-2", "configure/fail on pb-2").click();
  await expect(page).toHaveURL(/\/hosts\/pb-2\/steps\/configure\/fail%20on%20pb-2$/);
  const drawer = page.getByTestId("host-drawer");
  await expect(drawer.getByTestId("drawer-step-configure/fail on pb-2")).toHaveAttribute("data-parent", "configure");
  await expect(drawer.getByTestId("drawer-step-configure/fail on pb-2")).toHaveAttribute("data-status", "failed");
  await expect(drawer.getByTestId("drawer-tasks-configure")).toContainText("playbooks/site.yml · 4 of 4 tasks done: 1 ok, 1 changed, 1 failed, 1 skipped");
  await expect(drawer.getByTestId("log-tail")).toContainText("pb-2 is broken");
  await expect(drawer.getByTestId("log-tail")).not.toContainText("hello from");
  await shot(page, "83-drawer-failed-task");
  await expectAccessible(page, "the host drawer on a failed task");

  // The playbook step itself: its whole output, each task under its name.
  await page.goto(`${page.url().replace(/\/hosts\/.*$/, "")}/hosts/pb-1/steps/configure`);
  await expect(drawer.getByTestId("drawer-step-configure/second wait")).toHaveAttribute("data-status", "ok");
  const log = drawer.getByTestId("log-tail");
  await expect(log).toContainText("── TASK hello ──");
  await expect(log).toContainText("hello from pb-1");
  await expect(log).toContainText("after pb-1");
  await expect(log).not.toContainText("verified");
  await shot(page, "84-drawer-playbook-step");
  await page.locator('button[aria-label="Switch to the dark theme"]').first().click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await shot(page, "84-drawer-playbook-step-dark");
  await page.locator('button[aria-label="Switch to the light theme"]').first().click();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  // Folding the step hides its tasks.
  await drawer.getByTestId("drawer-fold-configure").click();
  await expect(drawer.getByTestId("drawer-step-configure/hello")).toHaveCount(0);
  await drawer.getByTestId("drawer-fold-configure").click();
  await expect(drawer.getByTestId("drawer-step-configure/hello")).toBeVisible();

  // Grouped by playbook: one chip per host with a bar of its tasks.
  await page.getByTestId("tasks-grouped").click();
  await expect(page.getByTestId("group-pb-1-configure")).toHaveAttribute("data-done", "6");
  await expect(page.getByTestId("group-pb-3-configure")).toHaveAttribute("data-status", "unreachable");
  await expect(chip("pb-1", "configure/hello")).toHaveCount(0);
  await shot(page, "85-playbook-grouped");
  await expectAccessible(page, "a playbook run grouped by playbook");
  noExternal();
});

test("a playbook with many tasks: the review lists them, the grid groups them, the drawer lists each", async ({ page }) => {
  test.skip(missing !== null, missing ?? "");
  test.setTimeout(120_000);
  await login(page, "admin");
  await trpc(page.request, "sites.importPath", { slug: SLUG, name: "Playbook fleet", path: join(dir, "site") });
  await trpc(page.request, "sites.localExecution", { slug: SLUG, enabled: true });

  // Under review, the plan lists the playbook's tasks (the first few, then all on request).
  await trpc(page.request, "sites.settings", { slug: SLUG, approvalsRequired: 1 });
  const { id: waiting } = await trpc<{ id: number }>(page.request, "runs.launch", { slug: SLUG, deployment: "many", reason: "thirty checks" });
  await page.goto(`/sites/${SLUG}/runs/${waiting}`);
  await expect(page.getByTestId("review-plan")).toContainText("3 hosts · 1 step and 30 playbook tasks (93 host-steps)");
  const tasks = page.getByTestId("plan-tasks-bulk");
  await expect(tasks.getByRole("listitem")).toHaveCount(12);
  await tasks.getByRole("button", { name: "Show all 30 tasks" }).click();
  await expect(tasks.getByRole("listitem")).toHaveCount(30);
  await shot(page, "86-review-plan-tasks");
  await expectAccessible(page, "a run under review with a playbook's tasks");
  await trpc(page.request, "runs.cancel", { id: waiting });

  await trpc(page.request, "sites.settings", { slug: SLUG, approvalsRequired: 0 });
  const { id } = await trpc<{ id: number }>(page.request, "runs.launch", { slug: SLUG, deployment: "many", reason: "" });
  await page.goto(`/sites/${SLUG}/runs/${id}`);
  await expect(page.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  // Thirty tasks: one chip per host with a bar of them, until the user asks for each task.
  await expect(page.getByTestId("tasks-grouped")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("group-pb-2-bulk")).toHaveAttribute("data-done", "30");
  await expect(page.getByTestId("chip-pb-2-bulk/check 07")).toHaveCount(0);
  await shot(page, "87-many-tasks-grouped");
  await page.getByTestId("tasks-each").click();
  await expect(page.getByTestId("chip-pb-2-bulk/check 07")).toHaveAttribute("data-status", "ok");
  // The rows stay inside the grid: it scrolls sideways rather than overflowing the page.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  await page.getByTestId("group-pb-2-bulk").or(page.getByTestId("chip-pb-2-bulk")).click();
  const drawer = page.getByTestId("host-drawer");
  await expect(drawer.getByTestId("drawer-tasks-bulk")).toContainText("30 of 30 tasks done: 30 ok");
  await expect(drawer.locator("tr[data-parent='bulk']")).toHaveCount(30);
  await expect(drawer.getByTestId("log-tail")).toContainText("check 30 on pb-2");
  await shot(page, "88-drawer-many-tasks");
  await expectAccessible(page, "the drawer on a playbook step with many tasks");
});
