/**
 * The end-to-end suite as one node:test test, for runners that collect `*.test.ts` files: it runs
 * `run.ts` (code-server, Chromium, the example app) as a child process and passes when it exits 0.
 *
 *   node --import tsx --test test/e2e/vscode.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

test('extension-host, UI and quick fix tests in a real VS Code (code-server + Chromium)', { timeout: 30 * 60_000 }, async (t) => {
  const entry = path.join(__dirname, 'run.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'inherit', 'inherit'] });
  // On a test timeout or cancel, run.ts stops code-server, Chromium, the app and its copy on SIGTERM.
  t.signal.addEventListener('abort', () => child.kill('SIGTERM'));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, 'test/e2e/run.ts failed; see its output above and the screenshots in test-results/e2e/');
});
