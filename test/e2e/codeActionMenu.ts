/**
 * The light bulb menu as a person uses it: with the cursor on a problem, Ctrl+. opens the code
 * action list; its rows are read from the page and one is chosen by its title.
 */
import type { Locator, Page } from 'playwright-core';
import { poll, squash } from './workbenchDriver';

const MENU = '.action-widget';
const ROW = `${MENU} .monaco-list-row.action`;

/** The code action menu, when open. */
export function codeActionMenu(page: Page): Locator {
  return page.locator(MENU).filter({ has: page.locator('.monaco-list-row') });
}

/** Titles of the actions the open menu lists (headers left out), top to bottom. */
export async function menuTitles(page: Page): Promise<string[]> {
  const rows = await page.locator(ROW).evaluateAll((els) =>
    els.map((e) => ({
      index: Number(e.getAttribute('data-index')),
      text: ((e as unknown as { innerText: string }).innerText ?? '').replace(/\s+/g, ' ').trim(),
    })),
  );
  return rows.sort((a, b) => a.index - b.index).map((r) => r.text).filter(Boolean);
}

/**
 * Presses Ctrl+. in the focused editor until the menu lists an action matching `title` (fixes
 * are planned in the background, so the first menus may offer none); returns every title seen in
 * that menu. Each miss closes the menu with Escape before the next try.
 */
export async function openQuickFixMenu(page: Page, title: RegExp, timeoutMs: number, focusEditor: () => Promise<void>): Promise<string[]> {
  let titles: string[] = [];
  let tries = 0;
  const noActions = page.locator('.monaco-editor-overlaymessage').filter({ hasText: /no code actions/i });
  await poll(
    async () => {
      tries++;
      if (await codeActionMenu(page).isVisible()) await page.keyboard.press('Escape');
      await focusEditor();
      await page.keyboard.press('Control+.');
      // The menu (or the "No code actions available" hint) shows within a moment of the key.
      const shown = await codeActionMenu(page)
        .waitFor({ state: 'visible', timeout: 5000 })
        .then(() => true)
        .catch(() => false);
      if (!shown) {
        titles = (await noActions.isVisible().catch(() => false)) ? ['(No code actions available)'] : [];
        return false;
      }
      await poll(async () => (await menuTitles(page)).length > 0, 5000, 'the code action rows').catch(() => undefined);
      titles = await menuTitles(page);
      return titles.some((t) => title.test(t));
    },
    timeoutMs,
    `the light bulb menu to offer an action matching ${title}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (Ctrl+. pressed ${tries} times; the last menu listed ${JSON.stringify(titles)})`);
  });
  return titles;
}

/**
 * Chooses the open menu's action whose title matches `title` with the keyboard, as a person does
 * (the menu holds the pointer while it is open): Down until it is focused, then Enter.
 */
export async function chooseAction(page: Page, title: RegExp, timeoutMs: number): Promise<string> {
  const rows = page.locator(ROW);
  const row = rows.filter({ hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  const text = squash(await row.innerText());
  const isFocused = async () => (await row.getAttribute('class'))?.includes('focused') ?? false;
  const count = await rows.count();
  for (let i = 0; i <= count && !(await isFocused()); i++) {
    const before = await page.locator(`${ROW}.focused`).getAttribute('data-index').catch(() => null);
    await page.keyboard.press('ArrowDown');
    await poll(async () => (await page.locator(`${ROW}.focused`).getAttribute('data-index').catch(() => null)) !== before, 5000, 'the focus to move down the menu');
  }
  if (!(await isFocused())) throw new Error(`"${text}" never got the focus in the menu`);
  await page.keyboard.press('Enter');
  await codeActionMenu(page).waitFor({ state: 'hidden', timeout: timeoutMs });
  return text;
}
