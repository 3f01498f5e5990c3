/**
 * The Test Explorer, read from the page: the Testing view lists one item per scenario with its
 * state from the last run, and a failed item opens the peek with the violation's message.
 */
import type { Page } from 'playwright-core';
import { poll, runFromPalette, squash } from './workbenchDriver';

export interface TestRow {
  name: string;
  state: string;
  description: string;
}

export interface TestExplorerSeen {
  rows: TestRow[];
  passed: number;
  failed: number;
  /** Title of the peek opened on the failed scenario: its message, then the test's name. */
  peekTitle: string;
  peekTest: string;
}

const SETTLED = new Set(['passed', 'failed', 'errored', 'skipped']);

/** Opens the Testing view and reads every test row (scrolling when the list is longer than the view). */
export async function readTestExplorer(page: Page, timeoutMs: number): Promise<TestRow[]> {
  await runFromPalette(page, 'View: Show Testing');
  const list = page.locator('.test-explorer .monaco-list').first();
  await list.waitFor({ state: 'visible' });
  let rows = new Map<number, TestRow>();
  let total = 0;
  await poll(
    async () => {
      const batch = await readRows(page);
      if (batch.length === 0) return false;
      // A fresh pass from the top when the states change under us (results still arriving).
      if (batch.some((r) => !SETTLED.has(r.row.state))) {
        rows = new Map();
        return false;
      }
      total = batch[0]!.setSize;
      for (const r of batch) rows.set(r.pos, r.row);
      if (rows.size >= total) return true;
      await list.hover();
      await page.mouse.wheel(0, 300);
      return false;
    },
    timeoutMs,
    'every Test Explorer item to show a passed or failed state',
  );
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
}

async function readRows(page: Page): Promise<{ pos: number; setSize: number; row: TestRow }[]> {
  return page.locator('.test-explorer .monaco-list-row').evaluateAll((els) =>
    els.map((e) => {
      const el = e as unknown as {
        getAttribute(n: string): string | null;
        querySelector(s: string): { className: string; childNodes: ArrayLike<{ textContent: string | null }>; textContent: string | null } | null;
      };
      const label = el.querySelector('.label');
      const description = el.querySelector('.label .test-label-description')?.textContent ?? '';
      const name = (label?.childNodes[0]?.textContent ?? '').trim();
      const state = /codicon-testing-(\w+)-icon/.exec(el.querySelector('.computed-state')?.className ?? '')?.[1] ?? 'unknown';
      return { pos: Number(el.getAttribute('aria-posinset')), setSize: Number(el.getAttribute('aria-setsize')), row: { name, state, description } };
    }),
  );
}

/**
 * Checks the rows against the expected outcome of every scenario (when known) and against the
 * pass count, then clicks the failed `scenario` and reads the peek it opens.
 */
export async function checkTestExplorer(
  page: Page,
  opts: {
    timeoutMs: number;
    scenarios?: { name: string; passed: boolean }[];
    passed: number;
    total: number;
    scenario: string;
    message: RegExp;
    file: string;
  },
): Promise<TestExplorerSeen> {
  const rows = await readTestExplorer(page, opts.timeoutMs);
  const listed = rows.map((r) => `${r.name} (${r.state})`).join(', ');
  const passed = rows.filter((r) => r.state === 'passed').length;
  const failed = rows.filter((r) => r.state === 'failed' || r.state === 'errored').length;
  if (rows.length !== opts.total || passed !== opts.passed) {
    throw new Error(`the Test Explorer lists ${rows.length} tests, ${passed} passed, where the run reported ${opts.passed}/${opts.total}: ${listed}`);
  }
  if (opts.scenarios) {
    const problems: string[] = [];
    for (const s of opts.scenarios) {
      const r = rows.find((x) => x.name === s.name);
      const want = s.passed ? 'passed' : 'failed';
      if (!r) problems.push(`"${s.name}" is not listed`);
      else if (r.state !== want) problems.push(`"${s.name}" is ${r.state}, expected ${want}`);
    }
    for (const r of rows) if (!opts.scenarios.some((s) => s.name === r.name)) problems.push(`"${r.name}" is listed but is no scenario of the workspace`);
    if (problems.length) throw new Error(`Test Explorer items differ from the expected outcomes: ${problems.join('; ')}\n    listed: ${listed}`);
  }

  const target = rows.find((r) => r.name === opts.scenario);
  if (!target) throw new Error(`no Test Explorer item "${opts.scenario}"; listed: ${listed}`);
  if (target.state !== 'failed') throw new Error(`"${opts.scenario}" is ${target.state}, expected failed`);
  const row = page
    .locator('.test-explorer .monaco-list-row')
    .filter({ has: page.locator('.label', { hasText: opts.scenario }) })
    .filter({ hasText: target.description })
    .first();
  await row.click();

  const peek = page.locator('.peekview-widget').filter({ has: page.locator('.peekview-title .dirname', { hasText: opts.scenario }) }).first();
  await peek.waitFor({ state: 'visible' });
  const title = peek.locator('.peekview-title .filename').first();
  let peekTitle = '';
  await poll(
    async () => {
      peekTitle = squash(await title.innerText());
      return opts.message.test(peekTitle);
    },
    opts.timeoutMs,
    `the peek of "${opts.scenario}" to show a message matching ${opts.message}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the peek shows "${peekTitle}"`);
  });
  const peekTest = squash(await peek.locator('.peekview-title .dirname').first().innerText());
  // The peek sits in the editor of the failure's location.
  const tab = page.locator('.part.editor .editor-group-container.active .tab.active');
  const base = opts.file.split('/').pop()!;
  await poll(async () => ((await tab.getAttribute('aria-label').catch(() => null)) ?? '').includes(base), opts.timeoutMs, `the peek to open in ${base}`);
  return { rows, passed, failed, peekTitle, peekTest };
}
