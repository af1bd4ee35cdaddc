import { expect, type Page } from "@playwright/test";

/** Screenshots kept as test artifacts, by name, for people to look at (in FD_E2E_SCREENS, default test-results/screens). */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${process.env.FD_E2E_SCREENS ?? "test-results/screens"}/${name}.png` });
}

/** The Monaco line (in the main editor) whose text contains `text`. */
export function editorLine(page: Page, text: string) {
  return page.getByTestId("yaml-editor").locator(".view-line", { hasText: text }).first();
}

/** Fails the test when the page talks to anything but this server (the product must work air-gapped). */
export function forbidExternalRequests(page: Page) {
  const external: string[] = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.protocol.startsWith("http") && url.hostname !== "127.0.0.1" && url.hostname !== "localhost") external.push(r.url());
  });
  return () => expect(external, "requests to hosts other than this server").toEqual([]);
}

/** The vertical centre of an element (Infinity while it is not rendered), to compare a squiggle's line with a text line. */
export async function middle(locator: ReturnType<Page["locator"]>): Promise<number> {
  const box = await locator.boundingBox({ timeout: 1000 }).catch(() => null);
  return box ? box.y + box.height / 2 : Infinity;
}
