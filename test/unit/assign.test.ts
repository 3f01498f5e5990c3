import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScenarioResult, Trace } from '../../server/src/engine/model';
import { assignTraces, GUARD_MS, ownTrace, type Attribution } from '../../server/src/engine/traces/assign';
import { describeViolation, innermostWorkspaceFrame } from '../../server/src/engine/violations';

function result(id: string, status: number, startedAt: number, endedAt: number): ScenarioResult {
  return {
    scenarioId: id, name: id, method: 'POST', path: `/${id}`, resolvedPath: `/${id}`, expectedStatus: 201, status,
    ok: false, durationMs: endedAt - startedAt, startedAt, endedAt, bodyExcerpt: 'Internal Server Error', failures: [], attempts: 1,
  };
}
function trace(cls: string, language: Trace['language'] = 'python'): Trace {
  return { language, exceptionClass: cls, message: 'm', frames: [], causes: [], text: cls };
}

function how(m: Map<string, Attribution>): Record<string, string> {
  return Object.fromEntries([...m].map(([id, a]) => [id, a.how === 'window' ? `window:${a.trace.exceptionClass}` : a.how]));
}

test('a trace logged while no other request was in flight goes to its request', () => {
  const a = result('a', 500, 1000, 1010);
  const b = result('b', 500, 5000, 5010);
  const got = assignTraces([a, b], [
    { trace: trace('KeyError'), time: 1012 },
    { trace: trace('NameError'), time: 5005 },
  ], [a, b]);
  assert.deepEqual(how(got), { a: 'window:KeyError', b: 'window:NameError' });
});

test('overlapping requests are ambiguous, whatever the order of the lines; a failure with no trace near it has none', () => {
  const a = result('a', 500, 1000, 1050);
  const b = result('b', 500, 1010, 1040);
  const c = result('c', 502, 9000, 9001);
  const got = assignTraces([a, b, c], [{ trace: trace('KeyError'), time: 1045 }], [a, b, c]);
  assert.deepEqual(how(got), { a: 'ambiguous', b: 'ambiguous', c: 'none' });
});

test('a passing request in flight near a trace makes it ambiguous too (passing requests can log traces)', () => {
  const a = result('a', 500, 1000, 1010);
  const ok = { ...result('ok', 200, 1005, 1008), ok: true };
  const got = assignTraces([a], [{ trace: trace('KeyError'), time: 1011 }], [a, ok]);
  assert.deepEqual(how(got), { a: 'ambiguous' });
});

test('a chain step that starts right after a failure does not take its trace: servers log after the answer', () => {
  // uvicorn writes the traceback after the 500 went out; the next step of the chain is already running.
  const a = result('a', 500, 1000, 1010);
  const b = result('b', 500, 1011, 1020);
  const got = assignTraces([a, b], [
    { trace: trace('KeyError'), time: 1012 },
    { trace: trace('NameError'), time: 1022 },
  ], [a, b]);
  assert.deepEqual(how(got), { a: 'ambiguous', b: 'ambiguous' });
});

test('requests further apart than the guard are told apart by time alone', () => {
  const a = result('a', 500, 1000, 1010);
  const b = result('b', 500, 1010 + GUARD_MS + 100, 1020 + GUARD_MS + 100);
  const got = assignTraces([a, b], [
    { trace: trace('KeyError'), time: 1012 },
    { trace: trace('NameError'), time: 1022 + GUARD_MS + 100 },
  ], [a, b]);
  assert.deepEqual(how(got), { a: 'window:KeyError', b: 'window:NameError' });
});

test('a skipped step sent no request and cannot own a trace', () => {
  const a = result('a', 500, 1000, 1010);
  const skipped = { ...result('s', 0, 1005, 1005), skipped: true, attempts: 0 };
  const got = assignTraces([a], [{ trace: trace('KeyError'), time: 1012 }], [a, skipped]);
  assert.deepEqual(how(got), { a: 'window:KeyError' });
});

test('several traces near one lone request: the last one is its own', () => {
  const a = result('a', 500, 1000, 1010);
  const got = assignTraces([a], [
    { trace: trace('ValueError'), time: 1005 },
    { trace: trace('HTTPException'), time: 1009 },
  ], [a]);
  assert.deepEqual(how(got), { a: 'window:HTTPException' });
});

test('the innermost workspace frame: last for Python, first for V8, causes after the outer exception', () => {
  const f = (file: string, inWorkspace: boolean) => ({ file, rawFile: file, line: 1, function: 'f', inWorkspace });
  const py: Trace = { ...trace('KeyError'), frames: [f('app/a.py', true), f('app/b.py', true), f('/usr/lib/x.py', false)] };
  assert.equal(innermostWorkspaceFrame(py)?.file, 'app/b.py');
  const js: Trace = { ...trace('TypeError', 'node'), frames: [f('node:internal/x', false), f('src/a.js', true), f('src/b.js', true)] };
  assert.equal(innermostWorkspaceFrame(js)?.file, 'src/a.js');
  const chained: Trace = { ...trace('HTTPException'), frames: [f('/site/x.py', false)], causes: [{ exceptionClass: 'KeyError', message: '', relation: 'context', frames: [f('app/c.py', true)] }] };
  assert.equal(innermostWorkspaceFrame(chained)?.file, 'app/c.py');
});

test('the violation message reads like the product documents it', () => {
  const r = { ...result('items', 500, 0, 5), method: 'POST', path: '/carts/{cart_id}/items' };
  assert.equal(describeViolation(r, { ...trace('KeyError'), message: "'price'" }), "POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'");
  assert.equal(describeViolation({ ...r, status: 0, errorCode: 'ECONNREFUSED', bodyExcerpt: '' }), 'POST /carts/{cart_id}/items → ECONNREFUSED (expected 201)');
  assert.equal(describeViolation({ ...r, status: 200, failures: ['expected total = 25, got 30'] }), 'POST /carts/{cart_id}/items → 200 (expected 201): expected total = 25, got 30');
});


test("of one request's traces, the one raised in the app's code wins over a logger's own", () => {
  const at = (rawFile: string) => ({ file: rawFile, rawFile, line: 1, function: 'f', inWorkspace: false });
  const real: Trace = { ...trace('TypeError', 'node'), frames: [at('/app/src/routes/orders.js'), at('/app/node_modules/express/lib/router/layer.js')] };
  const synthetic: Trace = { ...trace('Error', 'node'), message: 'failed with status code 500', frames: [at('/app/node_modules/pino-http/logger.js')] };
  assert.equal(ownTrace([real, synthetic]), real);
  assert.equal(ownTrace([synthetic]), synthetic);
  assert.equal(ownTrace([]), undefined);
  const a = result('a', 500, 1000, 1010);
  const got = assignTraces([a], [{ trace: real, time: 1005 }, { trace: synthetic, time: 1011 }], [a]);
  assert.equal((got.get('a') as { trace: Trace }).trace, real);
});
