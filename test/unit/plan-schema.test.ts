import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePlan, planViolation, rulesPlanner } from '../../server/src/engine/plan';
import { sha256 } from '../../server/src/engine/files/hash';
import type { Planner, PlanningContext, Rule } from '../../server/src/engine/contracts';
import type { SmokeConfig } from '../../server/src/engine/config/schema';
import type { SmokeReport, Violation } from '../../server/src/engine/model';

const op = (file = 'app/main.py') => ({
  type: 'add_import',
  file,
  rationale: 'uuid is used but never imported',
  evidence: ['z: NameError', 'a: line 43'],
  details: { name: 'uuid', module: 'uuid', style: 'module' },
});
const plan = (over: Record<string, unknown> = {}) => ({
  root_cause: 'uuid is not imported',
  category: 'IMPORT',
  confidence: 0.9,
  files: ['app/main.py'],
  operations: [op()],
  ...over,
});

function errorsOf(input: unknown): string[] {
  const r = parsePlan(input);
  assert.equal(r.ok, false, 'expected a rejection');
  return (r as { errors: string[] }).errors;
}

describe('parsePlan', () => {
  test('a valid plan parses and is normalised (files, evidence sorted)', () => {
    const r = parsePlan(JSON.stringify(plan({ files: ['b.py', './app/main.py'], operations: [op('app/main.py')] })));
    assert.ok(r.ok);
    assert.deepEqual(r.plan.files, ['app/main.py', 'b.py']);
    assert.deepEqual(r.plan.operations[0].evidence, ['a: line 43', 'z: NameError']);
  });

  test('invalid JSON names line and column', () => {
    const errors = errorsOf('{\n  "root_cause": "x",\n  "category": }');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^invalid JSON at line 3, column 15 \(offset 37\): Unexpected token '}'$/);
    assert.match(errorsOf('{"a": 1,')[0], /^invalid JSON at line 1, column 9/);
    assert.match(errorsOf('')[0], /^invalid JSON at line 1, column 1/);
  });

  test('extra keys are named with their path', () => {
    assert.deepEqual(errorsOf(plan({ patch: '--- a' })), ['(root): unknown key "patch"']);
    const bad = plan({ operations: [{ ...op(), details: { name: 'uuid', module: 'uuid', style: 'module', diff: 'x' } }] });
    assert.deepEqual(errorsOf(bad), ['operations[0].details: unknown key "diff"']);
  });

  test('an operation on a file not in files', () => {
    assert.deepEqual(errorsOf(plan({ operations: [op(), op(), op('a.py')] })), ['operations[2].file: "a.py" is not in files']);
  });

  test('too many operations', () => {
    assert.deepEqual(errorsOf(plan({ operations: Array.from({ length: 11 }, () => op()) })), ['operations: at most 10 operations (got 11)']);
  });

  test('duplicate and unnormalised paths', () => {
    assert.deepEqual(errorsOf(plan({ files: ['app/main.py', './app/main.py'] })), ['files[1]: "app/main.py" is listed twice']);
    const errs = errorsOf(plan({ files: ['app/main.py', '../etc/passwd', '/abs.py', 'a//b.py'] }));
    for (const e of [
      'files[1]: "../etc/passwd" is not a normalised relative path (no "..", "." or empty segments)',
      'files[2]: "/abs.py" is not a path inside the workspace, relative to it (not absolute)',
      'files[3]: "a//b.py" is not a normalised relative path (no "..", "." or empty segments)',
    ]) assert.ok(errs.includes(e), `missing: ${e}\n${errs.join('\n')}`);
  });

  test('confidence out of range', () => {
    assert.deepEqual(errorsOf(plan({ confidence: 1.5 })), ['confidence: must be at most 1 (got 1.5)']);
    assert.deepEqual(errorsOf(plan({ confidence: -0.1 })), ['confidence: must be at least 0 (got -0.1)']);
  });

  test('unknown operation type, wrong category, missing key', () => {
    assert.match(errorsOf(plan({ operations: [{ ...op(), type: 'write_diff' }] }))[0], /^operations\[0\]\.type: unknown operation type "write_diff" \(expected one of add_dependency, /);
    assert.match(errorsOf(plan({ category: 'MAGIC' }))[0], /^category: "MAGIC" is not one of "DEPENDENCY"/);
    const { root_cause: _omit, ...rest } = plan();
    assert.deepEqual(errorsOf(rest), ['root_cause: missing (expected string)']);
  });

  test('all problems at once, cross-field checks included', () => {
    const errs = errorsOf(plan({ confidence: 2, files: ['a.py', 'a.py'], operations: [op('b.py')] }));
    assert.deepEqual(errs.sort(), ['confidence: must be at most 1 (got 2)', 'files[1]: "a.py" is listed twice', 'operations[0].file: "b.py" is not in files'].sort());
  });
});

const violation = { id: 'pay-order:500', scenarioId: 'pay-order', failureType: 'RUNTIME', strategy: 'IMPORT', actualStatus: 500 } as Violation;
function context(files: Record<string, string>): PlanningContext {
  return {
    workspace: '/nowhere',
    violation,
    report: {} as SmokeReport,
    config: {} as SmokeConfig,
    files: Object.keys(files),
    read: async (f) => files[f],
  };
}

describe('planViolation', () => {
  test('tries planners in order, skips invalid plans, records base hashes', async () => {
    const calls: string[] = [];
    const planners: Planner[] = [
      { name: 'learned', plan: async () => (calls.push('learned'), { ok: false, noPlan: { code: 'no_rule', reason: 'nothing learned yet' } }) },
      { name: 'anti-pattern', plan: async () => (calls.push('anti-pattern'), { ok: true, plans: [plan({ confidence: 3 }) as never] }) },
      { name: 'rules', plan: async () => (calls.push('rules'), { ok: true, plans: [plan({ files: ['app/main.py', 'new.py'] }) as never] }) },
      { name: 'llm', plan: async () => (calls.push('llm'), { ok: true, plans: [plan() as never] }) },
    ];
    const r = await planViolation(context({ 'app/main.py': 'import os\n' }), planners);
    assert.deepEqual(calls, ['learned', 'anti-pattern', 'rules']);
    assert.ok('fix' in r);
    assert.equal(r.fix.planner, 'rules');
    assert.deepEqual(r.fix.base, { 'app/main.py': sha256('import os\n'), 'new.py': null });
    assert.match(r.fix.id, /^fix-[0-9a-f]{12}$/);
  });

  test('no plan: says what every planner said', async () => {
    const planners: Planner[] = [
      rulesPlanner([]),
      { name: 'boom', plan: async () => { throw new Error('socket closed'); } },
      { name: 'bad', plan: async () => ({ ok: true, plans: [plan({ extra: 1 }) as never] }) },
    ];
    const r = await planViolation(context({}), planners);
    assert.ok('noPlan' in r);
    assert.deepEqual(r.noPlan.tried.map((t) => [t.planner, t.code]), [['rules', 'no_rule'], ['boom', 'planner_error'], ['bad', 'invalid_plan']]);
    assert.match(r.noPlan.tried[0].reason, /no rule applies to RUNTIME\/IMPORT \(status 500\)/);
    assert.match(r.noPlan.tried[2].reason, /unknown key "extra"/);
    assert.match(r.noPlan.reason, /^no plan: rules: .*; boom: the planner failed: socket closed; bad: /);
  });

  test('rulesPlanner: only applicable rules are asked; their "no plan" answers are kept', async () => {
    const asked: string[] = [];
    const rules: Rule[] = [
      { id: 'never', applies: () => false, plan: async () => (asked.push('never'), plan() as never) },
      { id: 'no', applies: () => true, plan: async () => (asked.push('no'), { code: 'insufficient_evidence', reason: 'no trace' }) },
      { id: 'yes', applies: () => true, plan: async () => (asked.push('yes'), plan() as never) },
    ];
    const r = await rulesPlanner(rules).plan(context({}));
    assert.deepEqual(asked, ['no', 'yes']);
    assert.ok(r.ok && r.plans.length === 1);
    const none = await rulesPlanner(rules.slice(0, 2)).plan(context({}));
    assert.deepEqual(none, { ok: false, noPlan: { code: 'insufficient_evidence', reason: 'no: no trace' } });
  });
});
