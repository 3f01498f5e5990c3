/**
 * The FixPatternLearner: a repair record becomes an attempt whose edit has this site's values
 * abstracted, so the same kind of fault at another site (another name, another file, another
 * endpoint) counts for the same pattern and finds it; outcomes come from what happened to the fix;
 * nothing from a request is kept.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { RepairRecord } from '../../server/src/engine/contracts';
import { parsePlan } from '../../server/src/engine/plan';
import { abstractEdit, attemptOf, learnFromRecords, outcomeOf, signatureOf } from '../../server/src/engine/learn/learner';
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function record(name: string, file: string, route: string, over: Partial<RepairRecord> = {}): RepairRecord {
  const parsed = parsePlan({
    root_cause: `NameError: name '${name}' is not defined`,
    category: 'IMPORT',
    confidence: 0.9,
    files: [file],
    operations: [{ type: 'add_import', file, rationale: `the handler reads ${name}`, details: { name, module: name, style: 'module' } }],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return {
    id: 'run-1-01',
    createdAt: 1,
    violation: { id: `${route}:500`, scenario: route, method: 'POST', path: `/${route}/{item_id}?token=s3cret-token`, expectedStatus: 201, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', message: `POST /${route}/{item_id} → 500 (expected 201): NameError: name '${name}' is not defined`, exceptionClass: 'NameError' },
    planner: 'rules',
    plan: parsed.plan,
    diff: `--- a/${file}\n+++ b/${file}\n@@ -1 +1,2 @@\n+import ${name}\n`,
    applied: true,
    reason: 'applied: safe and validated',
    passRateBefore: 0.5,
    timings: {},
    ...over,
  };
}

describe('the learner', () => {
  test('the edit is abstracted: the quoted name and the file become placeholders', () => {
    const r = record('uuid', 'app/routers/items.py', 'items');
    assert.deepEqual(abstractEdit(r.plan!, "name 'uuid' is not defined"), { operations: [{ type: 'add_import', file: '{file}', details: { name: '{0}', module: '{0}', style: 'module' } }] });
    const sig = signatureOf(r.violation);
    assert.deepEqual(sig, { exceptionClass: 'NameError', messageShape: "name '{}' is not defined", endpoint: 'POST /items/{}', status: 500, failureType: 'RUNTIME', strategy: 'IMPORT' });
    assert.ok(!JSON.stringify(attemptOf(r)).includes('s3cret-token'), 'no request value is kept');
  });

  test('outcomes: applied is a success, a failed validation a failure; no plan or a fix waiting says nothing', () => {
    const r = record('uuid', 'app/a.py', 'a');
    assert.equal(outcomeOf(r), 'success');
    assert.equal(outcomeOf({ ...r, applied: false, validation: { status: 'failed', steps: [], fixed: [], regressed: [] } }), 'failure');
    assert.equal(outcomeOf({ ...r, applied: false, validation: { status: 'passed', steps: [], fixed: ['a'], regressed: [] } }), undefined);
    assert.equal(outcomeOf({ ...r, plan: undefined }), undefined);
    assert.equal(attemptOf({ ...r, plan: undefined }), undefined);
  });

  test('the same kind of fault at another site counts for the same pattern, and is found from there', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'learner-'));
    dirs.push(dir);
    const store = await EmbeddedPatternStore.forWorkspace(dir);
    const n = await learnFromRecords(store, [record('uuid', 'app/routers/items.py', 'items'), record('secrets', 'app/routers/users.py', 'users'), record('json', 'app/main.py', 'orders', { applied: false, validation: { status: 'failed', steps: [], fixed: [], regressed: [] } }), record('os', 'app/x.py', 'x', { plan: undefined })]);
    assert.equal(n, 3);
    const { patterns } = await store.list();
    assert.equal(patterns.length, 1, 'one pattern: add an import named as the message says');
    assert.deepEqual([patterns[0]!.attempts, patterns[0]!.successes, patterns[0]!.failures], [3, 2, 1]);
    assert.deepEqual(patterns[0]!.endpoints, ['POST /orders/{}', 'POST /users/{}', 'POST /items/{}']);
    // A new app, a new name, a new endpoint: found by the exception class and the message shape.
    const found = await store.lookup({ exceptionClass: 'NameError', endpoint: 'GET /reports/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 });
    assert.deepEqual(found.map((p) => p.key), [patterns[0]!.key]);
    assert.match(patterns[0]!.example ?? '', /\+import (uuid|secrets)/);
    assert.ok(!readFileSync(store.file, 'utf8').includes('s3cret-token'));
  });
});
