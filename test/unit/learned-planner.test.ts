/**
 * The learned planner: a pattern learned at one site makes the plan for the same kind of failure
 * at another (its placeholders filled from the new failure), patterns that never failed are asked
 * before the rules and those with failures after them, and a known fix that fails validation gives
 * way to the rest of the chain and counts against its pattern (the repair record says so).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Planner, PlanningContext, RepairRecord, Validator } from '../../server/src/engine/contracts';
import { EmbeddedPatternStore, learnFromRecords } from '../../server/src/engine/learn';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { parsePlan } from '../../server/src/engine/plan';
import { learnedPlanner, planFromPattern } from '../../server/src/engine/plan/learned';
import { repairOnce } from '../../server/src/engine/repair';
import { defaultPlanners } from '../../server/src/engine/repair/defaults';
import { loadConfig } from '../../server/src/engine/config';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function workspace(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'learned-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'smoke-repair.yaml'), 'app:\n  baseUrl: http://127.0.0.1:9\nscenarios: []\n');
  writeFileSync(path.join(d, 'reports.py'), 'def report():\n    return {"id": str(uuid.uuid4()), "at": desc("x")}\n');
  return d;
}

function violation(name: string, file = 'reports.py', route = 'reports'): Violation {
  return {
    id: `${route}:500`, scenarioId: route, scenario: route, method: 'GET', path: `/${route}/{id}`, expectedStatus: 200, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'IMPORT', retryable: false, signals: [], message: `GET /${route}/{id} → 500 (expected 200): NameError: name '${name}' is not defined`,
    location: { file, line: 2 }, locationKind: 'frame', logExcerpt: '', pinned: false, request: { method: 'GET', path: `/${route}/1` }, response: { status: 500, bodyExcerpt: '' },
    window: { startedAt: 0, endedAt: 1 }, trace: { language: 'python', exceptionClass: 'NameError', message: `name '${name}' is not defined`, frames: [{ file, line: 2, function: 'report', inWorkspace: true }], causes: [] },
  } as unknown as Violation;
}

function learnedRecord(name: string, file: string, route: string): RepairRecord {
  const parsed = parsePlan({ root_cause: 'r', category: 'IMPORT', confidence: 0.9, files: [file], operations: [{ type: 'add_import', file, rationale: 'r', details: { name, module: name, style: 'module' } }] });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const v = violation(name, file, route);
  return { id: 'run-0-01', createdAt: 1, violation: { id: v.id, scenario: v.scenario, method: v.method, path: v.path, expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', message: v.message, exceptionClass: 'NameError' }, planner: 'rules', plan: parsed.plan, applied: true, reason: 'applied', passRateBefore: 0, timings: {} };
}

async function ctxFor(ws: string, v: Violation): Promise<PlanningContext> {
  const loaded = await loadConfig(ws);
  assert.ok(loaded.ok);
  const report = { passRate: 0, passed: 0, total: 1, scenarios: [], violations: [v] } as unknown as SmokeReport;
  return { workspace: ws, violation: v, report, config: loaded.config, files: ['reports.py'], read: async (f) => (f === 'reports.py' ? 'def report():\n    return {}\n' : undefined) };
}

describe('the learned planner', () => {
  test('a pattern learned elsewhere plans this site: the name from this message, the file it points at', async () => {
    const ws = workspace();
    const store = await EmbeddedPatternStore.forWorkspace(ws);
    await learnFromRecords(store, [learnedRecord('secrets', 'app/users.py', 'users'), learnedRecord('json', 'app/orders.py', 'orders')]);
    const [pattern] = (await store.list()).patterns;
    const plan = planFromPattern(pattern!, await ctxFor(ws, violation('uuid')));
    assert.ok(typeof plan !== 'string', String(plan));
    assert.deepEqual(plan.files, ['reports.py']);
    assert.deepEqual(plan.operations![0]!.details, { name: 'uuid', module: 'uuid', style: 'module' });
    assert.match(plan.root_cause, /^known fix \(2 of 2 succeeded\): add_import for NameError: name '\{\}' is not defined$/);
    const out = await learnedPlanner('clean', async () => store).plan(await ctxFor(ws, violation('uuid')));
    assert.ok(out.ok && out.plans.length === 1);
    const later = await learnedPlanner('with-failures', async () => store).plan(await ctxFor(ws, violation('uuid')));
    assert.ok(!later.ok && /no pattern with failures among 1/.test(later.noPlan.reason));
  });

  test('the chain: known fixes without failures before the rules, those with failures after them', async () => {
    const loaded = await loadConfig(workspace());
    assert.ok(loaded.ok);
    const names = defaultPlanners(loaded.config).map((p) => p.name);
    assert.ok(names.indexOf('learned') < names.indexOf('rules') && names.indexOf('rules') < names.indexOf('learned (with failures)'), names.join(', '));
  });

  test('a known fix that fails validation gives way to the next plan, and counts against its pattern', async () => {
    const ws = workspace();
    const store = await EmbeddedPatternStore.forWorkspace(ws);
    await learnFromRecords(store, [learnedRecord('secrets', 'app/users.py', 'users')]);
    // `desc` is no module: the known "import the name" fix does not hold; the rule's plan does.
    const rule: Planner = {
      name: 'rules',
      plan: async () => ({ ok: true, plans: [{ root_cause: 'desc comes from sqlalchemy', category: 'IMPORT', confidence: 0.9, files: ['reports.py'], operations: [{ type: 'add_import', file: 'reports.py', rationale: 'r', details: { name: 'desc', module: 'sqlalchemy', style: 'named' } }] }] }),
    };
    const validator: Validator = async ({ patch }) => {
      const ok = patch.diff.includes('from sqlalchemy import desc');
      return { status: ok ? 'passed' : 'failed', steps: [{ name: 'scenarios', status: ok ? 'passed' : 'failed', summary: ok ? undefined : "the scenario still fails (500: No module named 'desc')", output: '', durationMs: 1 }], fixed: ok ? ['reports'] : [], regressed: [] };
    };
    const v = violation('desc');
    const report = { workspace: ws, configFile: 'smoke-repair.yaml', passRate: 0, passed: 0, total: 1, scenarios: [{ scenarioId: 'reports', name: 'reports', ok: false }], violations: [v] } as unknown as SmokeReport;
    const summary = await repairOnce({ workspace: ws, apply: 'none', initialReport: report, planners: [learnedPlanner('clean'), rule], validator, reload: false });
    const [r] = summary.records;
    assert.equal(r!.planner, 'rules');
    assert.equal(r!.validation?.status, 'passed');
    assert.match(r!.reason, /^dry run: safe and validated/);
    assert.deepEqual(r!.passedOver?.map((p) => [p.planner, p.stage]), [['learned', 'validation']]);
    assert.match(r!.passedOver![0]!.reason, /scenarios failed: the scenario still fails/);
    const [p] = (await store.list()).patterns.filter((x) => x.fixType === 'add_import' && (x.edit as { operations: Array<{ details: { module: string } }> }).operations[0]!.details.module === '{0}');
    assert.deepEqual([p!.successes, p!.failures], [1, 1], 'the failure counts against the pattern');
  });
});
