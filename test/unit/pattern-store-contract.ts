/**
 * The contract every PatternStore adapter passes (embedded here; Neo4j joins it): promotion and
 * demotion by the Wilson lower bound, a person's decisions, lookups by exception class and
 * endpoint falling back to the message shape, anti-patterns counted, and older records read with
 * their fallbacks. Each adapter's test file calls `patternStoreContract` with a fresh store.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROMOTION, type AttemptInput } from '../../server/src/engine/learn/patterns';
import type { PatternStore } from '../../server/src/engine/learn/store';
import { wilsonLowerBound } from '../../server/src/engine/learn/wilson';

export function attempt(over: Partial<AttemptInput> & { endpoint?: string; cls?: string; shape?: string } = {}): AttemptInput {
  const { endpoint = 'GET /items/{}', cls = 'NameError', shape = "name '{}' is not defined", ...rest } = over;
  return {
    signature: { exceptionClass: cls, messageShape: shape, endpoint, status: 500, failureType: 'RUNTIME', language: 'python', framework: 'fastapi' },
    edit: { operations: [{ type: 'add_import', details: { name: '{0}', module: '{0}' } }] },
    fixType: 'add_import',
    planner: 'rules',
    source: 'tool',
    outcome: 'success',
    ...rest,
  };
}

export function patternStoreContract(name: string, fresh: () => Promise<PatternStore>): void {
  test(`${name}: attempts count, the lower bound ranks, promotion needs evidence and a failure demotes`, async () => {
    const store = await fresh();
    let p = await store.record(attempt());
    assert.deepEqual([p.attempts, p.successes, p.promoted], [1, 1, false]);
    assert.equal(p.lowerBound, wilsonLowerBound(1, 1));
    let n = 1;
    while (wilsonLowerBound(n + 1, n + 1) < PROMOTION.threshold) p = await store.record(attempt({ endpoint: `GET /other${n++}/{}` }));
    assert.deepEqual([p.attempts, p.promoted], [n, false], `${n} of ${n} is still below the threshold`);
    p = await store.record(attempt());
    assert.equal(p.promoted, true, `${n + 1} of ${n + 1}: lower bound ${p.lowerBound}`);
    assert.equal(p.endpoints[0], 'GET /items/{}');
    p = await store.record(attempt({ outcome: 'reverted' }));
    assert.equal(p.promoted, false, 'a revert demotes');
    assert.equal(p.reverted, 1);
    for (let i = 0; i < PROMOTION.minAttempts - 1; i++) p = await store.record(attempt());
    assert.equal(p.promoted, false, 'promotion again needs new evidence since the demotion');
    p = await store.record(attempt());
    assert.equal(p.promoted, p.lowerBound >= PROMOTION.threshold);
    await store.close();
  });

  test(`${name}: a person promotes, demotes and forgets`, async () => {
    const store = await fresh();
    const p = await store.record(attempt({ source: 'person', planner: 'person' }));
    assert.equal(await store.promote(p.key, 'alice'), true);
    let [got] = await store.lookup({ exceptionClass: 'NameError', endpoint: 'GET /items/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 });
    assert.equal(got?.promoted, true);
    assert.equal(got?.decision?.by, 'alice');
    assert.deepEqual(got?.sources, ['person']);
    assert.equal(await store.demote(p.key, 'bob'), true);
    [got] = await store.lookup({ exceptionClass: 'NameError', endpoint: 'GET /items/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 });
    assert.equal(got?.promoted, false);
    assert.equal(await store.forget(p.key), true);
    assert.deepEqual(await store.lookup({ exceptionClass: 'NameError', endpoint: 'GET /items/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 }), []);
    assert.equal(await store.promote('fp-none'), false);
    await store.close();
  });

  test(`${name}: lookup by class and endpoint first, then by class and message shape; best lower bound first`, async () => {
    const store = await fresh();
    const q = { exceptionClass: 'NameError', endpoint: 'POST /carts/{}/items', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 };
    const here = await store.record(attempt({ endpoint: q.endpoint, edit: { here: 1 } }));
    const elsewhereGood = attempt({ endpoint: 'GET /users/{}', edit: { elsewhere: 'good' } });
    for (let i = 0; i < 5; i++) await store.record(elsewhereGood);
    await store.record(attempt({ endpoint: 'GET /users/{}', edit: { elsewhere: 'bad' }, outcome: 'failure' }));
    await store.record(attempt({ endpoint: q.endpoint, cls: 'KeyError', shape: "'{}'", edit: { other: 'class' } }));
    const found = await store.lookup(q);
    assert.deepEqual(found.map((p) => p.edit), [{ here: 1 }, { elsewhere: 'good' }, { elsewhere: 'bad' }]);
    assert.equal(found[0]!.key, here.key);
    assert.deepEqual((await store.lookup(q, 1)).map((p) => p.key), [here.key]);
    assert.deepEqual(await store.lookup({ ...q, exceptionClass: 'TypeError' }), []);
    await store.close();
  });

  test(`${name}: anti-patterns are counted by occurrence`, async () => {
    const store = await fresh();
    await store.recordAntiPattern({ wrong: 'if x == None', correct: 'if x is None', language: 'python', exceptionClass: 'NameError', severity: 'low', occurrences: 1, confidence: 0.6 });
    const a = await store.recordAntiPattern({ wrong: 'if x == None', language: 'python', exceptionClass: 'NameError', severity: 'low', occurrences: 2, confidence: 0.9 });
    assert.deepEqual([a.occurrences, a.confidence, a.correct], [3, 0.9, 'if x is None']);
    const { antiPatterns } = await store.list();
    assert.equal(antiPatterns.length, 1);
    await store.close();
  });

  test(`${name}: events are taken once by id (import, outbox), exported in order, older events without ids or fields read with fallbacks`, async () => {
    const store = await fresh();
    const p = await store.record(attempt());
    const exported = await store.exportEvents();
    assert.equal(exported.length, 1);
    assert.ok(exported[0]!.id, 'a new event has an id');
    // The same events again (a retried send, an exported file imported twice): nothing changes.
    assert.deepEqual(await store.importEvents(exported), { added: 0, skipped: 1 });
    const older = [
      // Written before events had ids, with fields missing: status, failure type, roles, planner.
      { kind: 'attempt', at: 5, signature: { exceptionClass: 'ImportError', messageShape: "cannot import name '{}'", endpoint: 'GET /old/{}' }, edit: { operations: [{ type: 'add_import', details: { name: '{0}', module: '{0}' } }] }, fixType: 'add_import', outcome: 'success' },
      { kind: 'anti', at: 6, wrong: 'except:', language: 'python' },
    ] as unknown as Parameters<PatternStore['importEvents']>[0];
    assert.deepEqual(await store.importEvents([...older, ...older]), { added: 2, skipped: 2 });
    assert.deepEqual(await store.importEvents(older), { added: 0, skipped: 2 });
    const { patterns, antiPatterns } = await store.list();
    const old = patterns.find((x) => x.endpoints.includes('GET /old/{}'));
    assert.ok(old, 'the older attempt is read');
    assert.equal(old.signature.failureType, 'UNKNOWN');
    assert.equal(old.planner, 'unknown');
    assert.deepEqual([antiPatterns[0]?.severity, antiPatterns[0]?.occurrences], ['medium', 1]);
    assert.equal((await store.exportEvents()).length, 3);
    assert.equal(patterns.find((x) => x.key === p.key)?.attempts, 1);
    await store.close();
  });

  test(`${name}: 100,000 attempts imported in one go; lookups answer from them`, async () => {
    const store = await fresh();
    const events = Array.from({ length: 100_000 }, (_, i) => ({
      kind: 'attempt' as const, id: `bulk-${i}`, v: 1, at: i, roles: ['{file}'],
      ...attempt({ endpoint: `GET /r${i % 1000}/{}`, cls: `Error${i % 100}`, edit: { n: i % 500 }, outcome: i % 10 === 0 ? 'failure' : 'success' }),
    }));
    assert.deepEqual(await store.importEvents(events), { added: 100_000, skipped: 0 });
    const found = await store.lookup({ exceptionClass: 'Error7', endpoint: 'GET /r7/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 }, 5);
    assert.equal(found.length, 5);
    assert.ok(found.every((x) => x.signature.exceptionClass === 'Error7'));
    // Ranked: the endpoint's own patterns first, each group by its lower bound.
    assert.ok(found[0]!.endpoints.includes('GET /r7/{}'));
    const { patterns } = await store.list();
    assert.equal(patterns.reduce((n, x) => n + x.attempts, 0), 100_000);
    await store.close();
  });
}
