import { expect, test, type Page } from "@playwright/test";
import { ADMIN, apiLogin, login, PASSWORD, trpc } from "./auth";
import { expectAccessible } from "./axe";
import { shot } from "./helpers";

// Names unique to this run: specs share one server.
const suffix = Date.now().toString(36).slice(-5);
const project = `acme-${suffix}`;
const empty = `tmp-${suffix}`;
const member = `pm-${suffix}`;
const stays = `prj-lab-${suffix}`;
const moved = `prj-edge-${suffix}`;

async function confirm(page: Page) {
  const dialog = page.getByTestId("confirm-dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByTestId("confirm-ok").click();
  await expect(dialog).toBeHidden();
}

test("a server admin creates, renames and deletes projects, moves a site and gives a project role; the sites page groups by project", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await apiLogin(page.request, ADMIN.username, ADMIN.password);
  await trpc(page.request, "users.create", { username: member, password: PASSWORD });

  // --- Projects admin: create ----------------------------------------------------------------------------
  await page.goto("/admin/projects");
  await expect(page.getByRole("heading", { name: "Projects", level: 1 })).toBeVisible();
  await expect(page.getByTestId("delete-default")).toBeDisabled();
  for (const [slug, name] of [
    [project, "Acme"],
    [empty, "Scratch"],
  ]) {
    await page.getByTestId("project-slug").fill(slug!);
    await page.getByTestId("project-name").fill(name!);
    await page.getByTestId("project-create").click();
    await expect(page.getByTestId(`project-card-${slug}`)).toBeVisible();
  }
  await trpc(page.request, "sites.create", { slug: stays, name: "Acme lab", project });
  await trpc(page.request, "sites.create", { slug: moved, name: "Acme edge" });

  // --- Move a site, rename, members ---------------------------------------------------------------------
  await page.reload();
  const card = page.getByTestId(`project-card-${project}`);
  await expect(card.getByTestId(`project-site-${stays}`)).toBeVisible();
  await page.getByTestId(`move-${moved}`).selectOption(project);
  await page.getByTestId(`move-save-${moved}`).click();
  await expect(card.getByTestId(`project-site-${moved}`)).toBeVisible();
  await expect(card.getByText("2 sites")).toBeVisible();

  await card.getByTestId(`rename-open-${project}`).click();
  await card.getByTestId(`rename-${project}`).fill("Acme Corp");
  await card.getByTestId(`rename-save-${project}`).click();
  await expect(card.getByRole("heading", { name: "Acme Corp" })).toBeVisible();

  await card.getByTestId(`member-user-${project}`).selectOption(member);
  await card.getByTestId(`member-role-${project}`).selectOption("operator");
  await card.getByTestId(`member-add-${project}`).click();
  await expect(card.getByTestId(`project-member-${project}-${member}`)).toBeVisible();
  await expect(card.getByLabel(`Role of ${member} on project ${project}`)).toHaveValue("operator");
  await expect(card.getByTestId(`delete-${project}`)).toBeDisabled();
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, "projects-admin-top");
  await card.scrollIntoViewIfNeeded();
  await shot(page, "projects-admin");
  await expectAccessible(page, "projects admin");

  // --- Delete the empty one --------------------------------------------------------------------------
  await page.getByTestId(`delete-${empty}`).click();
  await confirm(page);
  await expect(page.getByTestId(`project-card-${empty}`)).toHaveCount(0);

  // --- The sites page groups by project ------------------------------------------------------------------
  await page.goto("/");
  const group = page.getByTestId(`project-${project}`);
  await expect(group.getByRole("heading", { name: "Acme Corp", level: 2 })).toBeVisible();
  await expect(group.locator(".site-card")).toHaveCount(2);
  await expect(group.getByRole("link", { name: "Acme edge" })).toBeVisible();
  await expect(page.getByTestId("project-default").locator(".site-card", { hasText: "Acme edge" })).toHaveCount(0);
  await group.scrollIntoViewIfNeeded();
  await shot(page, "projects-sites-grouped");
  await expectAccessible(page, "sites grouped by project");

  // A site's Members page says which project's roles reach it.
  await page.goto(`/sites/${stays}/members`);
  await expect(page.getByTestId("site-project")).toHaveText(project);

  // The member has the project's role on both of its sites, and sees only that project.
  const { context, page: mine } = await (async () => {
    const context = await browser.newContext();
    const p = await context.newPage();
    await login(p, member);
    return { context, page: p };
  })();
  await mine.goto("/");
  const theirs = mine.getByTestId(`project-${project}`);
  await expect(theirs.getByTestId(`project-role-${project}`)).toHaveText("project role: operator");
  await expect(theirs.getByTestId(`role-${stays}`)).toHaveText("your role: operator");
  await expect(theirs.getByTestId(`role-${moved}`)).toHaveText("your role: operator");
  await expect(mine.locator(".project-group")).toHaveCount(1);
  await shot(mine, "projects-member-sites");

  // A token scoped to the project, made on the Tokens page.
  await mine.goto("/tokens");
  await mine.getByTestId("token-name").fill("ci");
  await mine.getByTestId("token-site").selectOption(`project:${project}`);
  await mine.getByTestId("pick-role-operator").check();
  await expect(mine.getByTestId("pick-role-admin")).toBeDisabled();
  await mine.getByTestId("token-create").click();
  await expect(mine.getByTestId("new-token")).toBeVisible();
  await expect(mine.getByTestId("token-ci")).toContainText(`project ${project}`);
  await shot(mine, "projects-token");
  await context.close();
});
