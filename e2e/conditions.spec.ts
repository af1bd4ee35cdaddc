/**
 * The plan preview shows a step's success and continue conditions (issue 16), as it shows when, sync and run_once:
 * what an approver should know holds or fails a step that exits 0.
 */
import { expect, test } from "@playwright/test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-conditions-"));
  mkdirSync(join(dir, "site"));
  writeFileSync(
    join(dir, "site", "site.yml"),
    `kind: inventory
api_version: v1beta1
spec:
  hosts: [{name: node-1, connection: {address: 127.0.9.1}}, {name: node-2, connection: {address: 127.0.9.2}}]
---
kind: macro
api_version: v1beta1
spec: {name: cluster_healthy, command: "echo true", on: {host: node-1}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: join
  steps:
  - {name: generate token, action: cmd.run, run_once: true, params: {cmd: "kubeadm token create"}}
  - name: join node
    action: cmd.run
    params: {cmd: "kubeadm join --token {{ steps['generate token'].stdout | trim }}"}
    success: {condition: "'joined' in result.stdout"}
    continue: {condition: "macros.cluster_healthy()", retry: {interval: 15s, limit: 20}}
---
kind: deployment
api_version: v1beta1
meta: {title: Join the cluster}
spec:
  name: cluster
  stages: [{name: join, operations: [{blueprints: [join], targets: [all], run_options: {serial: 1}}]}]
`,
  );
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.beforeEach(async ({ page }) => login(page, "admin"));

test("the plan preview shows success and continue conditions", async ({ page }) => {
  await trpc(page.request, "sites.importPath", { slug: "conditions", name: "Conditions", path: join(dir, "site") });
  await page.goto("/sites/conditions/deployments");
  const preview = page.getByTestId("deployment-cluster");
  await expect(preview).toContainText("Join the cluster");
  await expect(preview).toContainText("success 'joined' in result.stdout");
  await expect(preview).toContainText("continue when macros.cluster_healthy()");
  await expect(preview.getByTitle(/checked 21 times, 15 s apart/)).toBeVisible();
  await shot(page, "90-plan-conditions");
  await expectAccessible(page, "the plan preview with success and continue conditions");
});
