/**
 * Reuse on a field app (test/field/fastapi-tasks, as a process): a removed `crud` import
 * in one router is fixed by the rules and learned; the same kind of fault planted in another router
 * (another file, another endpoint) is planned by the learned planner first, validated and applied,
 * as the run record shows; the pattern then counts two successes of two.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyEdits } from '../../bench/corpus/faults';
import { plannedFaults } from '../../bench/corpus/runner';
import { EmbeddedPatternStore } from '../../server/src/engine/learn';
import { repairOnce } from '../../server/src/engine/repair';
import { copyFieldApp } from '../setup/field';
import { freePort } from '../setup/net';

describe('a learned fix is reused at another site', { timeout: 10 * 60_000 }, () => {
  test('fastapi-tasks: `crud` removed from tasks.py, then from users.py', async () => {
    const faults = plannedFaults({ apps: ['fastapi-tasks'] }).filter((f) => f.kind === 'remove-import' && f.runtime === 'process' && /remove `crud`/.test(f.summary));
    const first = faults.find((f) => f.file === 'app/routers/tasks.py');
    const second = faults.find((f) => f.file === 'app/routers/users.py');
    assert.ok(first && second, faults.map((f) => `${f.file}:${f.line}`).join(', '));
    const ws = copyFieldApp('fastapi-tasks', { port: await freePort() });
    try {
      applyEdits(ws.dir, first.edits);
      const one = await repairOnce({ workspace: ws.dir, apply: 'safe' });
      const fixed = one.records.find((r) => r.applied);
      assert.ok(fixed, JSON.stringify(one.records.map((r) => r.reason)));
      assert.equal(fixed.planner, 'rules');
      assert.equal(one.passedAfter, one.total);

      applyEdits(ws.dir, second.edits);
      const two = await repairOnce({ workspace: ws.dir, apply: 'safe' });
      const reused = two.records.find((r) => r.applied);
      assert.ok(reused, JSON.stringify(two.records.map((r) => [r.planner, r.reason])));
      assert.equal(reused.planner, 'learned', 'the known fix was tried first');
      assert.equal(reused.validation?.status, 'passed');
      assert.match(reused.plan!.root_cause, /^known fix \(1 of 1 succeeded\): add_import for NameError: name '\{\}' is not defined$/);
      assert.deepEqual(reused.plan!.files, ['app/routers/users.py']);
      assert.equal(two.passedAfter, two.total);

      const { patterns } = await (await EmbeddedPatternStore.forWorkspace(ws.dir)).list();
      const p = patterns.find((x) => x.fixType === 'add_import');
      assert.deepEqual([p?.successes, p?.attempts], [2, 2]);
      assert.equal(p?.endpoints.length, 2);
    } finally {
      ws.remove();
    }
  });
});
