import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ScenarioResult, Trace } from '../../server/src/engine/model';
import { assignTraces } from '../../server/src/engine/traces/assign';
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

test('a trace inside one failing request window goes to that request', () => {
  const { assigned, ambiguous } = assignTraces([result('a', 500, 1000, 1010), result('b', 500, 5000, 5010)], [
    { trace: trace('KeyError'), time: 1012 },
    { trace: trace('NameError'), time: 5005 },
  ], 100);
  assert.equal(assigned.get('a')?.exceptionClass, 'KeyError');
  assert.equal(assigned.get('b')?.exceptionClass, 'NameError');
  assert.deepEqual(ambiguous, []);
});

test('overlapping windows make both requests ambiguous; a 5xx with no trace is looked at again', () => {
  const { assigned, ambiguous } = assignTraces([result('a', 500, 1000, 1050), result('b', 500, 1010, 1040), result('c', 502, 9000, 9001)], [
    { trace: trace('KeyError'), time: 1045 },
  ], 100);
  assert.equal(assigned.size, 0);
  assert.deepEqual(ambiguous.map((r) => r.scenarioId).sort(), ['a', 'b', 'c']);
});

test('4xx failures take no trace', () => {
  const { assigned, ambiguous } = assignTraces([result('a', 404, 1000, 1010)], [{ trace: trace('KeyError'), time: 1005 }], 100);
  assert.equal(assigned.size, 0);
  assert.deepEqual(ambiguous, []);
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

test('when windows overlap, the access-log line after a trace names its request', () => {
  const a = { ...result('a', 500, 1000, 1010), resolvedPath: '/carts/1/items' };
  const b = { ...result('b', 500, 1005, 1012), resolvedPath: '/orders/2/pay' };
  const lines = [
    { time: 1013, stream: 'stdout' as const, text: 'INFO:     127.0.0.1:55538 - "POST /orders/2/pay HTTP/1.1" 500 Internal Server Error' },
    { time: 1020, stream: 'stdout' as const, text: 'INFO:     127.0.0.1:55539 - "POST /carts/1/items HTTP/1.1" 500 Internal Server Error' },
  ];
  const { assigned, ambiguous } = assignTraces([a, b], [
    { trace: trace('NameError'), time: 1011 },
    { trace: trace('KeyError'), time: 1019 },
  ], 1000, lines);
  assert.equal(assigned.get('b')?.exceptionClass, 'NameError');
  assert.equal(assigned.get('a')?.exceptionClass, 'KeyError');
  assert.deepEqual(ambiguous, []);
});

test('requests that ran one after the other: each trace goes to the latest that had started', () => {
  const a = result('a', 500, 1000, 1010);
  const b = result('b', 500, 1020, 1030);
  const { assigned, ambiguous } = assignTraces([a, b], [
    { trace: trace('KeyError'), time: 1012 },
    { trace: trace('NameError'), time: 1032 },
  ], 250);
  assert.equal(assigned.get('a')?.exceptionClass, 'KeyError');
  assert.equal(assigned.get('b')?.exceptionClass, 'NameError');
  assert.deepEqual(ambiguous, []);
});

test('requests in flight together stay ambiguous without an access log', () => {
  const a = result('a', 500, 1000, 1040);
  const b = result('b', 500, 1010, 1030);
  const { assigned, ambiguous } = assignTraces([a, b], [
    { trace: trace('KeyError'), time: 1035 },
    { trace: trace('NameError'), time: 1041 },
  ], 250);
  assert.equal(assigned.size, 0);
  assert.deepEqual(ambiguous.map((r) => r.scenarioId), ['a', 'b']);
});
