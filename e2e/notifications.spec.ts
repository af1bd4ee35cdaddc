import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { login, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

const SLUG = "notified";
const SITE = {
  "inventory.yml": "kind: inventory\napi_version: v1beta1\nspec:\n  hosts: [{name: web-1}]\n  groups: [{name: all, connection: {transport: local}}]\n",
  "deploy.yml": `kind: blueprint
api_version: v1beta1
spec: {name: hello, steps: [{name: hello, action: cmd.run, params: {cmd: "echo hello"}}]}
---
kind: deployment
api_version: v1beta1
spec: {name: hello, stages: [{name: all, operations: [{blueprints: [hello], targets: [all]}]}]}
`,
};

test("notifications: a site admin sends approvals to a signed webhook and an address; the page shows the secret once and each delivery's status", async ({ page }) => {
  // A real receiver in this process: the server POSTs to it over loopback.
  const received: { body: string; signature: string }[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ body: Buffer.concat(chunks).toString("utf8"), signature: String(req.headers["x-flightdeck-signature"] ?? "") });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/flightdeck`;
  const dir = mkdtempSync(join(tmpdir(), "fd-e2e-notify-"));
  try {
    for (const [path, content] of Object.entries(SITE)) writeFileSync(join(dir, path), content);
    await login(page, "admin");
    await trpc(page.request, "sites.importPath", { slug: SLUG, name: "Notified", path: dir });
    await trpc(page.request, "sites.localExecution", { slug: SLUG, enabled: true });

    await page.goto(`/sites/${SLUG}/notifications`);
    await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();
    await expect(page.getByTestId("tab-notifications")).toHaveAttribute("aria-current", "page");
    // This server has no FLIGHTDECK_URL: the page says links are paths.
    await expect(page.getByTestId("notify-warning").first()).toContainText("FLIGHTDECK_URL");
    await shot(page, "96-notifications-empty");

    await page.getByTestId("add-webhook").click();
    await page.getByLabel("Webhook URL of rule 1").fill(hookUrl);
    await page.getByLabel("Approval requested to rule 1").check();
    await page.getByTestId("add-email").click();
    await page.getByLabel("E-mail address of rule 2").fill("ops@example.net");
    await page.getByTestId("save-rules").click();
    const secret = (await page.getByTestId("new-secret").textContent())!;
    expect(secret).toMatch(/^whsec_/);
    // Without an SMTP relay the page says e-mail rules will fail.
    await expect(page.getByTestId("notify-warning").filter({ hasText: "FLIGHTDECK_SMTP_URL" })).toBeVisible();
    await expect(page.getByTestId("rule-0")).toContainText("secret set");
    await shot(page, "96-notifications-secret-once");

    // A run that waits for approval notifies both targets; the webhook is signed with the secret shown above.
    const { id } = await trpc<{ id: number }>(page.request, "runs.launch", { slug: SLUG, deployment: "hello", reason: "e2e" });
    await expect.poll(() => received.length).toBe(1);
    const [hook] = received;
    expect(hook!.signature).toBe(`sha256=${createHmac("sha256", secret).update(hook!.body).digest("hex")}`);
    const payload = JSON.parse(hook!.body) as { kind: string; link: string; run: { id: number } };
    expect([payload.kind, payload.link, payload.run.id]).toEqual(["approval_requested", `/sites/${SLUG}/approvals`, id]);

    await page.reload();
    const rows = page.getByTestId("deliveries-table").locator("tbody tr");
    await expect(rows).toHaveCount(2);
    await expect(rows.filter({ hasText: hookUrl }).getByTestId("delivery-status")).toHaveText(/sent/);
    const mail = rows.filter({ hasText: "ops@example.net" });
    await expect(mail.getByTestId("delivery-status")).toHaveText(/failed/);
    await expect(mail).toContainText("FLIGHTDECK_SMTP_URL is not set");
    await expect(page.getByTestId("new-secret")).toHaveCount(0);
    await shot(page, "96-notifications-deliveries");
    await expectAccessible(page, "notifications");
    // The dark theme, as the header's switch sets it.
    await page.getByRole("button", { name: "Switch to the dark theme" }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await shot(page, "96-notifications-dark");

    // A bad URL is refused with its place, and nothing changes.
    await page.getByLabel("Webhook URL of rule 1").fill("ftp://example.net/x");
    await page.getByTestId("save-rules").click();
    await expect(page.getByTestId("rules-error")).toContainText("rules[0].target: 'ftp://example.net/x' must be http:// or https://");
    await shot(page, "96-notifications-error-dark");
    await page.getByRole("button", { name: "Switch to the light theme" }).click();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
