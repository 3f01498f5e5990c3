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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EmbeddedPatternStore, patternStoreFor } from '../../server/src/engine/learn';
import { repairOnce } from '../../server/src/engine/repair';
import { copyFieldApp } from '../setup/field';
import { freePort } from '../setup/net';

// What this file's workspaces learn stays in them: the user's own store only where a test gives one.
process.env.SMOKE_REPAIR_USER_DIR = 'none';

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

describe('a learned fix is reused in another app of the same user', { timeout: 10 * 60_000 }, () => {
  test('`Query` removed from fastapi-tasks, then from fastapi-heroes: the second app is planned from the user store', async () => {
    const faults = plannedFaults({ apps: ['fastapi-tasks', 'fastapi-heroes'] }).filter((f) => f.kind === 'remove-import' && f.runtime === 'process' && /remove `Query` \(from-import of fastapi\)/.test(f.summary));
    const first = faults.find((f) => f.app === 'fastapi-tasks');
    const second = faults.find((f) => f.app === 'fastapi-heroes');
    assert.ok(first && second, faults.map((f) => `${f.app} ${f.file}:${f.line}`).join(', '));
    const user = mkdtempSync(path.join(tmpdir(), 'user-store-'));
    const saved = process.env.SMOKE_REPAIR_USER_DIR;
    process.env.SMOKE_REPAIR_USER_DIR = user;
    const a = copyFieldApp('fastapi-tasks', { port: await freePort() });
    const b = copyFieldApp('fastapi-heroes', { port: await freePort() });
    try {
      applyEdits(a.dir, first.edits);
      const one = await repairOnce({ workspace: a.dir, apply: 'safe' });
      const fixed = one.records.find((r) => r.applied);
      assert.ok(fixed, JSON.stringify(one.records.map((r) => [r.planner, r.reason])));
      assert.equal(fixed.planner, 'rules');

      applyEdits(b.dir, second.edits);
      const two = await repairOnce({ workspace: b.dir, apply: 'safe' });
      const reused = two.records.find((r) => r.applied);
      assert.ok(reused, JSON.stringify(two.records.map((r) => [r.planner, r.reason])));
      assert.equal(reused.planner, "learned", `the fix learned in the other app was tried first: ${JSON.stringify({ passedOver: reused.passedOver, root: reused.plan?.root_cause })}`);
      assert.match(reused.plan!.root_cause, /^known fix \(1 of 1 succeeded\): add_import for NameError/);
      assert.equal(two.passedAfter, two.total);
      // Kept in the user's store, which both workspaces share; b's own store learned it too.
      const { patterns } = await (await patternStoreFor(b.dir)).list();
      const p = patterns.find((x) => x.fixType === 'add_import');
      assert.deepEqual([p?.successes, p?.attempts, p?.layers], [2, 2, ['workspace', 'user']]);
    } finally {
      a.remove();
      b.remove();
      rmSync(user, { recursive: true, force: true });
      if (saved === undefined) delete process.env.SMOKE_REPAIR_USER_DIR;
      else process.env.SMOKE_REPAIR_USER_DIR = saved;
    }
  });
});
