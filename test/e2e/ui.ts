/**
 * The UI test: a person's path through the workbench. Wait for the extension's status bar item,
 * run the smoke tests from the command palette, watch the status bar show the pass rate, open the
 * Problems panel and read the diagnostic and its related information from the page; then follow
 * the diagnostic's code link to the failure report, and open the Test Explorer and the failed
 * scenario's peek.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import path from 'node:path';
import type { Expectation } from './expectation';
import { openReportFromProblem, type ReportSeen } from './reportCheck';
import { checkTestExplorer, type TestExplorerSeen } from './testExplorerCheck';
import { workbenchUrl, type WorkbenchTarget } from './workbench';
import { openProblems, poll, runFromPalette } from './workbenchDriver';

/** One check of the UI test; the later ones run even when an earlier independent one failed. */
export interface UiCheck {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

export interface UiResult {
  statusText: string;
  problemRow: string;
  relatedRows: string[];
  report?: ReportSeen;
  testExplorer?: TestExplorerSeen;
  checks: UiCheck[];
  timings: Record<string, number>;
}

const RUN_COMMAND = 'Smoke Repair: Run Smoke Tests';
const READY = /^\s*Smoke ready\s*$/;
const PASS_RATE = /^\s*Smoke (\d+)\/(\d+) \(\d+%\)\s*$/;
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
  const checks: UiCheck[] = [];
  /** Runs one check; a failure is recorded with a screenshot and does not stop the next checks. */
  const check = async <T>(name: string, shot: string, fn: () => Promise<{ value: T; detail: string }>): Promise<T | undefined> => {
    const s = Date.now();
    try {
      const { value, detail } = await fn();
      checks.push({ name, ok: true, seconds: (Date.now() - s) / 1000, detail });
      return value;
    } catch (err) {
      await opts.screenshot(page, `${shot}-failure`);
      checks.push({ name, ok: false, seconds: (Date.now() - s) / 1000, detail: (err as Error).message });
      return undefined;
    }
  };
  const result: UiResult = { statusText: '', problemRow: '', relatedRows: [], checks, timings };
  try {
    const problem = await check('UI: smoke run, status bar and Problems panel', 'ui', async () => {
      try {
        const value = await runAndReadProblems(page, target, expect, opts, mark, result);
        return { value, detail: `${result.statusText}; ${result.problemRow}` };
      } catch (err) {
        const seen = await page
          .locator('.markers-panel .monaco-list-row, #workbench\\.parts\\.statusbar .statusbar-item')
          .allInnerTexts()
          .catch(() => [] as string[]);
        const lines = seen.map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
        (err as Error).message += `\n  status bar items and Problems rows seen:\n    ${lines.join('\n    ') || '(none)'}`;
        throw err;
      }
    });
    const rate = PASS_RATE.exec(result.statusText);
    const later = ['UI: failure report from the diagnostic code link', 'UI: Test Explorer and the failed test peek'];
    if (!problem || !rate) {
      for (const name of later) checks.push({ name, ok: false, seconds: 0, detail: 'not run: the smoke run or the Problems panel check failed' });
      return result;
    }

    result.report = await check(later[0]!, 'report', async () => {
      const seen = await openReportFromProblem(
        page,
        problem,
        expect.code,
        [expect.code, expect.file, '## Request', '## Response', '## Trace'],
        opts.timeoutMs,
      );
      mark(`report "${seen.tab}" read (${seen.lines.length} lines seen)`);
      await opts.screenshot(page, 'report');
      return { value: seen, detail: `${seen.tab}: shows ${expect.code}, ${expect.file}, request, response and trace; typing is refused ("${seen.readOnlyMessage}")` };
    });

    result.testExplorer = await check(later[1]!, 'testing', async () => {
      const seen = await checkTestExplorer(page, {
        timeoutMs: opts.timeoutMs,
        scenarios: expect.scenarios,
        passed: Number(rate[1]),
        total: Number(rate[2]),
        scenario: expect.scenario,
        message: new RegExp(expect.message),
        file: expect.file,
      });
      mark(`Test Explorer read (${seen.passed} passed, ${seen.failed} failed), peek on "${seen.peekTest}"`);
      await opts.screenshot(page, 'testing');
      return {
        value: seen,
        detail: `${seen.rows.length} tests, ${seen.passed} passed, ${seen.failed} failed; peek on "${seen.peekTest}": ${seen.peekTitle}`,
      };
    });
    opts.beforeClose?.();
    return result;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** Opens the workbench, runs the smoke tests from the palette and reads the expected problem; returns its row. */
async function runAndReadProblems(
  page: Page,
  target: WorkbenchTarget,
  expect: Expectation,
  opts: { timeoutMs: number; screenshot: (page: Page, name: string) => Promise<void> },
  mark: (name: string) => void,
  result: UiResult,
): Promise<Locator> {
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
  result.statusText = (await rate.innerText()).trim();
  mark(`status bar shows "${result.statusText}"`);

  const problems = await openProblems(page);
  mark('Problems panel open');
  const message = new RegExp(expect.message);
  const row = problems.locator('.monaco-list-row').filter({ hasText: message }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
  if ((await row.getAttribute('aria-expanded')) === 'false') await page.keyboard.press('ArrowRight');
  await poll(async () => (await row.getAttribute('aria-expanded')) !== 'false', opts.timeoutMs, 'the problem entry to expand');
  result.problemRow = (await row.innerText()).replace(/\s+/g, ' ').trim();
  if (expect.line !== undefined && !result.problemRow.includes(`[Ln ${expect.line},`)) {
    throw new Error(`the problem row is not on line ${expect.line}: ${result.problemRow}`);
  }
  // Related-information rows follow the problem row (by list index), one level deeper.
  const index = Number(await row.getAttribute('data-index'));
  const level = Number(await row.getAttribute('aria-level'));
  const base = path.basename(expect.file);
  await poll(
    async () => {
      result.relatedRows = await childRows(problems, index, level);
      return result.relatedRows.length > 0;
    },
    opts.timeoutMs,
    'related-information rows under the problem',
  );
  mark('related information read');
  if (!result.relatedRows.some((t) => t.includes(base))) {
    throw new Error(`no related-information row names ${base}; rows: ${JSON.stringify(result.relatedRows)}`);
  }
  await opts.screenshot(page, 'problems');
  return row;
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
