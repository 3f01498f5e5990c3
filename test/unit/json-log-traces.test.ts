import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../../server/src/engine/model';
import { extractTracesFromLines } from '../../server/src/engine/traces';

const line = (time: number, text: string): LogLine => ({ time, stream: 'stdout', text });

test('a python-json-logger record carries its traceback in exc_info', () => {
  const record = JSON.stringify({
    asctime: '2026-11-23 10:00:00,120',
    levelname: 'ERROR',
    name: 'notes.app',
    message: 'Exception on /notes/3 [GET]',
    exc_info: 'Traceback (most recent call last):\n  File "/srv/notes/views.py", line 12, in show\n    raise LookupError("no note 3")\nLookupError: no note 3',
  });
  const [t] = extractTracesFromLines([line(5, JSON.stringify({ levelname: 'INFO', message: 'GET /notes/3 500' })), line(7, record)]);
  assert.equal(t.time, 7);
  assert.deepEqual([t.trace.exceptionClass, t.trace.message, t.trace.frames.map((f) => `${f.rawFile}:${f.line}:${f.function}`)], ['LookupError', 'no note 3', ['/srv/notes/views.py:12:show']]);
});

test('a pino record behind a compose prefix carries its error stack in err.stack', () => {
  const record = JSON.stringify({
    level: 50, time: 1763892000000, pid: 7, hostname: 'api', reqId: 'req-4', msg: 'request errored',
    err: { type: 'TypeError', message: "Cannot read properties of undefined (reading 'id')", stack: "TypeError: Cannot read properties of undefined (reading 'id')\n    at show (/app/src/routes/events.js:21:30)\n    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)" },
  });
  const [t] = extractTracesFromLines([line(3, `api-1  | ${record}`)]);
  assert.equal(t.trace.exceptionClass, 'TypeError');
  assert.deepEqual(t.trace.frames.map((f) => `${f.rawFile}:${f.line}`), ['/app/src/routes/events.js:21', '/app/node_modules/express/lib/router/layer.js:95']);
});

test('JSON records without a stack are no trace, and plain traces around them are still read', () => {
  const got = extractTracesFromLines([
    line(1, JSON.stringify({ level: 'error', msg: 'payment declined', detail: 'card expired\nretry later' })),
    line(2, 'Traceback (most recent call last):'),
    line(2, '  File "/app/a.py", line 3, in f'),
    line(2, JSON.stringify({ level: 'info', msg: 'GET /health 200' })),
    line(2, 'KeyError: 1'),
  ]);
  assert.deepEqual(got.map((t) => t.trace.exceptionClass), ['KeyError']);
});

test('any line: never throws', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.json(), fc.string(), fc.constant('{"stack":"Error: x\\n    at f (/a.js:1:1)"}')), { maxLength: 20 }), (texts) => {
      extractTracesFromLines(texts.map((t, i) => line(i, t)));
    }),
    { numRuns: 300 },
  );
});
