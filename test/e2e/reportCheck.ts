/**
 * The failure report, as a person reaches it: the diagnostic's code in the Problems panel is a
 * link; clicking it opens a read-only Markdown editor with the request, the response and the trace.
 */
import type { Locator, Page } from 'playwright-core';
import { poll, squash, visibleLines } from './workbenchDriver';

export interface ReportSeen {
  /** The link's target (a `smoke-repair-report:` URI). */
  href: string;
  /** Title of the editor tab that opened. */
  tab: string;
  /** The report's lines read from the editor (as far as needed to find every expected text). */
  lines: string[];
  /** The message the editor showed when typing into it. */
  readOnlyMessage: string;
}

export const REPORT_SCHEME = 'smoke-repair-report:';

/**
 * Clicks the code link `code` of the problem `row` and reads the editor that opens until it has
 * shown every text of `mustContain`; then types into it and expects the read-only refusal.
 */
export async function openReportFromProblem(
  page: Page,
  row: Locator,
  code: string,
  mustContain: string[],
  timeoutMs: number,
): Promise<ReportSeen> {
  const link = row.locator('a.monaco-link', { has: page.locator('.marker-code', { hasText: code }) }).first();
  await link.waitFor({ state: 'visible' });
  const href = (await link.getAttribute('href')) ?? '';
  if (!href.startsWith(REPORT_SCHEME)) throw new Error(`the code link "${code}" points at ${href || '(nothing)'}, expected a ${REPORT_SCHEME} URI`);
  const title = decodeURIComponent(href.slice(REPORT_SCHEME.length).split('?')[0]!.split('/').pop() ?? '');
  await link.click();

  const activeTab = page.locator('.part.editor .editor-group-container.active .tab.active');
  await poll(async () => ((await activeTab.getAttribute('aria-label').catch(() => null)) ?? '').includes(title), timeoutMs, `an editor tab "${title}"`);
  const tab = squash((await activeTab.innerText()) || title);
  const editor = page.locator('.part.editor .editor-group-container.active .editor-container .monaco-editor').first();
  await editor.waitFor({ state: 'visible' });

  // Read page by page until every expected text has been on screen (or the end is reached).
  const seen: string[] = [];
  const missing = () => mustContain.filter((t) => !seen.some((l) => l.includes(t)));
  await poll(async () => (await visibleLines(editor)).some((l) => l.trim() !== ''), timeoutMs, 'the report text');
  await editor.locator('.view-lines').click({ position: { x: 5, y: 5 } });
  let previous = '';
  for (let pageNo = 0; pageNo < 50; pageNo++) {
    const lines = await visibleLines(editor);
    for (const l of lines) if (!seen.includes(l)) seen.push(l);
    if (missing().length === 0) break;
    const now = lines.join('\n');
    if (now === previous) break;
    previous = now;
    await page.keyboard.press('PageDown');
    await poll(async () => (await visibleLines(editor)).join('\n') !== now, 2000, 'the editor to scroll').catch(() => undefined);
  }
  if (missing().length > 0) {
    throw new Error(`the report "${tab}" does not show ${missing().map((t) => JSON.stringify(t)).join(', ')}; lines read:\n    ${seen.slice(0, 40).join('\n    ')}`);
  }

  // Read-only: at the top of the report a keystroke is refused with the editor's message, and the
  // lines on screen, once the editor has settled, are the same as before.
  await page.keyboard.press('Control+Home');
  const top = seen[0]!;
  const before = await settledLines(editor, timeoutMs, (lines) => lines[0] === top, 'the report to scroll back to its first line');
  await page.keyboard.type('x');
  const message = page.locator('.monaco-editor-overlaymessage').filter({ hasText: /read-?only/i }).first();
  await poll(() => message.isVisible(), timeoutMs, 'the "read-only editor" message after typing into the report');
  const readOnlyMessage = squash(await message.innerText());
  const after = await settledLines(editor, timeoutMs, () => true, 'the report editor to settle after typing');
  if (after.join('\n') !== before.join('\n')) {
    throw new Error(`typing into the report changed its text: the report editor is not read-only; first line now "${after[0]}", was "${before[0]}"`);
  }
  if (await page.locator('.part.editor .tab.active.dirty').count()) throw new Error('typing into the report made its editor dirty');
  return { href, tab, lines: seen, readOnlyMessage };
}

/** The editor's visible lines once two reads in a row agree and `ok` accepts them. */
async function settledLines(editor: Locator, timeoutMs: number, ok: (lines: string[]) => boolean, what: string): Promise<string[]> {
  let last = '';
  let lines: string[] = [];
  await poll(
    async () => {
      lines = await visibleLines(editor);
      const now = lines.join('\n');
      const settled = now === last && ok(lines);
      last = now;
      return settled;
    },
    timeoutMs,
    what,
  );
  return lines;
}
