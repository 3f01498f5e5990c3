/**
 * What learning knows of a plan before it is tried: a fix a person rejected (or that was rolled back,
 * or failed validation) at least as often as it worked is an anti-pattern for that kind of failure:
 * the chain offers it after every other plan, labelled; the failure is an anti-pattern sighting; a
 * fix that worked is labelled "known fix, n of m succeeded" in the quick fix's title.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../server/src/engine/config';
import type { Planner, PlanningContext } from '../../server/src/engine/contracts';
import { learnFromRecords, learnRejected, learnReverted } from '../../server/src/engine/learn';
import { patternStoreFor } from '../../server/src/engine/learn/stores';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { parsePlan, planCandidates } from '../../server/src/engine/plan';
import { violationSummary } from '../../server/src/engine/records';
import { fixTitle } from '../../server/src/lsp/fixCache';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function workspace(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'known-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'smoke-repair.yaml'), 'app:\n  baseUrl: http://127.0.0.1:9\nscenarios: []\nlearning:\n  userStore: false\n');
  writeFileSync(path.join(d, 'items.py'), 'def get():\n    return uuid.uuid4()\n');
  return d;
}

const violation = (route: string) =>
  ({
    id: `${route}:500`, scenarioId: route, scenario: route, method: 'GET', path: `/${route}/{id}`, expectedStatus: 200, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'IMPORT', retryable: false, signals: [], message: `GET /${route}/{id} → 500 (expected 200): NameError: name 'uuid' is not defined`,
    location: { file: 'items.py', line: 2 }, locationKind: 'frame', logExcerpt: '', pinned: true, request: { method: 'GET', path: `/${route}/1` }, response: { status: 500, bodyExcerpt: '' },
    window: { startedAt: 0, endedAt: 1 }, trace: { language: 'python', exceptionClass: 'NameError', message: "name 'uuid' is not defined", frames: [], causes: [] },
  }) as unknown as Violation;

function plan(module: string, style: 'module' | 'named') {
  const parsed = parsePlan({ root_cause: 'r', category: 'IMPORT', confidence: 0.9, files: ['items.py'], operations: [{ type: 'add_import', file: 'items.py', rationale: 'r', details: { name: 'uuid', module, style } }] });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.plan;
}
const planner = (name: string, p: ReturnType<typeof plan>): Planner => ({ name, plan: async () => ({ ok: true, plans: [p] }) });

async function ctxFor(ws: string, v: Violation): Promise<PlanningContext> {
  const loaded = await loadConfig(ws);
  assert.ok(loaded.ok);
  return { workspace: ws, violation: v, report: { scenarios: [], violations: [v] } as unknown as SmokeReport, config: loaded.config, files: ['items.py'], read: async () => 'def get():\n    return uuid.uuid4()\n' };
}

async function offered(ws: string, v: Violation, planners: Planner[]) {
  const out = [];
  for await (const c of planCandidates(await ctxFor(ws, v), planners)) if ('fix' in c) out.push(c.fix);
  return out;
}

describe('what learning knows of a plan', () => {
  test('a rejected fix is offered after the others, labelled; an anti-pattern is seen; a fix that worked says so in its title', async () => {
    const ws = workspace();
    const wrong = plan('app.ids', 'named');
    const right = plan('uuid', 'module');
    const chain = [planner('first', wrong), planner('second', right)];
    const before = await offered(ws, violation('items'), chain);
    assert.deepEqual(before.map((f) => [f.planner, f.known]), [['first', undefined], ['second', undefined]], 'nothing learned: the chain order');

    // A person said no to the first planner's fix, at another endpoint.
    await learnRejected(ws, { violation: violationSummary(violation('orders')), plan: wrong, planner: 'first', applied: false }, { userStore: false });
    const after = await offered(ws, violation('items'), chain);
    assert.deepEqual(after.map((f) => f.planner), ['second', 'first'], 'the rejected fix comes last');
    const last = after[1]!;
    assert.deepEqual([last.known?.bad, last.known?.rejected, last.known?.successes], [true, 1, 0]);
    assert.match(last.plan.evidence.at(-1)!, /^known to fail, 0 of 1 succeeded \(1 rejected\) for this kind of failure: tried after the other plans$/);
    const store = await patternStoreFor(ws, { userStore: false });
    const { antiPatterns } = await store.list();
    assert.equal(antiPatterns.length, 1);
    assert.deepEqual([antiPatterns[0]!.severity, antiPatterns[0]!.language, antiPatterns[0]!.exceptionClass], ['medium', 'python', 'NameError']);
    assert.match(antiPatterns[0]!.wrong, /^add_import: add_import \{file\} name=\{0\} module=app\.ids style=named$/);

    // The other fix worked twice (and was rolled back once): labelled with its record.
    const applied = { violation: violationSummary(violation('users')), plan: right, planner: 'second', applied: true };
    await learnFromRecords(store, [applied, { ...applied, violation: violationSummary(violation('carts')) }]);
    await learnReverted(ws, [{ ...applied, validation: undefined }], { userStore: false });
    const [good] = await offered(ws, violation('items'), chain);
    assert.deepEqual([good!.planner, good!.known?.successes, good!.known?.attempts, good!.known?.bad], ['second', 2, 3, false]);
    assert.equal(fixTitle('Apply fix', { summary: 'import uuid', status: { kind: 'safe', text: 'safe, validated' }, planned: { fix: good! } }), 'Apply fix: import uuid (known fix, 2 of 3 succeeded (1 rolled back), safe, validated)');
    assert.equal(fixTitle('Apply fix', { summary: 'import uuid', status: { kind: 'safe', text: 'safe, validated' } }), 'Apply fix: import uuid (safe, validated)');
    assert.equal((await store.list()).antiPatterns.find((a) => /style=module/.test(a.wrong))?.severity, 'high', 'a rollback is a severe sighting');

    // Learning off: the chain as configured, no labels.
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), 'app:\n  baseUrl: http://127.0.0.1:9\nscenarios: []\nlearning:\n  enabled: false\n');
    assert.deepEqual((await offered(ws, violation('items'), chain)).map((f) => [f.planner, f.known]), [['first', undefined], ['second', undefined]]);
  });
});
