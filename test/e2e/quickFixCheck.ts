/**
 * The quick fix flow on a private copy of the example, in its own workbench window: run smoke,
 * open the light bulb on the missing-import diagnostic, preview the fix, apply it, see the file
 * change on disk and the diagnostic clear after the next run, then roll the fix back and find the
 * file byte-identical. Each step is a check of its own; a step after a failed one is reported as
 * not run, except the roll-back, which runs whenever the file was changed.
 */
import { readFileSync } from 'node:fs';
import { diffLines } from 'diff';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { chooseAction, openQuickFixMenu } from './codeActionMenu';
import type { FaultRow } from './expectation';
import { diffEditors, findWebview, webviewButton, webviewText } from './fixPreview';
import type { UiCheck } from './ui';
import { workbenchUrl, type WorkbenchTarget } from './workbench';
import { filterProblems, poll, runFromPalette, squash, stepRunner } from './workbenchDriver';

export interface QuickFixOptions {
  timeoutMs: number;
  log: (line: string) => void;
  screenshot: (page: Page, name: string) => Promise<void>;
  /** The fault to repair, as FAULTS.md names it. */
  fault: FaultRow;
  /** Regular expression (source) of the fault's diagnostic message. */
  message: string;
  /** The diagnostic's code, shown in its Problems row. */
  code: string;
  /** Passed and total scenarios before any repair (FAULTS.md). */
  before: { passed: number; total: number };
  /** The quick fix's title: what it does, and that it is safe and validated. */
  title: RegExp;
  /** A line the fix adds to the file (read back from disk). */
  addedLine: string;
}

export interface QuickFixResult {
  checks: UiCheck[];
  /** Milliseconds from the window's opening to each step. */
  timings: Record<string, number>;
  menu: string[];
  preview: string[];
  statusBefore: string;
  statusAfter: string;
}

/** The fault the test repairs, in the example FAULTS.md describes, and what the fix must look like. */
export const QUICK_FIX = {
  example: 'shop-api',
  /** Finds the fault's row in FAULTS.md. */
  signal: /NameError: name 'uuid' is not defined/,
  message: String.raw`NameError: name 'uuid' is not defined`,
  /** The diagnostic's code (the exception class): the Problems panel is filtered on it. */
  code: 'NameError',
  title: /^Preview fix: .*\buuid\b.*\(safe, validated\)/,
  addedLine: 'import uuid',
} as const;

const PASS_RATE = /^\s*Smoke (\d+)\/(\d+) \(\d+%\)\s*$/;
const READY = /^\s*Smoke ready\s*$/;
const RUNNING = /Smoke running/;
const RUN_COMMAND = 'Smoke Repair: Run Smoke Tests';
const ROLLBACK_COMMAND = 'Smoke Repair: Roll Back Last Fix';

export async function runQuickFixTest(context: BrowserContext, target: WorkbenchTarget, opts: QuickFixOptions): Promise<QuickFixResult> {
  const file = path.join(target.workspace, opts.fault.file);
  const original = readFileSync(file);
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs);
  page.on('pageerror', (err) => opts.log(`  [quick fix page error] ${err.message}`));
  const result: QuickFixResult = { checks: [], timings: {}, menu: [], preview: [], statusBefore: '', statusAfter: '' };
  const { mark, check } = stepRunner(page, 'quick fix', opts, result);
  const statusItem = (text: RegExp) => page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: text }).first();
  const message = new RegExp(opts.message);
  const where = `${opts.fault.file}:${opts.fault.line}`;

  try {
    await check('quick fix: smoke run on the copy', 'quickfix-smoke', async () => {
      await page.goto(workbenchUrl(target), { timeout: opts.timeoutMs, waitUntil: 'domcontentloaded' });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
      mark('workbench shown');
      await statusItem(READY).waitFor({ state: 'visible' });
      mark('status bar says Smoke ready');
      result.statusBefore = await runSmoke(page, opts.timeoutMs);
      mark(`status bar shows "${result.statusBefore}"`);
      const want = `Smoke ${opts.before.passed}/${opts.before.total} (${Math.round((opts.before.passed / opts.before.total) * 100)}%)`;
      if (result.statusBefore !== want) throw new Error(`the status bar shows "${result.statusBefore}", expected "${want}" (FAULTS.md)`);
      return result.statusBefore;
    });

    let problem: Locator | undefined;
    await check('quick fix: the light bulb offers the fix', 'quickfix', async () => {
      // Filtered on the exception class, the row is in view however many problems there are.
      const problems = await filterProblems(page, opts.code);
      problem = problems.locator('.monaco-list-row').filter({ hasText: message }).first();
      await problem.waitFor({ state: 'visible' });
      const row = squash(await problem.innerText());
      if (!row.includes(`[Ln ${opts.fault.line},`)) throw new Error(`the problem is not on line ${opts.fault.line}: ${row}`);
      // Double-click opens the file with the cursor on the problem and the focus in the editor.
      await problem.dblclick();
      const tab = page.locator('.part.editor .editor-group-container.active .tab.active');
      await poll(async () => ((await tab.getAttribute('aria-label').catch(() => null)) ?? '').includes(path.basename(opts.fault.file)), opts.timeoutMs, `an editor on ${opts.fault.file}`);
      const cursor = page.locator('#status\\.editor\\.selection');
      await poll(async () => (await cursor.innerText().catch(() => '')).includes(`Ln ${opts.fault.line},`), opts.timeoutMs, `the cursor on line ${opts.fault.line}`);
      mark(`editor open at ${squash(await cursor.innerText())}`);
      const editor = page.locator('.part.editor .editor-group-container.active .monaco-editor').first();
      result.menu = await openQuickFixMenu(page, opts.title, opts.timeoutMs, async () => {
        if (!(await editor.evaluate((e) => e.classList.contains('focused')))) await page.keyboard.press('Control+1');
      });
      mark('light bulb menu offers the fix');
      await page.mouse.move(1, 1); // no hover tooltip over the picture
      await opts.screenshot(page, 'quickfix');
      return `${where}: ${result.menu.join(' | ')}`;
    });

    let applied = false;
    await check('quick fix: preview, then apply; the file changes on disk', 'preview', async () => {
      const chosen = await chooseAction(page, opts.title, opts.timeoutMs);
      mark(`chose "${chosen}"`);
      const preview = await findWebview(page, /root cause/i, opts.timeoutMs);
      result.preview = await webviewText(preview);
      const text = result.preview.join('\n');
      const after = (heading: string) => result.preview.slice(result.preview.indexOf(heading) + 1).join('\n');
      for (const [what, ok] of [
        ['the root cause', result.preview.includes('Root cause') && /never imported|not defined/i.test(after('Root cause'))],
        ['the changed file', result.preview.some((l) => l.startsWith(opts.fault.file))],
        ['the policy decision (danger score, safe)', /^(Plan|Patch) policy$/m.test(text) && /danger score \d+ · safe/.test(text)],
        ['the validation result (passed)', result.preview.includes('Validation') && /^passed$/m.test(after('Validation'))],
        ['only text (no "[object …]")', !/\[object \w+\]/.test(text)],
      ] as const) {
        if (!ok) throw new Error(`the preview does not show ${what}; it reads:\n    ${result.preview.join('\n    ')}`);
      }
      await poll(async () => (await diffEditors(page)).count > 0, opts.timeoutMs, 'a diff editor of the change');
      const diff = await diffEditors(page);
      mark(`preview open (${diff.count} diff editor(s); tabs ${JSON.stringify(diff.tabs)})`);
      await opts.screenshot(page, 'preview');
      const apply = webviewButton(preview, /^apply/i);
      await apply.click();
      mark('pressed Apply');
      // Wait for the saved fix itself, not for any change: a save in progress can leave the file
      // empty (or half written) for a moment.
      let saved: Buffer = original;
      await poll(
        async () => {
          saved = readFileSync(file);
          return saved.toString('utf8').split('\n').some((l) => l.trim() === opts.addedLine);
        },
        opts.timeoutMs,
        `${opts.fault.file} on disk to hold "${opts.addedLine}"`,
      );
      applied = true;
      mark('file changed on disk');
      return `${chosen}; preview shows root cause, policy and validation; ${diff.count} diff editor(s); ${minimalChange(original, saved, opts.addedLine)}`;
    });

    await check('quick fix: the next smoke run clears the diagnostic', 'quickfix-rerun', async () => {
      result.statusAfter = await runSmoke(page, opts.timeoutMs, result.statusBefore);
      mark(`status bar shows "${result.statusAfter}"`);
      const passed = Number(PASS_RATE.exec(result.statusAfter)![1]);
      if (passed <= opts.before.passed) throw new Error(`the pass rate did not rise: "${result.statusBefore}" → "${result.statusAfter}"`);
      // The filter from before still applies: no row left, and the panel says so.
      const problems = await filterProblems(page, opts.code);
      const none = problems.locator('.message-box-container').filter({ hasText: /No results found/ });
      await poll(
        async () => (await problems.locator('.monaco-list-row').filter({ hasText: message }).count()) === 0 && (await none.isVisible()),
        opts.timeoutMs,
        `the ${where} problem to clear (Problems filtered on "${opts.code}")`,
      );
      mark('the diagnostic is gone');
      await filterProblems(page, '');
      return `"${result.statusBefore}" → "${result.statusAfter}"; no problem matches /${opts.message}/ any more`;
    });

    await check(
      'quick fix: Roll Back Last Fix restores the file byte for byte',
      'rollback',
      async () => {
        await runFromPalette(page, ROLLBACK_COMMAND);
        mark('roll back sent from the palette');
        await poll(
          async () => {
            await confirmIfAsked(page);
            return readFileSync(file).equals(original);
          },
          opts.timeoutMs,
          `${opts.fault.file} to be byte-identical to the original`,
        );
        mark('file restored');
        return `${opts.fault.file}: ${original.length} bytes, byte-identical`;
      },
      // Whenever the fix reached the disk: the roll-back is also what puts the copy back.
      applied,
    );
    return result;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/**
 * Runs the smoke tests from the palette and returns the pass rate the status bar shows after the
 * run. With `previous` (the text shown before), waits for a new result: the running state seen, or
 * the item's tooltip (which carries the run's duration) changed.
 */
export async function runSmoke(page: Page, timeoutMs: number, previous?: string): Promise<string> {
  const items = page.locator('#workbench\\.parts\\.statusbar .statusbar-item');
  const rate = items.filter({ hasText: PASS_RATE }).first();
  const running = items.filter({ hasText: RUNNING }).first();
  const failed = items.filter({ hasText: /Smoke error/ }).first();
  const labelBefore = previous ? await rate.getAttribute('aria-label').catch(() => null) : null;
  await runFromPalette(page, RUN_COMMAND);
  let sawRunning = false;
  await poll(
    async () => {
      if (await failed.isVisible()) throw new Error(`the run failed: the status bar shows "Smoke error" (${(await failed.getAttribute('aria-label')) ?? ''})`);
      if (await running.isVisible()) sawRunning = true;
      if (!(await rate.isVisible())) return false;
      if (!previous) return true;
      return sawRunning || (await rate.getAttribute('aria-label')) !== labelBefore;
    },
    timeoutMs,
    previous ? 'the status bar to show the new pass rate' : 'the status bar to show the pass rate',
  );
  return squash(await rate.innerText());
}

/** Accepts a confirmation the command may ask for (a modal dialog or a notification with a button). */
async function confirmIfAsked(page: Page): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  if (await dialog.isVisible().catch(() => false)) {
    await dialog.getByRole('button', { name: /roll back|restore|yes|ok/i }).first().click();
  }
}

/**
 * Describes the change on disk; throws unless it only adds lines: `added` once, and blank lines
 * (an import group's separator), with every original line kept.
 */
function minimalChange(before: Buffer, after: Buffer, added: string): string {
  const parts = diffLines(before.toString('utf8'), after.toString('utf8'));
  const removed = parts.filter((p) => p.removed).map((p) => p.value);
  const addedLines = parts.filter((p) => p.added).flatMap((p) => p.value.replace(/\n$/, '').split('\n'));
  const text = () => `\n${after.toString('utf8').split('\n').slice(0, 15).join('\n')}`;
  if (removed.length > 0) throw new Error(`the fix removed lines ${JSON.stringify(removed)}; the file now begins:${text()}`);
  const own = addedLines.filter((l) => l.trim() === added);
  const other = addedLines.filter((l) => l.trim() !== added && l.trim() !== '');
  if (own.length !== 1 || other.length > 0) {
    throw new Error(`expected the fix to add "${added}" once (and at most blank lines); it added ${JSON.stringify(addedLines)}; the file now begins:${text()}`);
  }
  const at = after.toString('utf8').split('\n').findIndex((l) => l.trim() === added) + 1;
  return `"${added}" added at line ${at}${addedLines.length > 1 ? ` with ${addedLines.length - 1} blank line(s)` : ''}, every other line as before`;
}
