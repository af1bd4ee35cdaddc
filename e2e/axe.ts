/**
 * Accessibility checked by a third-party engine: axe-core's WCAG 2.0/2.1 A and AA rules over the screen as it is,
 * in the light and the dark theme. Serious and critical violations fail the test (softly, so one run lists every
 * screen's), each named with its rule, help text and first few elements.
 */
import { AxeBuilder } from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FAILING = new Set(["serious", "critical"]);
type Theme = "light" | "dark";

const themeOf = (page: Page) => page.evaluate((): Theme => (document.documentElement.dataset.theme === "dark" ? "dark" : "light"));

/**
 * Switch the page to `theme` with its own toggle (so React and Monaco follow), or, where a screen has none (the
 * kiosk), the way the root layout applies the viewer's preference before paint: the `data-theme` attribute.
 * The toggle gets a click event rather than a pointer: an open dialog or menu stays open, and the focus stays put.
 */
async function switchTheme(page: Page, theme: Theme) {
  const toggle = page.locator(`button[aria-label="Switch to the ${theme} theme"]`).first();
  if (await toggle.count()) await toggle.dispatchEvent("click");
  else await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
  await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
  // Monaco re-themes in an effect: every editor on the page wears the new theme before axe reads colours.
  const monaco = page.locator(".monaco-editor:not(.gutter)"); // a diff editor's gutter has the class, not the theme
  for (let i = 0, n = await monaco.count(); i < n; i++) await expect(monaco.nth(i)).toContainClass(theme === "dark" ? "vs-dark" : "vs");
}

async function check(page: Page, label: string) {
  const results = await new AxeBuilder({ page })
    .withTags(TAGS)
    // Monaco's own rendering of the text, in its built-in vs/vs-dark token colours: YAML keys (#008080) on its
    // diff backgrounds, comments (#608b4e) in vs-dark, come out at 3.3-4.5:1. Changing them means themes of our
    // own for Monaco; until then the text lines are left out. Its gutters, labels and inputs are checked.
    .exclude(".monaco-editor .view-lines")
    // The line number of an empty last line is faint on purpose (Monaco's renderFinalNewline: "dimmed").
    .exclude(".monaco-editor .dimmed-line-number")
    .analyze();
  // FD_AXE_SHOTS=1: a screenshot of each screen in each theme, to look at (in FD_E2E_SCREENS, as ./helpers' shot).
  if (process.env.FD_AXE_SHOTS) await page.screenshot({ path: `${process.env.FD_E2E_SCREENS ?? "test-results/screens"}/axe/${label.replace(/[^\w-]+/g, "-").replace(/^-|-$/g, "")}.png` });
  const bad = results.violations.filter((v) => FAILING.has(v.impact ?? ""));
  const lines = bad.map((v) => {
    const targets = v.nodes.slice(0, 4).map((n) => `      ${n.target.join(" ")}${n.failureSummary ? ` (${n.failureSummary.split("\n").slice(1).join("; ").trim()})` : ""}`);
    return `  ${v.id} [${v.impact}, ${v.nodes.length} node${v.nodes.length === 1 ? "" : "s"}]: ${v.help}\n${targets.join("\n")}`;
  });
  expect.soft(lines, `axe: serious or critical WCAG violations on ${label}`).toEqual([]);
}

/**
 * Fails (softly) on serious or critical axe violations of the page as it is now, in its current theme and in the
 * other, and leaves it in the theme it had. `label` names the screen in the failure.
 */
export async function expectAccessible(page: Page, label: string) {
  // Transitions (kiosk tiles, step bars) finish at once, so colours are read at rest.
  await page.emulateMedia({ reducedMotion: "reduce" });
  const first = await themeOf(page);
  const other: Theme = first === "dark" ? "light" : "dark";
  await check(page, `${label} (${first} theme)`);
  await switchTheme(page, other);
  await check(page, `${label} (${other} theme)`);
  await switchTheme(page, first);
}
