/**
 * Small moves of a person in the workbench page: wait for a condition, run a command from the
 * palette, open the Problems panel, read the text an editor shows.
 */
import type { Locator, Page } from 'playwright-core';
import type { UiCheck } from './ui';

/** Polls `cond` (100 ms, doubling up to 1 s) until it holds; throws naming `what` after `timeoutMs`. */
export async function poll(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Opens the command palette (F1 needs the focus inside the workbench; the editor area is always there). */
export async function openPalette(page: Page): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  for (let attempt = 0; !(await input.isVisible()); attempt++) {
    if (attempt === 20) throw new Error('the command palette did not open');
    await page.locator('.part.editor').first().click({ position: { x: 20, y: 20 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 3000 }).catch(() => undefined);
  }
}

export async function runFromPalette(page: Page, label: string): Promise<void> {
  await openPalette(page);
  await page.keyboard.type(label);
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await pick.waitFor({ state: 'visible' });
  await poll(async () => (await pick.getAttribute('class'))?.includes('focused') ?? false, 30_000, `"${label}" to be selected`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget input.input').waitFor({ state: 'hidden' });
}

export async function openProblems(page: Page): Promise<Locator> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) await page.keyboard.press('Control+Shift+M');
  if (!(await panel.isVisible().catch(() => false))) {
    await panel.waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
      await runFromPalette(page, 'View: Focus Problems');
    });
  }
  await panel.waitFor({ state: 'visible' });
  return panel;
}

/**
 * Types `text` into the Problems panel's filter box (an empty text clears it) and returns the
 * panel. Filtered, the list is short enough to be rendered whole, so rows can be counted.
 */
export async function filterProblems(page: Page, text: string): Promise<Locator> {
  const panel = await openProblems(page);
  const input = page.locator('.part.panel').getByPlaceholder(/^Filter \(e\.g\./).first();
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  return panel;
}

/** The lines an editor renders (only those in view), top to bottom. */
export async function visibleLines(editor: Locator): Promise<string[]> {
  const lines = await editor.locator('.view-lines .view-line').evaluateAll((els) =>
    els.map((e) => ({
      top: parseFloat((e as unknown as { style: { top: string } }).style.top) || 0,
      text: ((e as unknown as { textContent: string | null }).textContent ?? '').replace(/\u00a0/g, ' '),
    })),
  );
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text);
}

/** One line of compact text for error messages. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The steps of one window's flow: `mark` logs and records when a step was reached; `check` runs a
 * step, records it as passed or failed (with a screenshot of the failure), and after a failed step
 * reports the next ones as not run, unless `run` says otherwise.
 */
export function stepRunner(
  page: Page,
  label: string,
  opts: { log: (message: string) => void; screenshot: (page: Page, name: string) => Promise<void> },
  result: { checks: UiCheck[]; timings: Record<string, number> },
) {
  const t0 = Date.now();
  let failedAt: string | undefined;
  const mark = (name: string) => {
    result.timings[name] = Date.now() - t0;
    opts.log(`  ${label}: ${name} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  const check = async (name: string, shot: string, fn: () => Promise<string>, run = !failedAt): Promise<boolean> => {
    if (!run) {
      result.checks.push({ name, ok: false, seconds: 0, detail: `not run: "${failedAt}" failed` });
      return false;
    }
    const s = Date.now();
    try {
      const detail = await fn();
      result.checks.push({ name, ok: true, seconds: (Date.now() - s) / 1000, detail });
      return true;
    } catch (err) {
      await opts.screenshot(page, `${shot}-failure`);
      result.checks.push({ name, ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      failedAt ??= name;
      return false;
    }
  };
  return { mark, check };
}
