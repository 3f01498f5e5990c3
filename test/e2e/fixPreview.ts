/**
 * The fix preview as a person sees it: a webview with the plan (root cause, policy, validation)
 * beside a diff editor of each changed file; its Apply button writes the fix.
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { poll, squash } from './workbenchDriver';

/**
 * The content frame of the webview whose text matches `text`: the workbench hosts each webview in
 * an `iframe.webview`, whose own `#active-frame` holds the extension's page.
 */
export async function findWebview(page: Page, text: RegExp, timeoutMs: number): Promise<FrameLocator> {
  let found: FrameLocator | undefined;
  let seen: string[] = [];
  await poll(
    async () => {
      const hosts = await page.locator('iframe.webview').count();
      seen = [];
      for (let i = 0; i < hosts; i++) {
        const inner = page.frameLocator('iframe.webview').nth(i).frameLocator('#active-frame');
        const body = await inner
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => '');
        seen.push(squash(body).slice(0, 120));
        if (text.test(body)) {
          found = inner;
          return true;
        }
      }
      return false;
    },
    timeoutMs,
    `a webview showing ${text} (webviews seen: ${JSON.stringify(seen)})`,
  );
  return found!;
}

/** Every text a person can read in the webview, one line per block, empty lines dropped. */
export async function webviewText(frame: FrameLocator): Promise<string[]> {
  const text = await frame.locator('body').innerText();
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** The diff editors open in the editor area and their tab titles. */
export async function diffEditors(page: Page): Promise<{ count: number; tabs: string[] }> {
  const count = await page.locator('.part.editor .monaco-diff-editor').count();
  const tabs = (await page.locator('.part.editor .tab').allInnerTexts()).map(squash).filter(Boolean);
  return { count, tabs };
}

/** The webview's button named `name` (exact role name match first, then by text). */
export function webviewButton(frame: FrameLocator, name: RegExp): Locator {
  return frame.getByRole('button', { name }).first();
}
