/**
 * "Smoke Repair: Start Repair Loop" and the Smoke Repair sidebar, on a private copy of the example,
 * in its own workbench window, as a person uses them: open the sidebar from the activity bar and
 * find Repair History empty (its welcome offers Start Repair Loop) beside the empty Pending
 * Approvals and Learned Patterns; leave a file unsaved and start the loop from the welcome button;
 * answer the modal question with Save All and Start; watch the loop run in a cancellable
 * notification and end with the pass rates FAULTS.md gives; find the run in Repair History, expand
 * it to its iterations and fixes, open an applied fix's diff, a read-only `diff` document, and the
 * run's report with its pass-rate chart; then,
 * with that fault planted again and every fix held for a person, start the loop from the palette,
 * see the notification that a fix waits, find it in Pending Approvals and approve it there: the
 * fix is applied and the pass rate is back.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { runCli } from '../setup/cli';
import type { UiCheck } from './ui';
import { workbenchUrl, type WorkbenchTarget } from './workbench';
import { openPalette, poll, runFromPalette, squash, stepRunner, visibleLines } from './workbenchDriver';

export interface RepairLoopOptions {
  timeoutMs: number;
  log: (line: string) => void;
  screenshot: (page: Page, name: string) => Promise<void>;
  /** Passed and total scenarios before any repair, and after every fixable fault is repaired (FAULTS.md). */
  before: { passed: number; total: number };
  after: { passed: number; total: number };
  /** The scenarios that fail before any repair (FAULTS.md): every applied fix names one. */
  failing: string[];
  /** The scenarios no rule fixes, as the final message names them. */
  left: string[];
  /** The applied fix whose diff is opened: its row's title, the file it changes, a line it adds and one it removes. */
  diffFix: { title: RegExp; file: string; added: RegExp; removed: RegExp };
  /** A workspace file left unsaved before the start, and the line typed into it. */
  unsaved: { file: string; line: string };
}

/** One row of the Repair History tree as the page shows it. */
export interface HistoryRow {
  level: number;
  expanded: boolean | undefined;
  label: string;
  description: string;
  icon: string;
}

export interface RepairLoopResult {
  checks: UiCheck[];
  timings: Record<string, number>;
  /** The information message the command ends with. */
  message: string;
  /** The notifications seen while the loop ran, with their buttons. */
  notifications: string[];
  /** The Repair History rows once the run and its iterations are expanded. */
  history: HistoryRow[];
  /** The lines of the fix's diff document. */
  diff: string[];
}

/** The expectations on shop-api besides the FAULTS.md figures. */
export const REPAIR_LOOP = {
  example: 'shop-api',
  /** Fault g: no rule can fix the order total. */
  left: ['order total'],
  /** Fault d (scenario "add address"): its fix replaces the decorator line, so its diff has a `-` and a `+` line. */
  diffFix: {
    title: /^add address: /,
    file: 'app/routers/customers.py',
    added: /^\+.*status_code=201/,
    removed: /^-.*@router\.post\("\/\{customer_id\}\/addresses"/,
  },
  unsaved: { file: 'FAULTS.md', line: 'Saved by the e2e check before the repair loop started.' },
} as const;

const VIEWS = {
  history: { name: 'Repair History', empty: /No repairs recorded yet\./ },
  approvals: { name: 'Pending Approvals', empty: /^No fix waits for your approval\. A fix that needs review, could not be checked against its scenarios, or repairs a SECURITY or POLICY failure waits here after a repair, with its diff, until you approve or reject it\./ },
  patterns: { name: 'Learned Patterns', empty: /^Fix patterns and anti-patterns are learned from every applied, failed, rolled back or rejected fix and from the fixes you make by hand\. This view does not list them yet: run smoke-repair patterns in a terminal\.$/ },
} as const;
const CONTAINER = 'Smoke Repair';
const START = 'Start Repair Loop';
const REFRESH = 'Refresh Repair History';
const PALETTE_LABEL = 'Smoke Repair: Start Repair Loop';
const PROGRESS_TITLE = 'Smoke Repair: repair loop';
const SAVE_AND_START = 'Save All and Start';
/** `Smoke Repair: repair loop 58% → 95% in 2 iteration(s), 6 fix(es) applied; stopped: plateau. 1 failure(s) left for you: order total.` */
const ASKED = /^Smoke Repair: a fix waits for your approval \(every fix waits, danger \d+\): /;
const DONE = /^Smoke Repair: repair loop (\d+)% → (\d+)% in (\d+) iteration\(s\), (\d+) fix\(es\) applied; stopped: ([^.]+)\.(?: (\d+) failure\(s\) left for you: (.*)\.)?$/;
const PASS_RATE = /^\s*Smoke \d+\/\d+ \(\d+%\)\s*$/;

const pct = (r: { passed: number; total: number }) => `${Math.round((r.passed / r.total) * 100)}%`;
const rateText = (r: { passed: number; total: number }) => `Smoke ${r.passed}/${r.total} (${pct(r)})`;

export async function runRepairLoopTest(context: BrowserContext, target: WorkbenchTarget, opts: RepairLoopOptions): Promise<RepairLoopResult> {
  const page = await context.newPage();
  page.setDefaultTimeout(opts.timeoutMs);
  page.on('pageerror', (err) => opts.log(`  [repair loop page error] ${err.message}`));
  const result: RepairLoopResult = { checks: [], timings: {}, message: '', notifications: [], history: [], diff: [] };
  const { mark, check } = stepRunner(page, 'repair loop', opts, result);
  const statusItem = (text: RegExp) => page.locator('#workbench\\.parts\\.statusbar .statusbar-item').filter({ hasText: text }).first();
  const sidebar = page.locator('#workbench\\.parts\\.sidebar');
  const pane = (name: string) => sidebar.locator('.pane', { has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${name}\\s*$`) }) });
  const unsavedFile = path.join(target.workspace, opts.unsaved.file);
  const want = `${pct(opts.before)} → ${pct(opts.after)}`;

  try {
    await check('repair loop: the Smoke Repair sidebar before any repair', 'repair-loop-empty', async () => {
      await page.goto(workbenchUrl(target), { timeout: opts.timeoutMs, waitUntil: 'domcontentloaded' });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible' });
      await statusItem(/^\s*Smoke ready\s*$/).waitFor({ state: 'visible' });
      mark('status bar says Smoke ready');
      // Every notification the window shows, noted by an observer in the page as it appears.
      await watchNotifications(page);

      const item = page.locator(`#workbench\\.parts\\.activitybar .action-item a.action-label[aria-label^="${CONTAINER}"]`).first();
      await item.waitFor({ state: 'visible' });
      const icon = await activityIcon(item);
      await item.click();
      await poll(async () => squash(await sidebar.locator('.composite.title').innerText().catch(() => '')).toUpperCase().startsWith(CONTAINER.toUpperCase()), opts.timeoutMs, `the sidebar titled "${CONTAINER}"`);
      mark('Smoke Repair sidebar open');

      // textContent: the headers are upper-cased by CSS only.
      const titles = (await sidebar.locator('.pane-header h3.title').allTextContents()).map(squash);
      const names = [VIEWS.history.name, VIEWS.approvals.name, VIEWS.patterns.name];
      if (titles.join('|') !== names.join('|')) throw new Error(`the sidebar's views are ${JSON.stringify(titles)}, expected ${JSON.stringify(names)}`);
      const seen: string[] = [];
      for (const v of Object.values(VIEWS)) seen.push(`${v.name}: "${await welcomeText(pane(v.name), v.empty, opts.timeoutMs)}"`);
      const history = pane(VIEWS.history.name);
      const buttons = (await history.locator('.welcome-view-content').getByRole('button').allInnerTexts()).map(squash);
      if (!buttons.includes(START)) throw new Error(`the empty Repair History offers the buttons ${JSON.stringify(buttons)}, expected "${START}"`);
      if ((await history.locator('.monaco-list-row').count()) > 0) throw new Error(`the Repair History of a fresh copy lists rows: ${JSON.stringify(await history.locator('.monaco-list-row').allInnerTexts())}`);
      // The view's title buttons (shown on hover) are there with their names.
      await history.locator('.pane-header').hover();
      const actions = await history.locator('.pane-header .actions .action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      for (const a of [START, REFRESH]) if (!actions.some((x) => x.startsWith(a))) throw new Error(`the Repair History title offers ${JSON.stringify(actions)}, expected "${a}"`);
      await opts.screenshot(page, 'repair-loop-empty');
      return `activity bar "${CONTAINER}" (icon ${icon}); ${seen.join('; ')}; welcome buttons ${JSON.stringify(buttons)}; title buttons ${JSON.stringify(actions)}`;
    });

    await check('repair loop: Start Repair Loop asks to save an unsaved file, saves it and starts', 'repair-loop-start', async () => {
      await paletteOffers(page, PALETTE_LABEL);
      mark(`the palette offers "${PALETTE_LABEL}"`);
      await openFile(page, opts.unsaved.file, opts.timeoutMs);
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type(opts.unsaved.line);
      const dirty = page.locator('.part.editor .tab.dirty').filter({ hasText: path.basename(opts.unsaved.file) });
      await dirty.waitFor({ state: 'visible' });
      if (readFileSync(unsavedFile, 'utf8').includes(opts.unsaved.line)) throw new Error(`${opts.unsaved.file} was written before the question (files.autoSave must be off)`);
      mark(`${opts.unsaved.file} has unsaved changes`);

      await pane(VIEWS.history.name).locator('.welcome-view-content').getByRole('button', { name: START }).click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible' });
      const question = squash(await dialog.locator('.dialog-message-container').innerText());
      if (!/1 file\(s\) have unsaved changes/.test(question)) throw new Error(`the question reads "${question}", expected it to count 1 unsaved file`);
      await opts.screenshot(page, 'repair-loop-save');
      await dialog.getByRole('button', { name: SAVE_AND_START }).click();
      await dialog.waitFor({ state: 'hidden' });
      mark(`answered "${SAVE_AND_START}"`);
      await poll(async () => readFileSync(unsavedFile, 'utf8').includes(opts.unsaved.line), opts.timeoutMs, `${opts.unsaved.file} on disk to hold the typed line`);
      await dirty.waitFor({ state: 'hidden' });
      let progress: Seen | undefined;
      await poll(
        async () => {
          progress = (await notifications(page)).find((n) => n.message.startsWith(PROGRESS_TITLE) && !DONE.test(n.message));
          return progress !== undefined;
        },
        opts.timeoutMs,
        `the notification "${PROGRESS_TITLE}"`,
      );
      mark(`notification "${progress!.message}"`);
      return `the question "${question}" answered "${SAVE_AND_START}"; ${opts.unsaved.file} saved; "${progress!.message}"`;
    });

    await check('repair loop: runs in a cancellable notification and ends with the pass rates', 'repair-loop', async () => {
      let done: RegExpExecArray | null = null;
      await poll(
        async () => {
          const seen = await notifications(page);
          const failed = seen.find((n) => n.severity !== 'info' && /^Smoke Repair: /.test(n.message));
          if (failed) throw new Error(`the loop ended with the ${failed.severity} "${failed.message}"`);
          const last = seen.find((n) => DONE.test(n.message));
          done = last ? DONE.exec(last.message) : null;
          return done !== null;
        },
        opts.timeoutMs,
        'the information message "Smoke Repair: repair loop … → … in … iteration(s), … fix(es) applied; stopped: …"',
      );
      const m = done! as RegExpExecArray;
      result.message = m[0];
      mark(`message "${result.message}"`);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop');
      const seen = await notifications(page);
      result.notifications = seen.map((n) => `${n.severity}: ${n.message}${n.buttons.length ? ` [${n.buttons.join(', ')}]` : ''}${n.progress ? ' (progress)' : ''}`);
      const progress = seen.find((n) => n.message.startsWith(PROGRESS_TITLE) && !DONE.test(n.message))!;
      if (!progress.buttons.includes('Cancel')) throw new Error(`the notification "${progress.message}" offers ${JSON.stringify(progress.buttons)}, expected a Cancel button`);
      if (!progress.progress) throw new Error(`the notification "${progress.message}" showed no progress bar`);
      if (`${m[1]}% → ${m[2]}%` !== want) throw new Error(`the message reads "${m[0]}", expected the pass rate ${want} (FAULTS.md)`);
      const left = m[7] ? m[7].split(', ') : [];
      if (left.join('|') !== opts.left.join('|') || Number(m[6] ?? 0) !== opts.left.length) {
        throw new Error(`the message reads "${m[0]}", expected ${opts.left.length} failure(s) left: ${opts.left.join(', ')}`);
      }
      if (Number(m[4]) === 0) throw new Error(`the message reads "${m[0]}": no fix applied`);
      // The smoke run after the loop has ended before the message: the status bar shows its result.
      const rate = statusItem(PASS_RATE);
      await rate.waitFor({ state: 'visible' });
      const shown = squash(await rate.innerText());
      if (shown !== rateText(opts.after)) throw new Error(`the status bar shows "${shown}", expected "${rateText(opts.after)}" (FAULTS.md, after repair)`);
      await poll(async () => (await page.locator('.notifications-toasts .notification-list-item-message').filter({ hasText: /^Smoke Repair: repair loop: / }).count()) === 0, opts.timeoutMs, 'the progress notification to close');
      return `"${progress.message}" [${progress.buttons.join(', ')}] with a progress bar; "${result.message}"; status bar "${shown}"`;
    });

    await check('repair loop: Repair History shows the run, its iterations and fixes', 'repair-loop-history', async () => {
      const m = DONE.exec(result.message)!;
      const iterations = Number(m[3]);
      const applied = Number(m[4]);
      // The other two views folded: the tree gets the sidebar's height and shows every row.
      for (const v of [VIEWS.approvals, VIEWS.patterns]) await setExpanded(pane(v.name), false, opts.timeoutMs);
      const history = pane(VIEWS.history.name);
      const list = history.locator('.monaco-list').first();
      const rowOf = (level: number, label: RegExp) => list.locator(`.monaco-list-row[aria-level="${level}"]`).filter({ has: page.locator('.label-name', { hasText: label }) }).first();
      const run = rowOf(1, new RegExp(`^Repair loop ${want}$`));
      await poll(async () => run.isVisible(), opts.timeoutMs, `the Repair History row "Repair loop ${want}"`).catch(async (err: Error) => {
        throw new Error(`${err.message}; rows: ${JSON.stringify((await historyRows(list)).map((r) => r.label))}`);
      });
      mark('Repair History lists the run');
      await expand(run, opts.timeoutMs);
      const iterationRows = list.locator('.monaco-list-row[aria-level="2"]');
      await poll(async () => (await iterationRows.count()) === iterations, opts.timeoutMs, `${iterations} iteration row(s) under the run`);
      for (let i = 0; i < iterations; i++) await expand(iterationRows.nth(i), opts.timeoutMs);
      await poll(async () => (await list.locator('.monaco-list-row[aria-level="3"]').count()) > 0, opts.timeoutMs, 'fix rows under the iterations');
      result.history = await historyRows(list);
      mark(`Repair History expanded (${result.history.length} rows)`);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop-history');

      const rows = result.history;
      const shown = () => `; rows:\n    ${rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label} — ${r.description} (${r.icon})`).join('\n    ')}`;
      const top = rows.filter((r) => r.level === 1);
      if (top.length !== 1) throw new Error(`the history of a fresh copy lists ${top.length} runs, expected 1${shown()}`);
      if (!top[0]!.description.includes(m[5]!)) throw new Error(`the run's description "${top[0]!.description}" does not give the stop reason "${m[5]}"${shown()}`);
      const its = rows.filter((r) => r.level === 2).map((r) => ({ row: r, rate: /^Iteration (\d+): (\d+)% → (\d+)%$/.exec(r.label) }));
      if (its.some((x) => !x.rate)) throw new Error(`an iteration row is not "Iteration n: a% → b%"${shown()}`);
      const first = its[0]!.rate!;
      const last = its[its.length - 1]!.rate!;
      if (first[1] !== '1' || `${first[2]}%` !== pct(opts.before)) throw new Error(`the first iteration should be "Iteration 1: ${pct(opts.before)} → …"${shown()}`);
      if (`${last[3]}%` !== pct(opts.after)) throw new Error(`the last iteration should end at ${pct(opts.after)}${shown()}`);
      const fixes = rows.filter((r) => r.level === 3);
      const appliedRows = fixes.filter((r) => /(^| · )applied$/.test(r.description));
      if (appliedRows.length !== applied) throw new Error(`the message says ${applied} fix(es) applied, the history marks ${appliedRows.length} as applied${shown()}`);
      const bad = appliedRows.filter((r) => !r.description.includes('validation passed') || !r.icon.includes('codicon-pass'));
      if (bad.length) throw new Error(`applied fixes without "validation passed" and the pass icon: ${JSON.stringify(bad)}${shown()}`);
      // Each applied fix is titled with the scenario it repairs: one that failed, not one left.
      const scenario = (r: HistoryRow) => r.label.slice(0, Math.max(0, r.label.indexOf(': ')));
      const stray = appliedRows.filter((r) => !opts.failing.includes(scenario(r)) || opts.left.includes(scenario(r)));
      if (stray.length) throw new Error(`applied fixes not titled with a fixable failing scenario (${opts.failing.filter((f) => !opts.left.includes(f)).join(', ')}): ${JSON.stringify(stray.map((r) => r.label))}${shown()}`);
      if (!appliedRows.some((r) => opts.diffFix.title.test(r.label))) throw new Error(`no applied fix matches ${opts.diffFix.title}${shown()}`);
      return `"${top[0]!.label}" (${top[0]!.description}); ${its.map((x) => `"${x.row.label}"`).join(', ')}; ${fixes.length} fix rows, ${appliedRows.length} applied (validation passed): ${appliedRows.map(scenario).join(', ')}`;
    });

    await check('repair loop: an applied fix opens its diff, read-only', 'repair-loop-diff', async () => {
      const list = pane(VIEWS.history.name).locator('.monaco-list').first();
      const fix = list.locator('.monaco-list-row[aria-level="3"]').filter({ has: page.locator('.label-name', { hasText: opts.diffFix.title }) }).first();
      const title = squash(await fix.locator('.label-name').innerText());
      await fix.click();
      const tab = page.locator('.part.editor .editor-group-container.active .tab.active');
      let tabLabel = '';
      await poll(
        async () => {
          tabLabel = (await tab.getAttribute('aria-label').catch(() => null)) ?? '';
          return /\.diff\b/.test(tabLabel);
        },
        opts.timeoutMs,
        `an editor on the fix's .diff document after clicking "${title}"`,
      );
      const editor = page.locator('.part.editor .editor-group-container.active .editor-container .monaco-editor').first();
      await editor.waitFor({ state: 'visible' });
      await poll(async () => (await visibleLines(editor)).some((l) => /^@@/.test(l)), opts.timeoutMs, 'the diff text (an @@ hunk header)');
      result.diff = await visibleLines(editor);
      const mode = squash(await page.locator('#status\\.editor\\.mode').innerText().catch(() => ''));
      mark(`diff "${squash(await tab.innerText())}" open (${mode})`);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop-diff');
      const text = `\n    ${result.diff.join('\n    ')}`;
      if (mode !== 'Diff') throw new Error(`the document's language is "${mode}", expected Diff`);
      if (!result.diff.some((l) => l === `--- a/${opts.diffFix.file}`) || !result.diff.some((l) => l === `+++ b/${opts.diffFix.file}`)) {
        throw new Error(`the diff does not name ${opts.diffFix.file} in its --- a/ and +++ b/ lines:${text}`);
      }
      const added = result.diff.find((l) => opts.diffFix.added.test(l));
      const removed = result.diff.find((l) => opts.diffFix.removed.test(l));
      if (!added || !removed) throw new Error(`the diff should remove a line matching ${opts.diffFix.removed} and add one matching ${opts.diffFix.added}:${text}`);
      // What the diff adds is what the loop left on disk.
      const onDisk = readFileSync(path.join(target.workspace, opts.diffFix.file), 'utf8').split('\n');
      if (!onDisk.includes(added.slice(1))) throw new Error(`${opts.diffFix.file} on disk has no line "${added.slice(1)}"`);
      if (onDisk.includes(removed.slice(1))) throw new Error(`${opts.diffFix.file} on disk still has the line "${removed.slice(1)}"`);
      // Read-only: a keystroke is refused with the editor's message, and the text stays.
      const before = (await visibleLines(editor)).join('\n');
      await editor.locator('.view-lines').click({ position: { x: 5, y: 5 } });
      await page.keyboard.type('x');
      const refusal = page.locator('.monaco-editor-overlaymessage').filter({ hasText: /read-?only/i }).first();
      await poll(() => refusal.isVisible(), opts.timeoutMs, 'the "read-only editor" message after typing into the diff');
      const message = squash(await refusal.innerText());
      if ((await visibleLines(editor)).join('\n') !== before || (await page.locator('.part.editor .tab.active.dirty').count()) > 0) {
        throw new Error('typing into the diff changed it: the document is not read-only');
      }
      return `"${title}" → tab "${tabLabel}" (${mode}): "${removed}" / "${added}", as on disk; typing refused ("${message}")`;
    });

    await check('repair loop: the run opens its report, with the pass rate per iteration as a chart', 'repair-loop-report', async () => {
      const list = pane(VIEWS.history.name).locator('.monaco-list').first();
      const run = list.locator('.monaco-list-row[aria-level="1"]').first();
      await run.hover();
      const open = run.locator('.actions .action-label[aria-label^="Open Run Report"]');
      await open.waitFor({ state: 'visible' });
      await open.click();
      const tab = page.locator('.part.editor .editor-group-container.active .tab.active');
      await poll(async () => ((await tab.getAttribute('aria-label').catch(() => null)) ?? '').startsWith('Repair loop report'), opts.timeoutMs, 'an editor tab "Repair loop report"');
      // The webview's document sits in a frame inside the webview's frame (laid over the editor, not inside it).
      const doc = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
      const chart = doc.locator('svg.chart');
      await chart.waitFor({ state: 'visible' });
      const label = (await chart.getAttribute('aria-label')) ?? '';
      const heading = squash(await doc.locator('h1').innerText());
      const points = await doc.locator('circle.point').count();
      const types = (await doc.locator('table.types th').allInnerTexts()).map(squash);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop-report');
      const m = DONE.exec(result.message)!;
      if (heading !== `Repair loop ${want}`) throw new Error(`the report's heading reads "${heading}", expected "Repair loop ${want}"`);
      if (points !== Number(m[3]) + 1) throw new Error(`the chart has ${points} points, expected one per smoke run (${Number(m[3]) + 1})`);
      const rates = /^Pass rate per iteration: (.*)$/.exec(label)?.[1]?.split(', ') ?? [];
      if (rates[0] !== pct(opts.before) || rates.at(-1) !== pct(opts.after)) throw new Error(`the chart reads "${label}", expected it to run from ${pct(opts.before)} to ${pct(opts.after)}`);
      if (types.length === 0) throw new Error('the report lists no fixes by type');
      await page.keyboard.press('Control+W').catch(() => undefined);
      return `"${heading}": chart "${label}" (${points} points); fixes by type: ${types.join(', ')}`;
    });

    await check('repair loop: a fix that waits for a person is approved from Pending Approvals', 'repair-loop-approval', async () => {
      // The fix whose diff was opened is rolled back from the command line (files restored, the app
      // restarted): its fault is back. The workspace then asks a person about every fix.
      const file = path.join(target.workspace, opts.diffFix.file);
      const fixed = readFileSync(file, 'utf8');
      const runs = path.join(target.workspace, '.smoke-repair', 'runs');
      const records = readdirSync(runs).map((f) => JSON.parse(readFileSync(path.join(runs, f), 'utf8')) as { applied: boolean; checkpointId?: string; violation: { scenario: string } });
      const record = records.find((r) => r.applied && r.checkpointId && opts.diffFix.title.test(`${r.violation.scenario}: `));
      if (!record) throw new Error(`no applied repair record in ${runs} for ${opts.diffFix.title}`);
      const rolledBack = await runCli(['rollback', '--checkpoint', record.checkpointId!, '--quiet', '-w', target.workspace]);
      if (rolledBack.code !== 0) throw new Error(`smoke-repair rollback --checkpoint ${record.checkpointId} exited ${rolledBack.code}: ${rolledBack.stderr}`);
      if (readFileSync(file, 'utf8') === fixed) throw new Error(`${opts.diffFix.file} is unchanged after the rollback`);
      const config = path.join(target.workspace, 'smoke-repair.yaml');
      writeFileSync(config, `${readFileSync(config, 'utf8')}\nloop:\n  approve: none\n`);
      mark(`rolled back ${record.checkpointId} (${squash(rolledBack.stdout).slice(0, 120)}); loop.approve: none`);
      const before = (await notifications(page)).length;

      await runFromPalette(page, PALETTE_LABEL);
      let asked: Seen | undefined;
      await poll(
        async () => {
          const seen = (await notifications(page)).slice(before);
          const failed = seen.find((n) => n.severity !== 'info' && /^Smoke Repair: /.test(n.message));
          if (failed) throw new Error(`the loop ended with the ${failed.severity} "${failed.message}"`);
          asked = seen.find((n) => ASKED.test(n.message));
          return asked !== undefined && seen.some((n) => DONE.test(n.message));
        },
        opts.timeoutMs,
        'the notification "Smoke Repair: a fix waits for your approval …" and the end of the loop',
      );
      mark(`notification "${asked!.message}" [${asked!.buttons.join(', ')}]`);
      for (const b of ['Show Diff', 'Approve', 'Reject']) if (!asked!.buttons.includes(b)) throw new Error(`the notification "${asked!.message}" offers ${JSON.stringify(asked!.buttons)}, expected "${b}"`);
      if (readFileSync(file, 'utf8') === fixed) throw new Error(`${opts.diffFix.file} was written while its fix waits for a person`);

      await setExpanded(pane(VIEWS.history.name), false, opts.timeoutMs);
      const approvals = pane(VIEWS.approvals.name);
      await setExpanded(approvals, true, opts.timeoutMs);
      const row = approvals.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: opts.diffFix.title }) }).first();
      await poll(async () => row.isVisible(), opts.timeoutMs, `a Pending Approvals row matching ${opts.diffFix.title}`);
      const label = squash(await row.locator('.label-name').innerText());
      const description = squash(await row.locator('.label-description').innerText().catch(() => ''));
      if (!/^every fix waits · danger \d+ · validation passed$/.test(description)) throw new Error(`the row "${label}" reads "${description}", expected "every fix waits · danger N · validation passed"`);
      await row.hover();
      await page.mouse.move(1, 1);
      await row.hover();
      await opts.screenshot(page, 'repair-loop-approval');
      const approve = row.locator('.actions .action-label[aria-label^="Approve Fix"]');
      await approve.waitFor({ state: 'visible' });
      const afterAsk = (await notifications(page)).length;
      await approve.click();
      mark(`clicked Approve Fix on "${label}"`);
      let applied: Seen | undefined;
      await poll(
        async () => {
          applied = (await notifications(page)).slice(afterAsk).find((n) => /^Smoke Repair: .*: applied: approved by /.test(n.message) || (n.severity !== 'info' && /^Smoke Repair: /.test(n.message)));
          return applied !== undefined;
        },
        opts.timeoutMs,
        'the information message "Smoke Repair: …: applied: approved by …"',
      );
      if (applied!.severity !== 'info') throw new Error(`approving ended with the ${applied!.severity} "${applied!.message}"`);
      mark(`message "${applied!.message}"`);
      if (readFileSync(file, 'utf8') !== fixed) throw new Error(`${opts.diffFix.file} on disk is not the approved fix's text`);
      const rate = statusItem(PASS_RATE);
      await poll(async () => squash(await rate.innerText().catch(() => '')) === rateText(opts.after), opts.timeoutMs, `the status bar to show "${rateText(opts.after)}" again`);
      await welcomeText(approvals, VIEWS.approvals.empty, opts.timeoutMs);
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop-approved');
      return `"${asked!.message}" [${asked!.buttons.join(', ')}]; row "${label}" (${description}); Approve Fix → "${applied!.message}"; status bar "${rateText(opts.after)}"; the view is empty again`;
    });

    await check('repair loop: Pending Approvals and Learned Patterns show their empty state', 'repair-loop-views', async () => {
      const seen: string[] = [];
      for (const v of [VIEWS.approvals, VIEWS.patterns]) {
        await setExpanded(pane(v.name), true, opts.timeoutMs);
        seen.push(`${v.name}: "${await welcomeText(pane(v.name), v.empty, opts.timeoutMs)}"`);
      }
      await page.mouse.move(1, 1);
      await opts.screenshot(page, 'repair-loop-views');
      return seen.join('; ');
    }, result.checks.length > 0 && result.checks[0]!.ok); // independent of the loop: runs when the sidebar opened
    return result;
  } finally {
    await page.close().catch(() => undefined);
  }
}

/** The text of a view's welcome (empty-state) content once it matches `text`. */
async function welcomeText(pane: Locator, text: RegExp, timeoutMs: number): Promise<string> {
  const content = pane.locator('.welcome-view-content');
  let seen = '';
  await poll(
    async () => {
      seen = squash(await content.locator('p').allInnerTexts().then((t) => t.join(' ')).catch(() => ''));
      return text.test(seen) && (await content.isVisible());
    },
    timeoutMs,
    `the empty-state text ${text}`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; the view shows "${seen}"`);
  });
  return seen;
}

/** Clicks a view's header until the view is expanded (or folded) as asked. */
async function setExpanded(pane: Locator, expanded: boolean, timeoutMs: number): Promise<void> {
  const header = pane.locator('.pane-header').first();
  const state = async () => (await header.getAttribute('aria-expanded')) === 'true';
  if ((await state()) === expanded) return;
  await header.locator('h3.title').click();
  await poll(async () => (await state()) === expanded, timeoutMs, `the view to ${expanded ? 'expand' : 'fold'}`);
}

/** Expands a tree row: a click toggles it; ArrowRight if the click did not. */
async function expand(row: Locator, timeoutMs: number): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) === 'true') return;
  await row.click();
  await poll(
    async () => {
      if ((await row.getAttribute('aria-expanded')) === 'true') return true;
      await row.press('ArrowRight');
      return false;
    },
    timeoutMs,
    `the row "${squash(await row.innerText())}" to expand`,
  );
}

/** The tree's rows in list order: level, expansion, label, description, icon classes. */
async function historyRows(list: Locator): Promise<HistoryRow[]> {
  const rows = await list.locator('.monaco-list-row').evaluateAll((els) =>
    // No named functions inside: the page would miss the transpiler's naming helper.
    els.map((e) => ({
      index: Number(e.getAttribute('data-index')),
      level: Number(e.getAttribute('aria-level')),
      expanded: e.getAttribute('aria-expanded') === null ? undefined : e.getAttribute('aria-expanded') === 'true',
      label: ((e.querySelector('.label-name') as unknown as { innerText?: string } | null)?.innerText ?? '').replace(/\s+/g, ' ').trim(),
      description: ((e.querySelector('.label-description') as unknown as { innerText?: string } | null)?.innerText ?? '').replace(/\s+/g, ' ').trim(),
      icon: (e.querySelector('.custom-view-tree-node-item-icon') as unknown as { className?: string } | null)?.className ?? '',
    })),
  );
  return rows.sort((a, b) => a.index - b.index).map(({ index: _index, ...r }) => r);
}

/** The activity bar item's icon: its CSS mask names the SVG, which the workbench serves. */
async function activityIcon(item: Locator): Promise<string> {
  const found = await item.evaluate(async (el) => {
    // The test project has no DOM types: the page's own getComputedStyle, typed as much as used.
    const computed = (globalThis as unknown as { getComputedStyle: (e: unknown) => { webkitMaskImage?: string; maskImage?: string } }).getComputedStyle;
    const style = computed(el);
    const mask = style.webkitMaskImage || style.maskImage || '';
    const url = /url\("?([^")]+)"?\)/.exec(mask)?.[1];
    if (!url) return { mask };
    const res = await fetch(url);
    return { mask, url, status: res.status, body: (await res.text()).slice(0, 200) };
  });
  if (!found.url) throw new Error(`the "Smoke Repair" activity bar item has no icon (mask "${found.mask}")`);
  const name = decodeURIComponent(found.url).split(/[/?&=]/).filter((p) => p.endsWith('.svg')).pop() ?? found.url;
  if (name !== 'smoke-repair.svg' || found.status !== 200 || !/<svg\b/.test(found.body ?? '')) {
    throw new Error(`the activity bar icon ${found.url} answered ${found.status}: ${JSON.stringify(found.body)}; expected media/smoke-repair.svg`);
  }
  return name;
}

/** Opens the palette, types `label`, sees it offered, and closes the palette without running it. */
async function paletteOffers(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await openPalette(page);
  await page.keyboard.type(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await input.waitFor({ state: 'hidden' });
}

/** Opens a workspace file by name through Quick Open (the palette without its `>`). */
async function openFile(page: Page, file: string, timeoutMs: number): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  await openPalette(page);
  await input.fill(file);
  const pick = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: path.basename(file) }).first();
  await pick.waitFor({ state: 'visible' });
  await poll(async () => (await pick.getAttribute('class'))?.includes('focused') ?? false, timeoutMs, `"${file}" to be selected`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  const tab = page.locator('.part.editor .editor-group-container.active .tab.active');
  await poll(async () => ((await tab.getAttribute('aria-label').catch(() => null)) ?? '').includes(path.basename(file)), timeoutMs, `an editor on ${file}`);
  const editor = page.locator('.part.editor .editor-group-container.active .monaco-editor').first();
  await poll(async () => editor.evaluate((e) => e.classList.contains('focused')), timeoutMs, `the focus in the editor on ${file}`);
}

/** A notification as the observer noted it. */
interface Seen {
  message: string;
  severity: string;
  buttons: string[];
  progress: boolean;
}

/**
 * Installs an observer that notes every notification the page shows (message, severity, buttons,
 * whether a progress bar ran), so none that comes and goes between two polls is missed. Given as
 * source text: the page runs it as written.
 */
async function watchNotifications(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const seen = [];
    window.__notifications = seen;
    const squash = (t) => (t || '').replace(/\\s+/g, ' ').trim();
    const look = () => {
      for (const item of document.querySelectorAll('.notification-list-item')) {
        const message = squash(item.querySelector('.notification-list-item-message') && item.querySelector('.notification-list-item-message').innerText);
        if (!message) continue;
        const icon = item.querySelector('.notification-list-item-icon');
        const severity = icon ? (['error', 'warning', 'info'].find((s) => icon.className.includes('codicon-' + s)) || 'info') : 'info';
        const buttons = [...item.querySelectorAll('.notification-list-item-buttons-container .monaco-button')].map((b) => squash(b.innerText)).filter(Boolean);
        // The progress bar is the item's sibling, in the same list row.
        const bar = (item.parentElement || item).querySelector('.monaco-progress-container');
        const progress = !!bar && bar.classList.contains('active');
        let s = seen.find((x) => x.message === message);
        if (!s) seen.push((s = { message, severity, buttons: [], progress: false }));
        for (const b of buttons) if (!s.buttons.includes(b)) s.buttons.push(b);
        s.progress = s.progress || progress;
      }
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] });
    look();
  })()`);
}

async function notifications(page: Page): Promise<Seen[]> {
  return (await page.evaluate('window.__notifications || []')) as Seen[];
}
