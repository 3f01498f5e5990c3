/**
 * The repair loop's stopping rules, driven by scripted passes (the real passes run in
 * test/integration/repair-loop.test.ts): target, plateau, regression with its rollback (last
 * applied first, one reload), the iteration limit, cancel; the record written after each pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { listLoopRecords, loopRecordSchema, repairLoop } from '../../server/src/engine/loop';
import type { ScenarioResult, SmokeReport } from '../../server/src/engine/model';
import type { RepairRecord, RepairRunSummary, rollbackFixes } from '../../server/src/engine/repair';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function workspace(yaml = ''): string {
  const d = mkdtempSync(path.join(tmpdir(), 'loop-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'smoke-repair.yaml'), `app:\n  baseUrl: http://127.0.0.1:9\nscenarios: []\n${yaml}`);
  return d;
}

const NAMES = ['a', 'b', 'c', 'd'];

/** A smoke report where the scenarios named fail. */
function report(failing: string[]): SmokeReport {
  const scenarios: ScenarioResult[] = NAMES.map((n) => ({ scenarioId: n, name: n, method: 'GET', path: `/${n}`, resolvedPath: `/${n}`, expectedStatus: 200, status: failing.includes(n) ? 500 : 200, ok: !failing.includes(n), durationMs: 1, startedAt: 0, endedAt: 1, bodyExcerpt: '', failures: failing.includes(n) ? ['status'] : [], attempts: 1 }));
  const violations = failing.map((n) => ({ id: `${n}:500`, scenarioId: n, scenario: n, method: 'GET', path: `/${n}`, expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', retryable: false, signals: [], message: `GET /${n} → 500 (expected 200)`, locationKind: 'none', logExcerpt: '', pinned: false, request: { method: 'GET', path: `/${n}` }, response: { status: 500, bodyExcerpt: '' }, window: { startedAt: 0, endedAt: 1 } }));
  const passed = NAMES.length - failing.length;
  return { workspace: '', configFile: 'smoke-repair.yaml', baseUrl: '', runtime: 'docker', startedAt: 0, durationMs: 1, passRate: passed / NAMES.length, passed, total: NAMES.length, scenarios, violations, unsatisfied: [] } as unknown as SmokeReport;
}

/** A pass from `before` to `after`, applying a fix for each scenario in `fixes` (the others get no plan). */
function pass(n: number, before: string[], afterFailing: string[] | undefined, fixes: string[]): RepairRunSummary {
  const records: RepairRecord[] = before.map((s, i) => ({
    id: `run-${n}-${String(i + 1).padStart(2, '0')}`,
    createdAt: Date.now(),
    violation: { id: `${s}:500`, scenario: s, method: 'GET', path: `/${s}`, expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', message: `GET /${s} → 500 (expected 200)`, exceptionClass: 'NameError' },
    applied: fixes.includes(s),
    reason: fixes.includes(s) ? 'applied: safe and validated' : 'no plan: nothing provides it',
    ...(fixes.includes(s) ? { checkpointId: `cp-${n}-${s}`, plan: { operations: [{ type: 'add_import' }] } } : { noPlan: { code: 'no_rule', reason: 'no plan', tried: [] } }),
    passRateBefore: 0,
    timings: { plan: 1, validate: 2, ...(fixes.includes(s) ? { apply: 1 } : {}) },
  })) as unknown as RepairRecord[];
  const b = report(before);
  const a = afterFailing ? report(afterFailing) : undefined;
  return {
    runId: `run-${n}`, workspace: '', records, recordFiles: [], approvals: { opened: [], settled: [] }, passRateBefore: b.passRate, passRateAfter: (a ?? b).passRate, passedBefore: b.passed, passedAfter: (a ?? b).passed, total: NAMES.length,
    counts: { violations: before.length, planned: fixes.length, noPlan: before.length - fixes.length, validated: fixes.length, applied: fixes.length },
    smokeAgain: a !== undefined, reportBefore: b, ...(a ? { reportAfter: a } : {}), timings: { smoke: 5, reload: a ? 3 : 0, smokeAgain: a ? 5 : 0 },
  };
}

/** Steps that play the passes in order and note every rollback; the loop's own smoke run gives the next pass's starting report. */
function scripted(passes: RepairRunSummary[]) {
  const rollbacks: string[][] = [];
  const initial: Array<SmokeReport | undefined> = [];
  const slept: number[] = [];
  let i = 0;
  const retrySteps = {
    smoke: async () => passes[i]!.reportBefore,
    restart: async () => 'restarted',
    sleep: async (ms: number) => {
      slept.push(ms);
    },
  };
  const rollback = (async (o: { checkpointIds: string[] }) => {
    rollbacks.push(o.checkpointIds);
    return { results: [], reload: 'restarted the container' };
  }) as unknown as typeof rollbackFixes;
  return {
    rollbacks,
    initial,
    slept,
    retrySteps,
    steps: {
      pass: async (o: { initialReport?: SmokeReport }) => {
        initial.push(o.initialReport);
        const p = passes[i++];
        if (!p) throw new Error('no more passes scripted');
        return p;
      },
      rollback,
    },
  };
}

test('rises pass by pass, each from the report the last ended with, to the target', async () => {
  const ws = workspace();
  const s = scripted([pass(1, ['a', 'b', 'c'], ['c'], ['a', 'b']), pass(2, ['c'], [], ['c'])]);
  const lines: string[] = [];
  const { record, file } = await repairLoop({ workspace: ws, apply: 'safe', steps: s.steps, retrySteps: s.retrySteps, log: (l) => lines.push(l) });
  assert.equal(record.stopReason, 'target');
  assert.equal(record.iterations.length, 2);
  assert.deepEqual(record.iterations.map((i) => [i.passedBefore, i.passedAfter]), [[1, 3], [3, 4]]);
  assert.equal(s.initial[0]?.passed, 1, 'the first pass plans from the loop\'s own smoke run');
  assert.equal(s.initial[1]?.passed, 3, 'the second starts from the report the first ended with');
  // The RUNTIME failures were tried once more (1 s) before anything was planned.
  assert.deepEqual(s.slept, [1000]);
  assert.deepEqual(record.iterations[0]!.retries, [{ scenarios: ['a', 'b', 'c'], types: ['RUNTIME'], delayMs: 1000, recovered: [] }]);
  assert.equal(record.counters.autofix_backoff_seconds, 1);
  assert.deepEqual(record.iterations[0]!.fixesByType, { add_import: 2 });
  const { smoke, ...rest } = record.iterations[0]!.timings;
  assert.ok(smoke! >= 10, `smoke ${smoke}`);
  assert.deepEqual(rest, { reload: 3, backoff: 1000, plan: 3, validate: 6, apply: 2 });
  assert.equal(record.escalation, undefined);
  assert.equal(record.counters.autofix_success_ratio, 1);
  assert.deepEqual(record.counters.autofix_attempts_total, { 'NameError,applied': 3, 'NameError,no-plan': 1 });
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[1]!), { event: 'iteration', loop: record.id, n: 2, passRateBefore: 0.75, passRateAfter: 1, fixesByType: { add_import: 1 }, patternsUsed: 0, stopReason: 'target' });
  assert.deepEqual(loopRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8'))), record);
});

test('a pass that applies nothing, or gains nothing, is a plateau; what is left is escalated', async () => {
  const nothing = scripted([pass(1, ['a', 'd'], ['d'], ['a']), pass(2, ['d'], undefined, [])]);
  const { record } = await repairLoop({ workspace: workspace(), apply: 'safe', steps: nothing.steps, retrySteps: nothing.retrySteps });
  assert.equal(record.stopReason, 'plateau');
  assert.match(record.stopDetail!, /iteration 2 applied nothing/);
  assert.deepEqual(record.escalation, [{ scenario: 'd', message: 'GET /d → 500 (expected 200)', tried: 'no plan: nothing provides it' }]);
  const flat = scripted([pass(1, ['a', 'd'], ['a', 'd'], ['a'])]);
  const r2 = (await repairLoop({ workspace: workspace(), apply: 'safe', steps: flat.steps, retrySteps: flat.retrySteps })).record;
  assert.equal(r2.stopReason, 'plateau');
  assert.match(r2.stopDetail!, /gained nothing \(2\/4 → 2\/4\)/);
});

test('a regression rolls the pass back, last applied first, with one reload', async () => {
  // b passed before the pass and fails after it.
  const s = scripted([pass(1, ['a', 'c'], ['b'], ['a', 'c'])]);
  const { record } = await repairLoop({ workspace: workspace(), apply: 'safe', steps: s.steps, retrySteps: s.retrySteps });
  assert.equal(record.stopReason, 'regression');
  assert.deepEqual(s.rollbacks, [['cp-1-c', 'cp-1-a']]);
  const it = record.iterations[0]!;
  assert.deepEqual(it.rolledBack, { regressed: ['b'], records: ['run-1-01', 'run-1-02'], reload: 'restarted the container' });
  assert.deepEqual(it.applied, []);
  assert.equal(it.passRateAfter, it.passRateBefore);
  assert.equal(record.passRateEnd, 0.5);
});

test('the iteration limit; bad limits and targets are refused before anything runs', async () => {
  const s = scripted([pass(1, ['a', 'b', 'c'], ['b', 'c'], ['a']), pass(2, ['b', 'c'], ['c'], ['b'])]);
  const ws = workspace();
  const { record } = await repairLoop({ workspace: ws, apply: 'safe', steps: s.steps, retrySteps: s.retrySteps, maxIterations: 2 });
  assert.equal(record.stopReason, 'max-iterations');
  assert.match(record.stopDetail!, /2 iterations run, the pass rate is 75% \(target 100%\)/);
  await assert.rejects(repairLoop({ workspace: ws, apply: 'safe', steps: s.steps, retrySteps: s.retrySteps, target: 2 }), /target pass rate must be between 0 and 1/);
  await assert.rejects(repairLoop({ workspace: ws, apply: 'safe', steps: s.steps, retrySteps: s.retrySteps, maxIterations: 0 }), /at least 1/);
  assert.equal((await listLoopRecords(ws)).loops.length, 1);
});

test('cancel ends the loop as cancelled, with the record of what was done', async () => {
  const ctrl = new AbortController();
  const s = scripted([pass(1, ['a', 'b'], ['b'], ['a'])]);
  const pass2 = async () => {
    ctrl.abort();
    const e = new Error('cancelled');
    e.name = 'AbortError';
    throw e;
  };
  const steps = { pass: async (o: { initialReport?: SmokeReport }) => ((s.initial.length === 0 ? s.steps.pass(o) : pass2()) as Promise<RepairRunSummary>), rollback: s.steps.rollback };
  s.retrySteps.smoke = async () => s.initial.length === 0 ? pass(1, ['a', 'b'], ['b'], ['a']).reportBefore : report(['b']);
  const ws = workspace();
  const { record } = await repairLoop({ workspace: ws, apply: 'safe', steps, retrySteps: s.retrySteps, signal: ctrl.signal });
  assert.equal(record.stopReason, 'cancelled');
  assert.equal(record.iterations.length, 1);
  const { loops, problems } = await listLoopRecords(ws);
  assert.deepEqual(problems, []);
  assert.equal(loops[0]!.stopReason, 'cancelled');
});

test('retries: per failure type tries and backoff, INFRA restarts first, budgets per step and in all; smoke-repair.yaml overrides', async () => {
  const { RetryBudget, settleFailures, DEFAULT_RETRY_POLICY, retryDelayMs } = await import('../../server/src/engine/loop/retry');
  const { retryPolicy } = await import('../../server/src/engine/loop');
  const typed = (types: Record<string, string>, failing: string[]) => {
    const r = report(failing);
    for (const v of r.violations) (v as { failureType: string }).failureType = types[v.scenarioId] ?? 'RUNTIME';
    return r;
  };
  // Delays: base × multiplier^(try − 1), capped.
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, 'TRANSIENT', n)), [1000, 2000, 4000]);
  assert.deepEqual([1, 2].map((n) => retryDelayMs(DEFAULT_RETRY_POLICY, 'INFRA', n)), [1000, 1500]);
  assert.equal(retryDelayMs({ ...DEFAULT_RETRY_POLICY, capMs: 5000 }, 'TRANSIENT', 9), 5000);
  assert.equal(retryDelayMs(DEFAULT_RETRY_POLICY, 'SECURITY', 1), 1000);

  // A TRANSIENT failure that clears on the third run, an INFRA one that never does, a TEST_ASSERT one never retried.
  const types = { a: 'TRANSIENT', b: 'INFRA', c: 'TEST_ASSERT' };
  const runs = [typed(types, ['a', 'b', 'c']), typed(types, ['a', 'b', 'c']), typed(types, ['b', 'c']), typed(types, ['b', 'c'])];
  let k = 0;
  const slept: number[] = [];
  const restarts: number[] = [];
  const steps = { smoke: async () => runs[++k]!, restart: async () => { restarts.push(k); return 'restarted the container'; }, sleep: async (ms: number) => { slept.push(ms); } };
  const budget = new RetryBudget(DEFAULT_RETRY_POLICY);
  const out = await settleFailures(runs[0]!, budget, steps);
  assert.deepEqual(out.rounds.map((r) => [r.scenarios, r.delayMs, r.restarted ?? null, r.recovered]), [
    [['a', 'b'], 1000, 'restarted the container', []],
    [['a', 'b'], 2000, 'restarted the container', ['a']],
  ]);
  assert.deepEqual(slept, [1000, 2000]);
  assert.equal(out.report.passed, 2);
  assert.equal(budget.used, 2);
  // INFRA's two tries are spent: nothing is left to retry in a later step.
  assert.deepEqual(budget.candidates(out.report), []);

  // At most maxPerStep rounds in one step, maxAttempts in all.
  const always = { smoke: async () => typed({ a: 'TRANSIENT' }, ['a']), restart: async () => 'x', sleep: async () => {} };
  const tight = new RetryBudget({ ...DEFAULT_RETRY_POLICY, types: { ...DEFAULT_RETRY_POLICY.types, TRANSIENT: { attempts: 10, multiplier: 1 } }, maxPerStep: 2, maxAttempts: 3 });
  assert.equal((await settleFailures(typed({ a: 'TRANSIENT' }, ['a']), tight, always)).rounds.length, 2);
  assert.equal((await settleFailures(typed({ a: 'TRANSIENT' }, ['a']), tight, always)).rounds.length, 1);
  assert.equal((await settleFailures(typed({ a: 'TRANSIENT' }, ['a']), tight, always)).rounds.length, 0);

  // smoke-repair.yaml overrides, key by key.
  const p = retryPolicy({ retry: { baseMs: 10, types: { RUNTIME: { attempts: 0 }, TRANSIENT: { multiplier: 3 } } } });
  assert.equal(p.baseMs, 10);
  assert.equal(p.capMs, 60_000);
  assert.deepEqual(p.types.RUNTIME, { attempts: 0, multiplier: 1 });
  assert.deepEqual(p.types.TRANSIENT, { attempts: 3, multiplier: 3 });
  // ... and a bad value is a located error.
  const ws = workspace('loop:\n  retry:\n    types:\n      TRANSIENT: { attempts: -1 }\n');
  await assert.rejects(repairLoop({ workspace: ws, apply: 'safe' }), (err: Error & { errors?: Array<{ message: string; line?: number }> }) => {
    assert.equal(err.name, 'ConfigError');
    assert.ok(err.errors?.some((e) => e.line === 7), JSON.stringify(err.errors));
    return true;
  });
});

test('validated fixes held for a person are listed as pending, newest per scenario, while their scenario fails', async () => {
  const first = pass(1, ['a', 'd'], ['d'], ['a']);
  const held = first.records.find((r) => r.violation.scenario === 'd')!;
  Object.assign(held, { noPlan: undefined, plan: { root_cause: 'd is mounted without the guard its siblings have', operations: [{ type: 'include_router' }] }, validation: { status: 'passed' }, reason: "needs review (danger score 31): not applied without a person's yes" });
  const s = scripted([first, pass(2, ['d'], undefined, [])]);
  const { record } = await repairLoop({ workspace: workspace(), apply: 'safe', steps: s.steps, retrySteps: s.retrySteps });
  assert.equal(record.stopReason, 'plateau');
  assert.deepEqual(record.pending, [{ recordId: 'run-1-02', scenario: 'd', title: 'd is mounted without the guard its siblings have', why: "needs review (danger score 31): not applied without a person's yes" }]);
  const { formatLoop } = await import('../../server/src/cliTable');
  assert.match(formatLoop(record), /Waiting for a person's yes \(1\): validated, not applied\n {2}● d: d is mounted without the guard its siblings have\n {4}needs review \(danger score 31\)/);
});

test('at a plateau the model regenerates the failing code once, for what no fix reached; then the loop goes on or stops', async () => {
  const regenerator = { name: 'llm-regenerate', plan: async () => ({ ok: false as const, noPlan: { code: 'llm_error' as const, reason: 'not asked in this test' } }) };
  const run = async (passes: RepairRunSummary[], maxIterations = 5) => {
    const s = scripted(passes);
    const calls: Array<{ planners?: Array<{ name: string }>; onlyViolations?: string[]; tried?: Record<string, string[]> }> = [];
    const pass = s.steps.pass;
    const steps = { ...s.steps, pass: async (o: Parameters<typeof pass>[0]) => (calls.push(o as (typeof calls)[number]), pass(o)) };
    const lines: string[] = [];
    const { record } = await repairLoop({ workspace: workspace(), apply: 'safe', steps: steps as never, retrySteps: s.retrySteps, regenerator, maxIterations, log: (l) => lines.push(l) });
    return { record, calls, lines };
  };

  // a and b are fixed, d is not: the plateau sends d (and only d) to the model, with what was tried.
  const helped = await run([pass(1, ['a', 'd'], ['d'], ['a']), pass(2, ['d'], undefined, []), pass(3, ['d'], [], ['d'])]);
  assert.equal(helped.record.stopReason, 'target');
  assert.deepEqual(helped.calls.map((c) => c.planners?.map((p) => p.name)), [undefined, undefined, ['llm-regenerate']]);
  assert.deepEqual(helped.calls[2]!.onlyViolations, ['d:500']);
  assert.deepEqual(helped.calls[2]!.tried, { 'd:500': ['no plan: no plan: nothing provides it', 'no plan: no plan: nothing provides it'] });
  assert.deepEqual(helped.record.iterations.map((i) => i.regenerated), [undefined, undefined, ['d:500']]);
  assert.equal(JSON.parse(helped.lines[2]!).regenerated, true);

  // The regeneration gains nothing: the loop stops and says the model was asked too.
  const stuck = await run([pass(1, ['a', 'd'], ['d'], ['a']), pass(2, ['d'], undefined, []), pass(3, ['d'], undefined, [])]);
  assert.equal(stuck.record.stopReason, 'plateau');
  assert.match(stuck.record.stopDetail!, /iteration 3 applied nothing.*; the model's regeneration of the failing code did not help either \(d: no plan: nothing provides it\)$/);
  assert.equal(stuck.calls.length, 3, 'asked once per loop');

  // No iteration left for it: the plateau stands.
  const limit = await run([pass(1, ['a', 'd'], ['d'], ['a']), pass(2, ['d'], undefined, [])], 2);
  assert.equal(limit.record.stopReason, 'plateau');
  assert.equal(limit.calls.length, 2);
});
