import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { formatPlans, formatRepairSummary } from '../../server/src/cliTable';
import type { SmokeConfig } from '../../server/src/engine/config/schema';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { EXECUTORS, type ExecutorMap } from '../../server/src/engine/patch';
import { planCandidates, planViolation, rulesPlanner } from '../../server/src/engine/plan';
import { listRecords, writeRecord } from '../../server/src/engine/records';
import { planOne } from '../../server/src/engine/repair/planOne';
import type { Planner, RepairRecord } from '../../server/src/engine/contracts';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';

const MAIN = 'def total(items):\n    return 1\n';

function workspace(files: Record<string, string> = { 'app/main.py': MAIN, '.env': 'SECRET=1\n' }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'plan-fallback-'));
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), content);
  }
  return dir;
}

/** A replace_pattern plan on one file; `find` must occur exactly once for it to patch. */
const replacing = (find: string, replace: string, over: { file?: string; files?: string[]; confidence?: number } = {}) => {
  const file = over.file ?? 'app/main.py';
  return {
    root_cause: `${find} should be ${replace}`,
    category: 'LOGIC',
    confidence: over.confidence ?? 0.9,
    files: over.files ?? [file],
    operations: [{ type: 'replace_pattern', file, rationale: 'the total is wrong', evidence: ['test: expected 2'], details: { pattern: 'fixed-return', find, replace } }],
  };
};
/** Patches app/main.py. */
const works = () => replacing('return 1', 'return 2');
/** Cannot patch: the text to find is not in the file. */
const noMatch = () => replacing('return 42', 'return 2');
/** Blocked by the plan policy: an env file. */
const touchesEnv = () => replacing('SECRET=1', 'SECRET=2', { file: '.env' });

/** A planner that answers with fixed plans and counts how often it was asked. */
function fixed(name: string, plans: unknown[]): Planner & { calls: number } {
  const planner = {
    name,
    calls: 0,
    async plan() {
      planner.calls++;
      return { ok: true as const, plans: plans as never[] };
    },
  };
  return planner;
}

const violation = { id: 'total:500', scenarioId: 'total', failureType: 'RUNTIME', strategy: 'SERVICE', actualStatus: 500, message: 'GET /total: 500' } as Violation;

function run(dir: string, planners: Planner[], executors: ExecutorMap = EXECUTORS) {
  return planOne({
    workspace: dir,
    report: {} as SmokeReport,
    config: {} as SmokeConfig,
    violation,
    files: ['app/main.py', '.env'],
    read: workspaceReader(dir),
    planners,
    executors,
  });
}

describe('planOne falls back to the next plan', () => {
  test('a rule plan that does not patch: the next planner\'s plan is used, the first is passed over', async () => {
    const dir = workspace();
    const rules = fixed('rules', [noMatch()]);
    const llm = fixed('llm', [works()]);
    const r = await run(dir, [rules, llm]);
    assert.equal(r.fix?.planner, 'llm');
    assert.equal(r.patchError, undefined);
    assert.ok(r.patch?.diff.includes('+    return 2'));
    // needs-review (a model's plan) is usable: it is not passed over.
    assert.equal(r.patchPolicy?.allowed, true);
    assert.equal(r.patchPolicy?.label, 'needs-review');
    assert.equal(r.passedOver.length, 1);
    const [p] = r.passedOver;
    assert.equal(p.planner, 'rules');
    assert.equal(p.stage, 'patch');
    assert.match(p.fixId, /^fix-[0-9a-f]{12}$/);
    assert.notEqual(p.fixId, r.fix?.id);
    assert.match(p.reason, /the text to find occurs nowhere in app\/main\.py/);
  });

  test('a plan blocked by policy (.env): the next plan is used', async () => {
    const dir = workspace();
    const r = await run(dir, [fixed('anti-pattern', [touchesEnv()]), fixed('rules', [works()])]);
    assert.equal(r.fix?.planner, 'rules');
    assert.equal(r.planPolicy?.allowed, true);
    assert.equal(r.patchPolicy?.label, 'safe');
    assert.deepEqual(r.passedOver.map((p) => [p.planner, p.stage]), [['anti-pattern', 'plan-policy']]);
    assert.match(r.passedOver[0].reason, /^blocked: .*\.env/);
  });

  test('two plans of one planner: the second is used when the first does not patch', async () => {
    const dir = workspace();
    const rules = rulesPlanner([
      { id: 'first', applies: () => true, plan: async () => noMatch() as never },
      { id: 'second', applies: () => true, plan: async () => works() as never },
    ]);
    const r = await run(dir, [rules]);
    assert.equal(r.fix?.planner, 'rules');
    assert.equal(r.fix?.plan.operations[0].type, 'replace_pattern');
    assert.equal((r.fix?.plan.operations[0].details as { find: string }).find, 'return 1');
    assert.ok(r.patch);
    assert.deepEqual(r.passedOver.map((p) => [p.planner, p.stage]), [['rules', 'patch']]);
  });

  test('a patch blocked by the patch policy: the next plan is used', async () => {
    const dir = workspace();
    const outside = mkdtempSync(path.join(tmpdir(), 'plan-fallback-out-'));
    // The workspace changes while the patch is made: vendor/ becomes a link out of it.
    const executors: ExecutorMap = {
      ...EXECUTORS,
      replace_pattern: (op, ctx) => {
        if (op.details.find === 'def total') symlinkSync(outside, path.join(dir, 'vendor'));
        return EXECUTORS.replace_pattern(op, ctx);
      },
    };
    const escaping = replacing('def total', 'def total_', { files: ['app/main.py', 'vendor/lib.py'] });
    const r = await run(dir, [fixed('rules', [escaping, works()])], executors);
    assert.equal((r.fix?.plan.operations[0].details as { find: string }).find, 'return 1');
    assert.equal(r.patchPolicy?.allowed, true);
    assert.deepEqual(r.passedOver.map((p) => [p.planner, p.stage]), [['rules', 'patch-policy']]);
    assert.match(r.passedOver[0].reason, /vendor\/lib\.py: vendor is a symbolic link that leads out of the workspace/);
  });

  test('none usable: the first candidate\'s result, as without fallback, and the others passed over', async () => {
    const dir = workspace();
    const alone = await run(dir, [fixed('rules', [noMatch()])]);
    const r = await run(dir, [fixed('rules', [noMatch()]), fixed('anti-pattern', [touchesEnv()]), fixed('llm', [replacing('nowhere', 'x')])]);
    const { timings: _t1, passedOver: before, fix: fixAlone, ...restAlone } = alone;
    const { timings: _t2, passedOver, fix, ...rest } = r;
    assert.deepEqual(before, []);
    assert.deepEqual(rest, restAlone);
    assert.equal(fix?.id, fixAlone?.id);
    assert.equal(fix?.planner, 'rules');
    assert.match(r.patchError?.message ?? '', /occurs nowhere/);
    assert.equal(r.patch, undefined);
    assert.deepEqual(passedOver.map((p) => [p.planner, p.stage]), [['anti-pattern', 'plan-policy'], ['llm', 'patch']]);
    assert.match(passedOver[1].reason, /"nowhere"/);

    const blocked = await run(dir, [fixed('anti-pattern', [touchesEnv()]), fixed('rules', [noMatch()])]);
    assert.equal(blocked.planPolicy?.allowed, false);
    assert.equal(blocked.fix?.planner, 'anti-pattern');
    assert.equal(blocked.patch, undefined);
    assert.deepEqual(blocked.passedOver.map((p) => [p.planner, p.stage]), [['rules', 'patch']]);
  });

  test('a usable first plan: later planners are not asked, even when it needs review', async () => {
    const dir = workspace();
    const first = fixed('rules', [works()]);
    const later = fixed('llm', [works()]);
    const r = await run(dir, [first, later]);
    assert.equal(r.fix?.planner, 'rules');
    assert.deepEqual([first.calls, later.calls], [1, 0]);
    assert.deepEqual(r.passedOver, []);

    const unsure = fixed('rules', [replacing('return 1', 'return 2', { confidence: 0 })]);
    const r2 = await run(dir, [unsure, later]);
    assert.equal(r2.patchPolicy?.label, 'needs-review');
    assert.equal(r2.fix?.planner, 'rules');
    assert.deepEqual([unsure.calls, later.calls], [1, 0]);

    // A later planner is asked once the earlier candidates are spent.
    const failing = fixed('rules', [noMatch()]);
    await run(dir, [failing, later]);
    assert.deepEqual([failing.calls, later.calls], [1, 1]);
  });

  test('no candidate at all: NoPlan as before', async () => {
    const dir = workspace();
    const planners: Planner[] = [rulesPlanner([]), fixed('bad', [{ ...works(), extra: 1 }]), { name: 'llm', plan: async () => ({ ok: false, noPlan: { code: 'llm_unavailable', reason: 'no model' } }) }];
    const r = await run(dir, planners);
    const direct = await planViolation({ workspace: dir, violation, report: {} as SmokeReport, config: {} as SmokeConfig, files: [], read: workspaceReader(dir) }, planners);
    assert.ok('noPlan' in direct);
    assert.deepEqual(r.noPlan, direct.noPlan);
    assert.equal(r.noPlan?.code, 'invalid_plan');
    assert.deepEqual(r.noPlan?.tried.map((t) => t.planner), ['rules', 'bad', 'llm']);
    assert.deepEqual(r.passedOver, []);
    assert.equal(r.fix, undefined);
  });
});

describe('planCandidates', () => {
  test('yields valid plans lazily, planner by planner, then the NoPlan', async () => {
    const dir = workspace();
    const a = fixed('anti-pattern', [{ ...works(), extra: 1 }, touchesEnv(), works()]);
    const b = fixed('rules', []);
    const c = fixed('llm', [works()]);
    const ctx = { workspace: dir, violation, report: {} as SmokeReport, config: {} as SmokeConfig, files: [], read: workspaceReader(dir) };
    const gen = planCandidates(ctx, [a, b, c]);
    const first = await gen.next();
    assert.ok(!first.done && 'fix' in first.value);
    assert.equal(first.value.fix.plan.files[0], '.env');
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 0, 0]);
    const second = await gen.next();
    assert.ok(!second.done && 'fix' in second.value && second.value.fix.planner === 'anti-pattern');
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 0, 0]);
    const third = await gen.next();
    assert.ok(!third.done && 'fix' in third.value && third.value.fix.planner === 'llm');
    assert.deepEqual([a.calls, b.calls, c.calls], [1, 1, 1]);
    const last = await gen.next();
    assert.ok(!last.done && 'noPlan' in last.value);
    assert.deepEqual(last.value.noPlan.tried.map((t) => [t.planner, t.code]), [['rules', 'invalid_plan']]);
    assert.equal((await gen.next()).done, true);
  });
});

describe('passed-over plans in records and on the command line', () => {
  test('stored in the run record and printed one line each', async () => {
    const dir = workspace();
    const r = await run(dir, [fixed('anti-pattern', [touchesEnv()]), fixed('rules', [noMatch(), works()])]);
    assert.deepEqual(r.passedOver.map((p) => p.stage), ['plan-policy', 'patch']);
    const record: RepairRecord = {
      id: 'run-1-01',
      createdAt: Date.UTC(2025, 0, 2),
      violation: { id: violation.id, scenario: 'total', method: 'GET', path: '/total', expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'SERVICE', message: violation.message },
      planner: r.fix?.planner,
      plan: r.fix?.plan,
      passedOver: r.passedOver,
      applied: false,
      reason: 'dry run',
      passRateBefore: 0.5,
      timings: { plan: r.timings.plan },
    };
    await writeRecord(dir, record);
    const { records, problems } = await listRecords(dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(records[0].passedOver, r.passedOver);

    const expected = r.passedOver.map((p) => `  passed over ${p.planner} plan ${p.fixId}: ${p.stage}: ${p.reason}`);
    const plans = formatPlans([r]).split('\n');
    for (const line of expected) assert.ok(plans.includes(line), `missing: ${line}\n${plans.join('\n')}`);
    assert.match(expected[0], /^ {2}passed over anti-pattern plan fix-[0-9a-f]{12}: plan-policy: blocked: /);
    const summary = formatRepairSummary({
      runId: 'run-1',
      workspace: dir,
      records,
      recordFiles: [path.join(dir, 'x.json')],
      passRateBefore: 0.5,
      passRateAfter: 0.5,
      passedBefore: 1,
      passedAfter: 1,
      total: 2,
      counts: { violations: 1, planned: 1, noPlan: 0, validated: 0, applied: 0 },
      smokeAgain: false,
      approvals: { opened: [], settled: [] },
    }).split('\n');
    for (const line of expected) assert.ok(summary.includes(line), `missing: ${line}\n${summary.join('\n')}`);
  });
});
