/**
 * Runs the extension-host suite the way `@vscode/test-web` does: the workbench is opened with a
 * development extension and a test entry in its payload; the extension host loads the entry,
 * calls `run()`, and reports its console and exit code back through two page functions.
 */
import { writeFileSync } from 'node:fs';
import type { BrowserContext } from 'playwright-core';
import { SNAPSHOT_REQUEST } from './expectation';
import { workbenchUrl, type WorkbenchTarget } from './workbench';

export interface ExtensionHostRun {
  exitCode: number;
  logs: string[];
}

export async function runExtensionHostTests(
  context: BrowserContext,
  target: WorkbenchTarget & { extensionDevelopmentPath: string; extensionTestsPath: string },
  opts: {
    timeoutMs: number;
    log: (line: string) => void;
    screenshot: (page: import('playwright-core').Page, name: string) => Promise<void>;
    /** File the suite waits for after asking for a screenshot (the value of SNAPSHOT_ENV). */
    snapshotAck: string;
  },
): Promise<ExtensionHostRun> {
  const page = await context.newPage();
  const logs: string[] = [];
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    logs.push(`${type}: ${line}`);
    opts.log(`  [extension host ${type}] ${line}`);
    if (line.includes(SNAPSHOT_REQUEST)) {
      const name = line.includes(`${SNAPSHOT_REQUEST} passed`) ? 'extension-host-final' : 'extension-host-failure';
      void opts.screenshot(page, name).finally(() => writeFileSync(opts.snapshotAck, name));
    }
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(Number(code)));
  page.on('pageerror', (err) => opts.log(`  [page error] ${err.message}`));
  try {
    await page.goto(workbenchUrl(target), { timeout: opts.timeoutMs, waitUntil: 'domcontentloaded' });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit code from the extension host after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    });
    const exitCode = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    if (!logs.some((l) => l.includes(SNAPSHOT_REQUEST))) await opts.screenshot(page, exitCode === 0 ? 'extension-host-final' : 'extension-host-failure');
    return { exitCode, logs };
  } catch (err) {
    await opts.screenshot(page, 'extension-host-failure');
    throw err;
  } finally {
    await page.close().catch(() => undefined);
  }
}
