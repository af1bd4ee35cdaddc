import { expect, test, type APIRequestContext } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { ADMIN, apiLogin, ensureUser, login, PASSWORD, trpc } from "./auth";
import { editorLine, shot } from "./helpers";
import { expectAccessible } from "./axe";

/** Save a change as whoever `request` is signed in as (the server names the revision's author). */
async function saveThroughApi(request: APIRequestContext, slug: string, path: string, edit: (s: string) => string, message: string) {
  const { revision, files } = await trpc<{ revision: number; files: { path: string; content: string }[] }>(request, "files.list", { slug }, "query");
  const content = edit(files.find((f) => f.path === path)!.content);
  await trpc(request, "files.save", { slug, baseRevision: revision, changes: [{ path, content }], message });
  return revision + 1;
}

test("a revision saved elsewhere reaches open pages live", async ({ browser, request, playwright, baseURL }) => {
  // A colleague (an operator of the site) saves through the API, in a session of their own, while this page is open.
  await apiLogin(request, "admin", ADMIN.password);
  await ensureUser(request, "colleague", "ha-kvm", "operator");
  const colleague = await playwright.request.newContext({ baseURL });
  await apiLogin(colleague, "colleague", PASSWORD);

  // A page of its own context (axe, in expectAccessible, needs one made by browser.newContext).
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await login(viewer, "admin");
  await viewer.goto("/sites/ha-kvm/files/profiles.yml");
  await expect(editorLine(viewer, "name: base-server")).toBeVisible();
  const before = Number((await viewer.getByText(/^rev \d+$/).textContent())!.replace("rev ", ""));

  // Nothing unsaved here: the page follows the new revision by itself.
  const next = await saveThroughApi(colleague, "ha-kvm", "profiles.yml", (s) => s.replace("timezone: UTC", "timezone: Europe/Paris"), "Paris time");
  expect(next).toBe(before + 1);
  await expect(viewer.getByText(`rev ${next}`)).toBeVisible();
  await expect(editorLine(viewer, "timezone: Europe/Paris")).toBeVisible();

  // With unsaved edits, the page says what happened and keeps the user's text until they choose.
  await editorLine(viewer, "timezone: Europe/Paris").click();
  await viewer.keyboard.press("End");
  await viewer.keyboard.type("-mine");
  const third = await saveThroughApi(colleague, "ha-kvm", "profiles.yml", (s) => s.replace("vcpus: 2", "vcpus: 3"), "More CPUs");
  const notice = viewer.getByRole("status").filter({ hasText: `Revision ${third} was saved by colleague` });
  await expect(notice).toBeVisible();
  await expect(editorLine(viewer, "timezone: Europe/Paris-mine")).toBeVisible();
  await shot(viewer, "07-remote-revision-notice");
  await expectAccessible(viewer, "the editor with a remote revision notice");

  // Leaving the site with unsaved edits asks first; dismissing keeps the user here.
  viewer.once("dialog", (d) => void d.dismiss());
  await viewer.getByRole("link", { name: "Sites", exact: true }).click();
  await expect(viewer).toHaveURL(/\/sites\/ha-kvm\/files\/profiles\.yml/);

  await notice.getByRole("button", { name: `Discard mine and load revision ${third}` }).click();
  await expect(viewer.getByText(`rev ${third}`)).toBeVisible();
  await expect(editorLine(viewer, "timezone: Europe/Paris")).toBeVisible();
  await expect(editorLine(viewer, "-mine")).toHaveCount(0);
  await viewerContext.close();
  await colleague.dispose();
});

test("export a site as .tgz and import it back through the dashboard, unchanged", async ({ page }) => {
  await login(page, "admin");
  await page.goto("/");
  const download = page.waitForEvent("download");
  const card = page.locator(".site-card", { hasText: "HA MAAS on KVM" });
  await card.getByTestId("export-menu").click();
  await card.getByRole("menuitem", { name: /Site archive \(\.tgz\)/ }).click();
  const file = await (await download).path();

  const form = page.locator("form", { hasText: "Import a site" });
  await form.getByLabel("Name").fill("Round trip");
  await form.getByLabel(/Archive/).setInputFiles({ name: "ha-kvm.tgz", mimeType: "application/gzip", buffer: await readFile(file) });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/sites\/round-trip\/files/);
  await shot(page, "08-imported-site");

  const files = async (slug: string) => {
    const res = await page.request.get(`/api/trpc/files.list?input=${encodeURIComponent(JSON.stringify({ slug }))}`);
    return ((await res.json()) as { result: { data: { files: unknown[] } } }).result.data.files;
  };
  expect(await files("round-trip")).toEqual(await files("ha-kvm"));

  // A file that is not an archive gets a clear message, and no site.
  await page.goto("/");
  await form.getByLabel("Name").fill("Broken");
  await form.getByLabel(/Archive/).setInputFiles({ name: "notes.tgz", mimeType: "application/gzip", buffer: Buffer.from("not an archive") });
  await form.getByRole("button", { name: "Import" }).click();
  await expect(form.getByRole("alert")).toContainText("notes.tgz: not a valid tar archive");
  expect((await page.request.get("/api/v1/sites")).ok()).toBeTruthy();
  expect(JSON.stringify(await (await page.request.get("/api/v1/sites")).json())).not.toContain('"broken"');
});
