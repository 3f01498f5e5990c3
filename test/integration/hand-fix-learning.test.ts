/**
 * A fix a person made by hand, learned and offered again (test/field/fastapi-tasks as a process,
 * through the command line): `crud` removed from one router fails its scenarios; the test edits the
 * file back as a person would; the next `smoke` says the fix was made by hand, `smoke --learn`
 * learns it (source `person`); the same kind of fault in another router is then planned by the
 * learned planner first, from that person's pattern, validated and applied.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { applyEdits } from '../../bench/corpus/faults';
import { plannedFaults } from '../../bench/corpus/runner';
import { repairOnce } from '../../server/src/engine/repair';
import { runCli } from '../setup/cli';
import { copyFieldApp } from '../setup/field';
import { freePort } from '../setup/net';

describe('a hand fix is learned and offered at the next similar failure', { timeout: 10 * 60_000 }, () => {
  test('fastapi-tasks: a person puts `crud` back in tasks.py; later `crud` goes missing from users.py', async () => {
    const faults = plannedFaults({ apps: ['fastapi-tasks'] }).filter((f) => f.kind === 'remove-import' && f.runtime === 'process' && /remove `crud`/.test(f.summary));
    const first = faults.find((f) => f.file === 'app/routers/tasks.py');
    const second = faults.find((f) => f.file === 'app/routers/users.py');
    assert.ok(first && second, faults.map((f) => `${f.file}:${f.line}`).join(', '));
    const ws = copyFieldApp('fastapi-tasks', { port: await freePort() });
    const env = { SMOKE_REPAIR_USER_DIR: 'none' };
    try {
      const file = path.join(ws.dir, first.file);
      const original = readFileSync(file, 'utf8');
      applyEdits(ws.dir, first.edits);
      const failing = await runCli(['smoke', '-w', ws.dir], env);
      assert.equal(failing.code, 1, failing.stderr);
      assert.doesNotMatch(failing.stderr, /Fixed by hand/);

      // The person's fix: the import line as it was.
      writeFileSync(file, original);
      const passing = await runCli(['smoke', '-w', ws.dir], env);
      assert.equal(passing.code, 0, passing.stdout + passing.stderr);
      assert.match(passing.stderr, /Fixed by hand since the last run: ".+" pass(es)? after your edit of app\/routers\/tasks\.py \(import crud\)\. Learn it with `smoke-repair smoke --learn`/);
      let patterns = JSON.parse((await runCli(['patterns', '-w', ws.dir, '--json'], env)).stdout).patterns;
      assert.deepEqual(patterns, [], 'asked, not learned yet');

      const learned = await runCli(['smoke', '-w', ws.dir, '--learn'], env);
      assert.equal(learned.code, 0, learned.stderr);
      assert.match(learned.stderr, /Learned your fix: .*app\/routers\/tasks\.py \(import crud\)/);
      patterns = JSON.parse((await runCli(['patterns', '-w', ws.dir, '--json'], env)).stdout).patterns;
      assert.equal(patterns.length, 1, JSON.stringify(patterns));
      assert.deepEqual([patterns[0].sources, patterns[0].fixType, patterns[0].signature.exceptionClass], [['person'], 'add_import', 'NameError']);
      assert.match(patterns[0].example, /^\+from \.\. import crud, schemas$/m);

      applyEdits(ws.dir, second.edits);
      const summary = await repairOnce({ workspace: ws.dir, apply: 'safe' });
      const reused = summary.records.find((r) => r.applied);
      assert.ok(reused, JSON.stringify(summary.records.map((r) => [r.planner, r.reason])));
      assert.equal(reused.planner, 'learned', 'the known fix was tried first');
      assert.match(reused.plan!.root_cause, /^known fix \(1 of 1 succeeded\): add_import for NameError/);
      assert.match(reused.plan!.evidence.join('\n'), /learned from person/);
      assert.deepEqual(reused.plan!.files, ['app/routers/users.py']);
      assert.equal(summary.passedAfter, summary.total);
    } finally {
      ws.remove();
    }
  });
});
