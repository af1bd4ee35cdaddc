/**
 * Approvals, in two browsers: an operator requests a run, an approver opens the shared link, reviews the plan
 * and the diff since the last approved run, and approves; the requester's page (left open) moves live from
 * waiting to running to finished. A request made stale by a newer revision says so and is asked again; a
 * rejection reaches the requester with its reason. The site runs on the local transport.
 */
import { expect, test, type APIRequestContext } from "@playwright/test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, apiLogin, ensureUser, PASSWORD, signedIn, trpc } from "./auth";
import { forbidExternalRequests, shot } from "./helpers";
import { expectAccessible } from "./axe";

const SLUG = "approvals";
const FILE = "release.yml";

const siteYaml = (version: string) => `kind: inventory
api_version: v1beta1
spec:
  hosts:
  - {name: app-1, labels: {role: app}}
  - {name: app-2, labels: {role: app}}
  groups:
  - {name: all, connection: {transport: local}}
---
kind: blueprint
api_version: v1beta1
spec:
  name: app.release
  steps:
  - {name: announce, action: cmd.run, params: {cmd: "echo release ${version} on {{ host.name }}"}}
  - {name: roll, action: cmd.run, params: {cmd: "sleep 3; echo rolled"}}
---
kind: deployment
api_version: v1beta1
meta: {title: App release}
spec:
  name: release
  stages: [{name: release, operations: [{blueprints: [app.release], targets: [role=app]}]}]
`;

let dir: string;
let admin: APIRequestContext;
let operatorApi: APIRequestContext;
let approverApi: APIRequestContext;

async function head(): Promise<number> {
  return (await trpc<{ revision: number }>(admin, "sites.get", { slug: SLUG }, "query")).revision;
}

/** A new revision of the site file, saved by the admin: `from` becomes `to`. */
async function saveChange(from: string, to: string, message: string): Promise<number> {
  const { revision, files } = await trpc<{ revision: number; files: { path: string; content: string }[] }>(admin, "files.list", { slug: SLUG }, "query");
  const content = files.find((f) => f.path === FILE)!.content;
  expect(content).toContain(from);
  await trpc(admin, "files.save", { slug: SLUG, baseRevision: revision, changes: [{ path: FILE, content: content.replace(from, to) }], message });
  return revision + 1;
}

async function waitForStatus(id: number, status: string) {
  await expect.poll(async () => (await trpc<{ run: { status: string } }>(admin, "runs.get", { id }, "query")).run.status, { timeout: 30_000 }).toBe(status);
}

test.beforeAll(async ({ playwright }) => {
  const baseURL = test.info().project.use.baseURL;
  dir = mkdtempSync(join(tmpdir(), "fd-e2e-approvals-"));
  mkdirSync(join(dir, "site"));
  writeFileSync(join(dir, "site", FILE), siteYaml("v1"));

  admin = await playwright.request.newContext({ baseURL });
  await apiLogin(admin, "admin", ADMIN.password);
  await trpc(admin, "sites.importPath", { slug: SLUG, name: "Approvals test", path: join(dir, "site") });
  await trpc(admin, "sites.settings", { slug: SLUG, approvalsRequired: 1 });
  await trpc(admin, "sites.localExecution", { slug: SLUG, enabled: true });
  await ensureUser(admin, "olivia", SLUG, "operator");
  await ensureUser(admin, "adam", SLUG, "approver");
  await ensureUser(admin, "vic", SLUG, "viewer");
  operatorApi = await playwright.request.newContext({ baseURL });
  await apiLogin(operatorApi, "olivia", PASSWORD);
  approverApi = await playwright.request.newContext({ baseURL });
  await apiLogin(approverApi, "adam", PASSWORD);

  // A first approved run at revision 1: later requests are reviewed against it.
  const { id } = await trpc<{ id: number }>(operatorApi, "runs.launch", { slug: SLUG, deployment: "release", reason: "First release" });
  await trpc(approverApi, "runs.approve", { id, comment: "baseline" });
  await waitForStatus(id, "succeeded");
  // Then the site changes: v1 becomes v2.
  await saveChange("echo release v1", "echo release v2", "Release v2");
});

test.afterAll(async () => {
  await Promise.all([admin?.dispose(), operatorApi?.dispose(), approverApi?.dispose()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("an operator requests a run; an approver reviews plan and diff from the shared link and approves; the requester's page goes live", async ({ browser }) => {
  const revision = await head();
  const operator = await signedIn(browser, "olivia");
  const op = operator.page;
  const noExternal = forbidExternalRequests(op);

  // The operator requests a run: the dialog says it will wait, and asks why.
  await op.goto(`/sites/${SLUG}/deployments`);
  await expect(op.getByTestId("approval-note")).toContainText("need one approval");
  await op.getByTestId("launch-release").click();
  const dialog = op.getByTestId("launch-dialog");
  await expect(dialog.getByRole("heading")).toHaveText("Request a run of App release");
  await expect(dialog.getByTestId("needs-approval")).toContainText("It will wait for an approver");
  await expect(dialog.getByTestId("dialog-submit")).toBeDisabled();
  await dialog.getByLabel(/Reason/).fill("Ship v2 to the app servers");
  await shot(op, "20-request-dialog");
  await expectAccessible(op, "the run request dialog");
  await dialog.getByTestId("dialog-submit").click();
  await expect(op).toHaveURL(new RegExp(`/sites/${SLUG}/runs/\\d+$`));
  const url = op.url();
  const id = Number(url.split("/").pop());

  // Waiting, and not theirs to approve.
  await expect(op.getByTestId("run-status")).toHaveAttribute("data-status", "awaiting_approval");
  await expect(op.getByTestId("waiting-banner")).toContainText("Waiting for approval · 0 of 1 approval");
  await expect(op.getByTestId("cannot-review")).toContainText("waiting for another approver");
  await expect(op.getByTestId("approve")).toHaveCount(0);
  await expect(op.getByTestId("share-url")).toHaveValue(url);
  await shot(op, "21-requester-waiting");
  await expectAccessible(op, "a run awaiting approval, as its requester");
  // The page must follow the run without reloading: this mark would be gone after a reload.
  await op.evaluate(() => ((window as unknown as { fdMark: number }).fdMark = 42));

  // The approver sees the request on the Approvals tab (with its count), then opens the shared link.
  const approver = await signedIn(browser, "adam");
  const ap = approver.page;
  await ap.goto(`/sites/${SLUG}/approvals`);
  await expect(ap.getByTestId("approvals-count")).toHaveText("1");
  const card = ap.getByTestId(`approval-${id}`);
  await expect(card).toContainText("olivia");
  await expect(card).toContainText("Ship v2 to the app servers");
  await expect(card.getByTestId("stale-badge")).toHaveCount(0);
  await shot(ap, "22-approvals-tab");
  await expectAccessible(ap, "the approvals tab");

  await ap.goto(url);
  await expect(ap.getByTestId("run-status")).toHaveAttribute("data-status", "awaiting_approval");
  await expect(ap.getByTestId("requested-by")).toHaveText("olivia");
  await expect(ap.getByTestId("run-reason")).toHaveText("Ship v2 to the app servers");
  // What will run: hosts, steps, batches.
  const plan = ap.getByTestId("review-plan");
  await expect(plan).toContainText("2 hosts · 2 steps");
  await expect(plan).toContainText("app-1, app-2");
  await expect(plan).toContainText("announce");
  await expect(plan).toContainText("sleep 3; echo rolled");
  // What changed since the last approved run (the baseline at revision 1).
  const changes = ap.getByTestId("review-changes");
  await expect(changes.getByTestId("diff-range")).toContainText(`at revision #1 → this request at #${revision}`);
  await expect(changes.getByTestId(`changed-${FILE}`)).toContainText("+1");
  const diff = changes.getByTestId("diff-editor");
  // Inline first (the changed line reads in full), then side by side.
  await expect(diff.locator(".modified .view-line", { hasText: "echo release v2" })).toBeVisible();
  await ap.getByTestId("review-comment").fill("Plan and diff look right");
  await shot(ap, "23-review");
  await changes.scrollIntoViewIfNeeded();
  await expect(diff.locator(".line-delete, .char-delete").first()).toBeVisible();
  await shot(ap, "23-review-diff-inline");
  await expectAccessible(ap, "a run awaiting approval, as an approver (review)");
  await ap.getByRole("button", { name: "Switch to the dark theme" }).click();
  await shot(ap, "23-review-diff-dark");
  await ap.getByRole("button", { name: "Switch to the light theme" }).click();
  await changes.getByRole("button", { name: "Side by side" }).click();
  await expect(diff.locator(".original .view-line", { hasText: "echo release v1" })).toBeVisible();
  await expect(diff.locator(".modified .view-line", { hasText: "echo release v2" })).toBeVisible();
  await ap.getByTestId("approve").click();

  // The requester's page, left open, moves on by itself: approved, running, then done.
  await expect(op.getByTestId("run-status")).toHaveAttribute("data-status", "running");
  await expect(op.getByTestId("run-message")).toContainText("Approved by adam: Plan and diff look right");
  await expect(op.getByTestId("chip-app-1-roll")).toHaveAttribute("data-status", "running");
  await shot(op, "24-requester-running");
  await expect(op.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded", { timeout: 20_000 });
  await expect(op.getByTestId("chip-app-2-roll")).toHaveAttribute("data-status", "changed");
  expect(await op.evaluate(() => (window as unknown as { fdMark?: number }).fdMark)).toBe(42);
  await shot(op, "25-requester-done");
  await expectAccessible(op, "an approved run, finished");

  // The approver's page went the same way, and the request left the Approvals tab.
  await expect(ap.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
  await expect(ap.getByTestId("tab-approvals").getByTestId("approvals-count")).toHaveCount(0);
  noExternal();
  await operator.context.close();
  await approver.context.close();
});

test("a stale request says so and is asked again at the newest revision; a rejection reaches the requester with its reason", async ({ browser }) => {
  const before = await head();
  const { id } = await trpc<{ id: number }>(operatorApi, "runs.launch", { slug: SLUG, deployment: "release", reason: "Ship v3" });
  const now = await saveChange("echo release v2", "echo release v3", "Release v3");

  // The approver opens it: a banner says what happened, and there is nothing to approve.
  const approver = await signedIn(browser, "adam");
  const ap = approver.page;
  await ap.goto(`/sites/${SLUG}/approvals`);
  await expect(ap.getByTestId(`approval-${id}`).getByTestId("stale-badge")).toBeVisible();
  await ap.goto(`/sites/${SLUG}/runs/${id}`);
  await expect(ap.getByTestId("stale-banner")).toContainText(`The site changed since this request (revision #${before}, now #${now})`);
  await expect(ap.getByTestId("approve")).toHaveCount(0);
  await shot(ap, "26-stale");
  await expectAccessible(ap, "a stale request");
  await ap.getByRole("button", { name: "Switch to the dark theme" }).click();
  await shot(ap, "26-stale-dark");
  await ap.getByRole("button", { name: "Switch to the light theme" }).click();

  // The requester asks again: a new request at the newest revision, and the old one is superseded.
  const operator = await signedIn(browser, "olivia");
  const op = operator.page;
  await op.goto(`/sites/${SLUG}/runs/${id}`);
  await op.getByTestId("rerequest").click();
  await expect(op).not.toHaveURL(new RegExp(`/runs/${id}$`));
  const next = Number(op.url().split("/").pop());
  expect(next).toBeGreaterThan(id);
  await expect(op.getByTestId("run-status")).toHaveAttribute("data-status", "awaiting_approval");
  await expect(op.getByTestId("stale-banner")).toHaveCount(0);
  await expect(op.getByTestId("run-reason")).toHaveText("Ship v3");
  // The stale page of the approver follows: the old request is cancelled, with why.
  await expect(ap.getByTestId("run-status")).toHaveAttribute("data-status", "cancelled");
  await expect(ap.getByTestId("run-message")).toContainText(`Superseded by run ${next}`);

  // The approver rejects the new one; a rejection needs a reason.
  await ap.goto(`/sites/${SLUG}/runs/${next}`);
  await expect(ap.getByTestId("diff-range")).toContainText(`→ this request at #${now}`);
  await ap.getByTestId("reject").click();
  await expect(ap.getByRole("alert").filter({ hasText: "Say why you reject it" })).toBeVisible();
  await ap.getByTestId("review-comment").fill("Not during business hours");
  await ap.getByTestId("reject").click();

  // The requester's page shows the decision and why, live.
  await expect(op.getByTestId("run-status")).toHaveAttribute("data-status", "rejected");
  await expect(op.getByTestId("run-message")).toContainText("Rejected by adam: Not during business hours");
  await expect(op.getByTestId("reviews")).toContainText("adam rejected");
  await shot(op, "27-rejected");
  await expectAccessible(op, "a rejected run");

  // The runs list tells the statuses apart.
  await op.goto(`/sites/${SLUG}/runs`);
  await expect(op.getByTestId(`run-row-${next}`)).toContainText("rejected");
  await expect(op.getByTestId(`run-row-${id}`)).toContainText("cancelled");
  await shot(op, "28-runs-list");
  await expectAccessible(op, "the runs list");
  await operator.context.close();
  await approver.context.close();
});

test("a viewer reads the site, its plans and its requests, and is offered nothing to change", async ({ browser }) => {
  const { id } = await trpc<{ id: number }>(operatorApi, "runs.launch", { slug: SLUG, deployment: "release", reason: "Viewer check" });
  const viewer = await signedIn(browser, "vic");
  const page = viewer.page;

  await page.goto(`/sites/${SLUG}/files/${FILE}`);
  await expect(page.getByTestId("read-only-note")).toContainText("You are a viewer on this site");
  await expect(page.getByTestId("yaml-editor").locator(".view-line", { hasText: "kind: inventory" }).first()).toBeVisible();
  await expect(page.getByRole("button", { name: /^Save/ })).toHaveCount(0);
  // Typing changes nothing: the editor is read-only.
  await page.getByTestId("yaml-editor").locator(".view-line", { hasText: "kind: inventory" }).first().click();
  await page.keyboard.type("x");
  await expect(page.getByText(/unsaved/)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "+ New" })).toHaveCount(0);
  await expect(page.getByTestId("tab-members")).toHaveCount(0);
  await shot(page, "29-viewer-files");
  await expectAccessible(page, "the editor, read-only for a viewer");

  await page.goto(`/sites/${SLUG}/deployments`);
  await expect(page.getByTestId("viewer-note")).toBeVisible();
  await expect(page.getByTestId("launch-release")).toHaveCount(0);

  await page.goto(`/sites/${SLUG}/runs/${id}`);
  await expect(page.getByTestId("cannot-review")).toContainText("An approver of approvals decides");
  await expect(page.getByTestId("approve")).toHaveCount(0);
  await expect(page.getByTestId("cancel-run")).toHaveCount(0);
  await viewer.context.close();
  await trpc(operatorApi, "runs.cancel", { id });
});
