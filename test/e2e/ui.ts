/**
 * The UI test: a person's path through the workbench. Wait for the extension's status bar item,
 * run the smoke tests from the command palette, watch the status bar show the pass rate, open the
 * Problems panel and read the diagnostic and its related information from the page.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import path from 'node:path';
import type { Expectation } from './expectation';
import { workbenchUrl, type WorkbenchTarget } from './workbench';

export interface UiResult {
  statusText: string;
  problemRow: string;
  relatedRows: string[];
  timings: Record<string, number>;
}

const RUN_COMMAND = 'Smoke Repair: Run Smoke Tests';
const READY = /^\s*Smoke ready\s*$/;
const PASS_RATE = /^\s*Smoke \d+\/\d+ \(\d+%\)\s*$/;
/** What the status bar shows when a run could not complete (no app, bad configuration). */
const RUN_FAILED = /^\s*Smoke error\s*$/;

export async function runUiTest(
  context: BrowserContext,
  target: WorkbenchTarget,
  expect: Expectation,
  opts: {
    timeoutMs: number;
    log: (line: string) => void;
    screenshot: (page: Page, name: string) => Promise<void>;
    /** Called while the workbench is still open and the extension running (e.g. to measure memory). */
    beforeClose?: () => void;
  },
): Promise<UiResult> {
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs);
  page.on('pageerror', (err) => opts.log(`  [page error] ${err.message}`));
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string) => {
    timings[name] = Date.now() - t0;
    opts.log(`  ui: ${name} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  try {
    await page.goto(workbenchUrl(target), { timeout: opts.timeoutMs, waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
    mark('workbench shown');

    const statusItem = (text: RegExp) => page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: text });
    await statusItem(READY).first().waitFor({ state: 'visible' });
    mark('status bar says Smoke ready');

    await runFromPalette(page, RUN_COMMAND);
    mark('command sent from the palette');

    const rate = statusItem(PASS_RATE).first();
    const failedRun = statusItem(RUN_FAILED).first();
    await poll(
      async () => {
        if (await failedRun.isVisible()) {
          const tip = await failedRun.getAttribute('aria-label');
          throw new Error(`the run failed: status bar shows "${(await failedRun.innerText()).trim()}" (${tip ?? 'no tooltip'})`);
        }
        return rate.isVisible();
      },
      opts.timeoutMs,
      'the status bar to show the pass rate',
    );
    const statusText = (await rate.innerText()).trim();
    mark(`status bar shows "${statusText}"`);

    const problems = await openProblems(page);
    mark('Problems panel open');
    const message = new RegExp(expect.message);
    const row = problems.locator('.monaco-list-row').filter({ hasText: message }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    if ((await row.getAttribute('aria-expanded')) === 'false') await page.keyboard.press('ArrowRight');
    await poll(async () => (await row.getAttribute('aria-expanded')) !== 'false', opts.timeoutMs, 'the problem entry to expand');
    const problemRow = (await row.innerText()).replace(/\s+/g, ' ').trim();
    if (expect.line !== undefined && !problemRow.includes(`[Ln ${expect.line},`)) {
      throw new Error(`the problem row is not on line ${expect.line}: ${problemRow}`);
    }
    // Related-information rows follow the problem row (by list index), one level deeper.
    const index = Number(await row.getAttribute('data-index'));
    const level = Number(await row.getAttribute('aria-level'));
    const base = path.basename(expect.file);
    let relatedRows: string[] = [];
    await poll(
      async () => {
        relatedRows = await childRows(problems, index, level);
        return relatedRows.length > 0;
      },
      opts.timeoutMs,
      'related-information rows under the problem',
    );
    mark('related information read');
    if (!relatedRows.some((t) => t.includes(base))) {
      throw new Error(`no related-information row names ${base}; rows: ${JSON.stringify(relatedRows)}`);
    }
    await opts.screenshot(page, 'problems');
    opts.beforeClose?.();
    return { statusText, problemRow, relatedRows, timings };
  } catch (err) {
    await opts.screenshot(page, 'ui-failure');
    const seen = await page
      .locator('.markers-panel .monaco-list-row, #workbench\\.parts\\.statusbar .statusbar-item')
      .allInnerTexts()
      .catch(() => [] as string[]);
    const lines = seen.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
    (err as Error).message += `\n  status bar items and Problems rows seen:\n    ${lines.join('\n    ') || '(none)'}`;
    throw err;
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function poll(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Texts of the rows directly under the row at `index` (one level deeper), in list order. */
async function childRows(list: Locator, index: number, level: number): Promise<string[]> {
  const rows = await list.locator('.monaco-list-row').evaluateAll((els) =>
    els.map((e) => ({
      index: Number(e.getAttribute('data-index')),
      level: Number(e.getAttribute('aria-level')),
      text: (e as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim(),
    })),
  );
  rows.sort((a, b) => a.index - b.index);
  const out: string[] = [];
  for (const r of rows) {
    if (r.index <= index) continue;
    if (r.index !== index + out.length + 1 || r.level <= level) break;
    if (r.level === level + 1) out.push(r.text);
  }
  return out;
}

async function runFromPalette(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  // F1 needs the focus inside the workbench; the editor area is always there.
  for (let attempt = 0; !(await input.isVisible()); attempt++) {
    if (attempt === 20) throw new Error('the command palette did not open');
    await page.locator('.part.editor').first().click({ position: { x: 20, y: 20 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 3000 }).catch(() => undefined);
  }
  await page.keyboard.type(label);
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await pick.waitFor({ state: 'visible' });
  await poll(async () => (await pick.getAttribute('class'))?.includes('focused') ?? false, 30_000, `"${label}" to be selected`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

async function openProblems(page: Page): Promise<Locator> {
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
