/**
 * A plan must explain the failure's signal to rank first: a wrong pattern that merely sits in the
 * failing function (no exception of its own) is tried after the rules, so it never crowds out the
 * fix the exception asks for.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../../server/src/engine/config/schema';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { defaultExecutors, defaultPlanners } from '../../server/src/engine/repair/defaults';
import { planOne } from '../../server/src/engine/repair/planOne';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';

const ORDERS = [
  'def make_reference(prefix=None):',
  '    if prefix == None:',
  '        prefix = "ord"',
  '    return f"{prefix}-{uuid.uuid4().hex[:8]}"',
  '',
].join('\n');

function violationAt(exceptionClass: string, message: string, line: number): Violation {
  const frame = { file: 'app/orders.py', rawFile: '/srv/app/orders.py', line, function: 'make_reference', inWorkspace: true };
  return {
    id: 'pay:500', scenarioId: 'pay', scenario: 'pay order', method: 'POST', path: '/orders/{order_id}/pay', expectedStatus: 200, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'IMPORT', retryable: false, signals: [], message: `POST /orders/{order_id}/pay → 500 (expected 200): ${exceptionClass}: ${message}`,
    trace: { language: 'python', exceptionClass, message, frames: [frame], causes: [], text: '' },
    location: { file: 'app/orders.py', line }, locationKind: 'frame', logExcerpt: '', pinned: true,
    request: { method: 'POST', path: '/orders/1/pay' }, response: { status: 500, bodyExcerpt: '' }, window: { startedAt: 0, endedAt: 1 },
  };
}

async function plan(v: Violation) {
  const dir = mkdtempSync(path.join(tmpdir(), 'plan-ranking-'));
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app/orders.py'), ORDERS);
  writeFileSync(path.join(dir, 'app/__init__.py'), '');
  const config = configSchema.parse({ app: {} });
  const report = { violations: [v], scenarios: [] } as unknown as SmokeReport;
  return planOne({ workspace: dir, report, config, violation: v, files: ['app/__init__.py', 'app/orders.py'], read: workspaceReader(dir), planners: defaultPlanners(config), executors: defaultExecutors });
}

test("NameError: name 'uuid' is fixed by importing uuid, not by the `== None` smell in the same function", async () => {
  const r = await plan(violationAt('NameError', "name 'uuid' is not defined", 4));
  assert.equal(r.fix?.planner, 'rules', JSON.stringify(r.noPlan ?? r.fix?.plan));
  assert.equal(r.fix?.plan.operations[0].type, 'add_import');
  assert.match(r.patch?.diff ?? '', /\+import uuid/);
});

test('the smell is still offered when nothing that explains the failure applies', async () => {
  // A TypeError no rule explains: the `== None` comparison in the failing function is what is left.
  const r = await plan(violationAt('TypeError', "unsupported operand type(s) for +: 'NoneType' and 'str'", 2));
  assert.equal(r.fix?.planner, 'anti-pattern (smells)', JSON.stringify(r.noPlan ?? r.fix?.plan));
  assert.match(r.patch?.diff ?? '', /\+    if prefix is None:/);
});
