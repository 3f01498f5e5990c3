import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Planner, Validator } from '../../server/src/engine/contracts';
import { repairLoop } from '../../server/src/engine/loop';
import { listRecords } from '../../server/src/engine/records';
import { runSmoke } from '../../server/src/engine/run';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';

/**
 * A regression the sandbox did not see, on a copy of the Node example in Docker: a fix that
 * repairs its own scenario and breaks one that passed (the sandbox is made to miss it here, as it
 * would miss state the workspace and the sandbox do not share). The real app is restarted and smoke
 * runs; the scenario that passed fails; the loop rolls the iteration back byte for byte, restarts
 * the app again so it serves the old code, records the fix as rolled back, and stops.
 */

describe('a regression after an apply is rolled back and the app reloaded', { timeout: 15 * 60_000 }, () => {
  let copy: ExampleCopy;
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
  });
  after(() => copy?.stop());

  test('the comment fix breaks "list todos": rolled back, files as they were, the app serves the old code', async () => {
    const file = 'src/routes/todos.js';
    const original = readFileSync(path.join(copy.dir, file), 'utf8');
    const start = await runSmoke({ workspace: copy.dir });
    assert.equal(start.scenarios.find((s) => s.name === 'list todos')?.ok, true);

    // Fixes the comment's status, and breaks the listing of todos.
    const block = original.slice(original.indexOf("router.get('/', (req, res) => {"), original.indexOf("router.get('/:todoId/comments'"));
    const broken = block.replace("router.get('/', (req, res) => {\n  res.json(", "router.get('/', (req, res) => {\n  res.status(500).json(").replace('  todo.comments.push(comment);\n  res.json(comment);\n', '  todo.comments.push(comment);\n  res.status(201).json(comment);\n');
    assert.ok(broken !== block && broken.split('status(').length === block.split('status(').length + 2, 'both edits made');
    const breaker: Planner = {
      name: 'breaker',
      plan: async (ctx) =>
        ctx.violation.scenario === 'comment on todo'
          ? {
              ok: true,
              plans: [
                {
                  root_cause: 'the comment is created with 200',
                  category: 'STATUS_CODE',
                  confidence: 0.9,
                  files: [file],
                  // One edit of the block between the two routes: the comment's status, and the listing broken.
                  operations: [{ type: 'modify_code', file, rationale: 'created: 201', evidence: [], details: { find: block, replace: broken } }],
                  evidence: [],
                },
              ],
            }
          : { ok: false, noPlan: { code: 'not_applicable', reason: 'only the comment is planned here' } },
    };
    // A sandbox that misses the regression.
    const blind: Validator = async (input) => ({
      status: 'passed',
      steps: [{ name: 'scenarios', status: 'passed', output: 'trusted by the test', durationMs: 0 }],
      fixed: [input.violation.scenarioId],
      regressed: [],
    });

    const { record } = await repairLoop({ workspace: copy.dir, apply: 'safe', planners: [breaker], validator: blind, regenerator: false });
    const why = async () => JSON.stringify((await listRecords(copy.dir)).records.map((r) => [r.violation.scenario, r.reason]));
    assert.equal(record.stopReason, 'regression', `${record.stopDetail}: ${await why()}`);
    const it = record.iterations[0]!;
    assert.deepEqual(it.rolledBack?.regressed, ['list todos']);
    assert.equal(it.rolledBack?.records.length, 1);
    assert.match(it.rolledBack?.reload ?? '', /restarted/);
    assert.deepEqual(it.applied, []);
    assert.equal(it.passedAfter, it.passedBefore);
    assert.match(record.stopDetail!, /made list todos fail; its 1 applied fix was rolled back/);

    assert.equal(readFileSync(path.join(copy.dir, file), 'utf8'), original, 'byte for byte as before');
    const { records } = await listRecords(copy.dir);
    const applied = records.find((r) => r.id === it.rolledBack!.records[0]);
    assert.equal(applied?.applied, true, 'the record keeps that it was applied');
    // The app serves the old code again: what passed passes, the comment fails as before.
    const after = await runSmoke({ workspace: copy.dir });
    assert.equal(after.passed, start.passed);
    assert.equal(after.scenarios.find((s) => s.name === 'list todos')?.ok, true);
    assert.equal(after.scenarios.find((s) => s.name === 'comment on todo')?.ok, false);
  });
});
