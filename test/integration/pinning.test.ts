import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { runSmoke } from '../../server/src/engine';
import { freePort } from '../setup/net';


function overlapWorkspace(port: number, smoke: string[]): string {
  const workspace = mkdtempSync(path.join(tmpdir(), 'smoke-overlap-'));
  cpSync(path.join(__dirname, '..', 'fixtures', 'apps', 'overlap', 'app.py'), path.join(workspace, 'app.py'));
  writeFileSync(
    path.join(workspace, 'smoke-repair.yaml'),
    [
      'app:',
      `  baseUrl: http://127.0.0.1:${port}`,
      '  health: /health',
      '  process:',
      `    command: python3 app.py ${port}`,
      'smoke:',
      ...smoke.map((l) => `  ${l}`),
      'scenarios:',
      '  - { name: alpha, request: { method: GET, path: /alpha } }',
      '  - { name: beta, request: { method: GET, path: /beta } }',
      '  - { name: health, request: { method: GET, path: /health } }',
      '',
    ].join('\n'),
  );
  return workspace;
}

test('traces of overlapping requests are pinned by re-running each failing scenario alone', async () => {
  const workspace = overlapWorkspace(await freePort(), ['concurrency: 4']);
  const messages: string[] = [];
  const report = await runSmoke({ workspace, progress: { report: (m) => messages.push(m) } });
  assert.equal(report.passed, 1);
  assert.equal(report.total, 3);
  const alpha = report.violations.find((v) => v.scenario === 'alpha')!;
  const beta = report.violations.find((v) => v.scenario === 'beta')!;
  // The two requests ran at the same time: each window holds both traces.
  assert.ok(alpha.window.startedAt < beta.window.endedAt && beta.window.startedAt < alpha.window.endedAt, 'the requests overlapped');
  assert.ok(messages.some((m) => /one at a time/.test(m)), 'the run said it re-ran failures alone');
  assert.equal(alpha.pinned, true);
  assert.equal(beta.pinned, true);
  assert.equal(alpha.trace?.exceptionClass, 'KeyError');
  assert.equal(alpha.message, "GET /alpha → 500 (expected 200): KeyError: 'price'");
  assert.deepEqual([alpha.location?.file, alpha.location?.line, alpha.locationKind], ['app.py', 10, 'frame']);
  assert.equal(beta.trace?.exceptionClass, 'ValueError');
  assert.deepEqual([beta.location?.file, beta.location?.line], ['app.py', 14]);
  assert.equal(beta.strategy, 'SERVICE');
});

test('at most smoke.pinLimit failures are re-run alone; the run says how many were left', async () => {
  const workspace = overlapWorkspace(await freePort(), ['concurrency: 4', 'pinLimit: 1']);
  const messages: string[] = [];
  const report = await runSmoke({ workspace, progress: { report: (m) => messages.push(m) } });
  assert.equal(report.violations.filter((v) => v.pinned).length, 1);
  assert.equal(report.violations.filter((v) => !v.trace).length, 1, 'the other keeps no trace rather than a guessed one');
  assert.ok(messages.some((m) => /1 more left unpinned: smoke\.pinLimit is 1/.test(m)), messages.join('\n'));
});
