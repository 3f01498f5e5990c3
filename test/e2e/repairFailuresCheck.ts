/**
 * "Smoke Repair: Repair Failures" on a private copy of the example, in its own workbench window:
 * run smoke, wait for the background planning to finish, run the command from the palette, answer
 * Skip to any needs-review prompt, and expect the pass rate FAULTS.md gives after every fixable
 * fault is repaired, only the unfixable failure left in the Problems panel, and the fixes on disk.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { UiCheck } from './ui';
import { runSmoke } from './quickFixCheck';
import { workbenchUrl, type WorkbenchTarget } from './workbench';
import { filterProblems, poll, runFromPalette, squash, stepRunner } from './workbenchDriver';

/** What the repair must leave on disk in the copy: a file and a pattern its text must match. */
export interface OnDisk {
  file: string;
  pattern: RegExp;
  what: string;
}

export interface RepairFailuresOptions {
  timeoutMs: number;
  log: (line: string) => void;
  screenshot: (page: Page, name: string) => Promise<void>;
  /** Passed and total scenarios before any repair, and after every fixable fault is repaired (FAULTS.md). */
  before: { passed: number; total: number };
  after: { passed: number; total: number };
  /** The one failure no rule fixes: its diagnostic message stays in the Problems panel. */
  remaining: RegExp;
  onDisk: OnDisk[];
}

export interface RepairFailuresResult {
  checks: UiCheck[];
  timings: Record<string, number>;
  /** The notification the command ends with. */
  message: string;
  /** Problems rows (one per diagnostic) before and after the repair. */
  problemsBefore: string[];
  problemsAfter: string[];
  /** Needs-review prompts answered with Skip. */
  skipped: string[];
}

/** The expectations on shop-api besides the FAULTS.md figures. */
export const REPAIR_FAILURES = {
  example: 'shop-api',
  /** The logic error (fault g) that no rule can fix. */
  remaining: /expected total = [\d.]+, got [\d.]+/,
  onDisk: [
    { file: 'requirements.txt', pattern: /^python-slugify\b/m, what: 'python-slugify' },
    { file: 'app/routers/orders.py', pattern: /^import uuid\s*$/m, what: 'import uuid' },
    { file: 'app/main.py', pattern: /include_router\(\s*reviews\.router\b/, what: 'app.include_router(reviews.router)' },
    { file: 'app/routers/customers.py', pattern: /^(?![\s\S]*^\s*import ipdb\b)/, what: 'import ipdb removed' },
    { file: 'app/routers/customers.py', pattern: /"\/\{customer_id\}\/addresses".*status_code=201/, what: 'status_code=201 on add address' },
    { file: 'app/routers/carts.py', pattern: /unit_price=product\.price\b/, what: 'unit_price=product.price' },
  ],
} as const;

const REPAIR_COMMAND = 'Smoke Repair: Repair Failures';
const PLANNING = /Planning fixes/;

export const rateText = (r: { passed: number; total: number }) => `Smoke ${r.passed}/${r.total} (${Math.round((r.passed / r.total) * 100)}%)`;
const pct = (r: { passed: number; total: number }) => `${Math.round((r.passed / r.total) * 100)}%`;

export async function runRepairFailuresTest(context: BrowserContext, target: WorkbenchTarget, opts: RepairFailuresOptions): Promise<RepairFailuresResult> {
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs);
  page.on('pageerror', (err) => opts.log(`  [repair failures page error] ${err.message}`));
  const result: RepairFailuresResult = { checks: [], timings: {}, message: '', problemsBefore: [], problemsAfter: [], skipped: [] };
  const { mark, check } = stepRunner(page, 'repair failures', opts, result);
  const statusbar = page.locator('#workbench\\.parts\\.statusbar');
  const statusItem = (text: RegExp) => statusbar.locator('.statusbar-item').filter({ hasText: text }).first();
  const imageBefore = appImage(target.workspace);
  const originals = new Map(opts.onDisk.map((d) => [d.file, readFileSync(path.join(target.workspace, d.file))]));

  try {
    await check('repair failures: smoke run and background planning on the copy', 'repair-failures-smoke', async () => {
      await page.goto(workbenchUrl(target), { timeout: opts.timeoutMs, waitUntil: 'domcontentloaded' });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
      await statusItem(/^\s*Smoke ready\s*$/).waitFor({ state: 'visible' });
      mark('status bar says Smoke ready');
      // The planner reports "Planning fixes i/n" as window progress in the status bar. Watched by
      // an observer in the page, so neither its start nor its end falls between two polls.
      await watchPlanning(page);
      const before = await runSmoke(page, opts.timeoutMs);
      mark(`status bar shows "${before}"`);
      if (before !== rateText(opts.before)) throw new Error(`the status bar shows "${before}", expected "${rateText(opts.before)}" (FAULTS.md)`);
      await poll(async () => (await planningState(page)).done, opts.timeoutMs, 'the background planning ("Planning fixes" in the status bar) to start and finish');
      const state = await planningState(page);
      mark(`planning finished (last progress "${state.last}")`);
      result.problemsBefore = await problemRows(page);
      const count = await problemCount(page);
      if (count !== opts.before.total - opts.before.passed) {
        throw new Error(`the status bar counts ${count} problems, expected ${opts.before.total - opts.before.passed} (one per failed scenario); the Problems panel shows ${JSON.stringify(result.problemsBefore)}`);
      }
      return `${before}; ${count} problems; planning done ("${state.last}")`;
    });

    let sent = false;
    await check('repair failures: the command applies every safe fix and runs smoke again', 'repair-failures', async () => {
      const rateBefore = await statusItem(/Smoke \d+\/\d+/).getAttribute('aria-label');
      await runFromPalette(page, REPAIR_COMMAND);
      sent = true;
      mark('Repair Failures sent from the palette');
      const dialog = page.locator('.monaco-dialog-box');
      const toasts = page.locator('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message');
      const rate = statusItem(/^\s*Smoke \d+\/\d+ \(\d+%\)\s*$/);
      let done = '';
      await poll(
        async () => {
          if (await dialog.isVisible().catch(() => false)) {
            const text = squash(await dialog.innerText().catch(() => ''));
            opts.log(`  repair failures: needs-review prompt: ${text}`);
            await opts.screenshot(page, `repair-failures-review-${result.skipped.length + 1}`);
            await dialog.getByRole('button', { name: /^skip$/i }).first().click();
            result.skipped.push(text);
          }
          const messages = (await toasts.allInnerTexts().catch(() => [])).map(squash);
          const failed = messages.find((m) => /Smoke Repair: (the repair failed|no fix was applied)/.test(m));
          if (failed) throw new Error(`the command ended with "${failed}"`);
          done = messages.find((m) => /Smoke Repair: \d+ fix\(es\) applied; pass rate/.test(m)) ?? '';
          if (!done) return false;
          // The notification comes after the new run; the status bar shows that run's result.
          return (await rate.isVisible()) && (await rate.getAttribute('aria-label')) !== rateBefore;
        },
        opts.timeoutMs,
        'the notification "Smoke Repair: … fix(es) applied; pass rate … → …" after the new smoke run',
      );
      result.message = done;
      mark(`notification "${done}"`);
      const shown = squash(await rate.innerText());
      const want = `pass rate ${pct(opts.before)} → ${pct(opts.after)}`;
      if (!done.includes(want)) throw new Error(`the notification reads "${done}", expected "${want}"`);
      if (shown !== rateText(opts.after)) throw new Error(`the status bar shows "${shown}", expected "${rateText(opts.after)}" (FAULTS.md, after repair)`);
      let count = -1;
      await poll(
        async () => {
          count = await problemCount(page);
          result.problemsAfter = await problemRows(page);
          return count === opts.after.total - opts.after.passed && result.problemsAfter.length === count;
        },
        opts.timeoutMs,
        `the Problems panel to list ${opts.after.total - opts.after.passed} smoke failure(s)`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; the status bar counts ${count}, the panel lists ${JSON.stringify(result.problemsAfter)}`);
      });
      if (!result.problemsAfter.every((r) => opts.remaining.test(r))) {
        throw new Error(`the Problems panel should keep only /${opts.remaining.source}/; it lists ${JSON.stringify(result.problemsAfter)}`);
      }
      mark('Problems panel keeps only the unfixable failure');
      // requirements.txt changed: the app must run from a rebuilt image, not a restarted container.
      const imageAfter = appImage(target.workspace);
      if (imageAfter.id === imageBefore.id) throw new Error(`the image ${imageBefore.tag} was not rebuilt (still ${imageBefore.id.slice(0, 19)})`);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-failures');
      return `"${rateText(opts.before)}" → "${shown}"; "${done}"; image ${imageBefore.tag} rebuilt (${imageBefore.id.slice(7, 19)} → ${imageAfter.id.slice(7, 19)}); left: ${result.problemsAfter.join(' | ')}${result.skipped.length ? `; skipped ${result.skipped.length} needs-review prompt(s)` : ''}`;
    });

    await check('repair failures: the fixes are on disk in the copy', 'repair-failures-disk', async () => {
      const seen: string[] = [];
      const missing: string[] = [];
      for (const d of opts.onDisk) {
        const text = readFileSync(path.join(target.workspace, d.file), 'utf8');
        if (!d.pattern.test(text) || originals.get(d.file)!.equals(Buffer.from(text))) missing.push(`${d.file} has no ${d.what}; it reads:\n${text.split('\n').slice(0, 30).join('\n')}`);
        else seen.push(`${d.file}: ${d.what}`);
      }
      if (missing.length) throw new Error(`${missing.join('\n')}\n(present: ${seen.join('; ') || 'none'})`);
      return seen.join('; ');
    }, sent); // also after a failed repair: what reached the disk tells which fix is missing
    return result;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** The app's image (the `image:` of the workspace's docker-compose.yml) and its current id. */
function appImage(workspace: string): { tag: string; id: string } {
  const compose = path.join(workspace, 'docker-compose.yml');
  const tag = /^\s*image:\s*(\S+)\s*$/m.exec(readFileSync(compose, 'utf8'))?.[1];
  if (!tag) throw new Error(`${compose}: no image: line naming the app's image`);
  const id = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).trim();
  return { tag, id };
}

/**
 * The number of problems the status bar's problems item counts (errors, warnings and infos): the
 * Problems panel renders only the rows in view, so its rows cannot be counted when there are many.
 */
async function problemCount(page: Page): Promise<number> {
  const item = page.locator('#status\\.problems');
  await item.waitFor({ state: 'visible' });
  const numbers = (await item.innerText()).match(/\d+/g) ?? [];
  return numbers.reduce((sum, n) => sum + Number(n), 0);
}

/** Rows of the Problems panel (the diagnostics, not files or related information), unfiltered. */
async function problemRows(page: Page): Promise<string[]> {
  const panel = await filterProblems(page, '');
  const rows = await panel.locator('.monaco-list-row[aria-level="2"]').allInnerTexts();
  return rows.map(squash).filter((r) => r.includes('smoke-repair'));
}

/**
 * Installs an observer that notes when the status bar starts and stops showing the planning
 * progress. Given as source text: the page runs it as written (no helpers of the test's transpiler).
 */
async function watchPlanning(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const re = new RegExp(${JSON.stringify(PLANNING.source)});
    const bar = document.querySelector('#workbench\\\\.parts\\\\.statusbar');
    const state = { seen: false, showing: false, last: '' };
    window.__planning = state;
    const look = () => {
      const line = (bar ? bar.innerText : '').split('\\n').find((l) => re.test(l));
      state.showing = line !== undefined;
      if (line !== undefined) {
        state.seen = true;
        state.last = line.trim();
      }
    };
    new MutationObserver(look).observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    look();
  })()`);
}

async function planningState(page: Page): Promise<{ done: boolean; last: string }> {
  const p = (await page.evaluate('window.__planning')) as { seen: boolean; showing: boolean; last: string };
  return { done: p.seen && !p.showing, last: p.last };
}
