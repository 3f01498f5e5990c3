import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { classify, classifyLog } from '../../server/src/engine/classify';
import type { Trace } from '../../server/src/engine/model';
import { createPathMapper, extractTraces, mapTrace } from '../../server/src/engine/traces';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/traces', `${name}.txt`), 'utf8');
const mapper = createPathMapper({
  workspace: '/ws',
  mounts: [{ destination: '/srv', source: '/ws' }],
  pathMap: { '/tmp/smoke-fixtures': '' },
});
const traceOf = (name: string, i = 0): Trace => mapTrace(extractTraces(fixture(name))[i]!, mapper);
const on500 = (trace?: Trace, extra: Partial<Parameters<typeof classify>[0]> = {}) =>
  classify({ status: 500, expectedStatus: 200, trace, ...extra });
const pair = (c: { failureType: string; strategy: string }) => [c.failureType, c.strategy];

describe('classification rules', () => {
  it('500 with a trace: RUNTIME + SERVICE, or ROUTE when the innermost workspace frame is a route module', () => {
    const c = on500(traceOf('py-fastapi-uvicorn', 0));
    assert.deepEqual(pair(c), ['RUNTIME', 'SERVICE']);
    assert.equal(c.exceptionClass, 'KeyError');
    assert.ok(c.signals.some((s) => s.includes('app/services.py:21')), c.signals.join(' | '));
    const route = mapTrace(extractTraces(fixture('node-type-error'))[0]!, createPathMapper({ workspace: '/ws', pathMap: { '/tmp/smoke-fixtures/node': 'src/routes' } }));
    assert.deepEqual(pair(on500(route)), ['RUNTIME', 'ROUTE']);
  });

  it('TypeError in compiled TypeScript is RUNTIME', () => {
    const t = mapTrace(extractTraces('TypeError: x.map is not a function\n    at list (/app/dist/orders/service.js:12:9)\n')[0]!, createPathMapper({ workspace: '/ws', mounts: [{ destination: '/app', source: '/ws' }] }));
    const c = on500(t);
    assert.deepEqual(pair(c), ['RUNTIME', 'SERVICE']);
    assert.ok(c.signals[0]!.includes('compiled code'));
  });

  it('missing modules: DEPENDENCY for packages, IMPORT for the app\'s own', () => {
    assert.deepEqual(pair(on500(traceOf('py-module-not-found'))), ['RUNTIME', 'DEPENDENCY']);
    assert.deepEqual(pair(on500(traceOf('node-cannot-find-module'))), ['RUNTIME', 'DEPENDENCY']);
    const own = mapTrace(
      extractTraces('Traceback (most recent call last):\n  File "/srv/app/main.py", line 3, in <module>\n    from app.helpers import x\nModuleNotFoundError: No module named \'app.helpers\'\n')[0]!,
      mapper,
    );
    assert.deepEqual(pair(on500(own)), ['RUNTIME', 'IMPORT']);
    const rel = extractTraces("Error: Cannot find module './lib/dbx'\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)\n")[0]!;
    assert.deepEqual(pair(on500(rel)), ['RUNTIME', 'IMPORT']);
  });

  it('NameError and ReferenceError: RUNTIME + IMPORT', () => {
    assert.deepEqual(pair(on500(traceOf('py-name-error'))), ['RUNTIME', 'IMPORT']);
    assert.deepEqual(pair(on500(traceOf('node-reference-error'))), ['RUNTIME', 'IMPORT']);
  });

  it('schema behind the code: SCHEMA_MIGRATION + DB', () => {
    const c = on500(traceOf('py-fastapi-uvicorn', 2));
    assert.deepEqual(pair(c), ['SCHEMA_MIGRATION', 'DB']);
    assert.equal(c.exceptionClass, 'sqlalchemy.exc.OperationalError');
    assert.ok(c.signals.some((s) => s.includes('caused by sqlite3.OperationalError')));
    assert.deepEqual(pair(classify({ status: 500, expectedStatus: 200, logText: 'psycopg2.errors.UndefinedTable: relation "orders" does not exist' })), ['SCHEMA_MIGRATION', 'DB']);
    assert.deepEqual(pair(classify({ status: 500, expectedStatus: 200, logText: "alembic.util.exc.CommandError: Can't locate revision identified by 'abc'" })), ['SCHEMA_MIGRATION', 'DB']);
  });

  it('IntegrityError: RUNTIME + DB', () => {
    assert.deepEqual(pair(on500(traceOf('py-fastapi-uvicorn', 1))), ['RUNTIME', 'DB']);
    assert.deepEqual(pair(on500(traceOf('py-logged-traces', 0))), ['RUNTIME', 'DB']);
  });

  it('SyntaxError / IndentationError: LINT; a JSON SyntaxError in Node is RUNTIME', () => {
    assert.deepEqual(pair(on500(traceOf('py-syntax-error'))), ['LINT', 'SERVICE']);
    assert.deepEqual(pair(on500(traceOf('py-indentation-error'))), ['LINT', 'SERVICE']);
    assert.deepEqual(pair(on500(traceOf('py-import-syntax'))), ['LINT', 'SERVICE']);
    const json = extractTraces('SyntaxError: Unexpected token } in JSON at position 12\n    at JSON.parse (<anonymous>)\n    at read (/srv/app/cfg.js:3:10)\n')[0]!;
    assert.deepEqual(pair(on500(json)), ['RUNTIME', 'SERVICE']);
  });

  it('network errors and gateway statuses', () => {
    const net = (errorCode: string) => classify({ status: 0, expectedStatus: 200, errorCode });
    assert.deepEqual([...pair(net('ECONNREFUSED')), net('ECONNREFUSED').retryable], ['INFRA', 'INFRA', false]);
    assert.deepEqual([...pair(net('ECONNRESET')), net('ECONNRESET').retryable], ['TRANSIENT', 'INFRA', true]);
    assert.deepEqual([...pair(net('UND_ERR_HEADERS_TIMEOUT')), net('UND_ERR_HEADERS_TIMEOUT').retryable], ['TRANSIENT', 'INFRA', true]);
    assert.deepEqual(pair(net('ENOTFOUND')), ['INFRA', 'CONFIG']);
    for (const status of [502, 503, 504]) {
      const c = classify({ status, expectedStatus: 200 });
      assert.deepEqual([...pair(c), c.retryable], ['TRANSIENT', 'INFRA', true]);
    }
    assert.deepEqual(pair(classify({ status: 0, expectedStatus: 200 })), ['INFRA', 'INFRA']);
  });

  it('429: RATE_LIMIT, retryable', () => {
    const c = classify({ status: 429, expectedStatus: 200 });
    assert.deepEqual([...pair(c), c.retryable], ['RATE_LIMIT', 'RATE_LIMIT', true]);
  });

  it('4xx statuses', () => {
    const st = (status: number, bodyExcerpt = '', expectedStatus = 200) => pair(classify({ status, expectedStatus, bodyExcerpt }));
    assert.deepEqual(st(422, '{"detail":[{"loc":["body","price"],"msg":"field required"}]}'), ['RUNTIME', 'VALIDATION']);
    assert.deepEqual(st(400), ['RUNTIME', 'VALIDATION']);
    assert.deepEqual(st(200, '{}', 422), ['RUNTIME', 'VALIDATION']);
    assert.deepEqual(st(404, '{"detail":"Not Found"}'), ['RUNTIME', 'ROUTE']);
    assert.deepEqual(st(404, 'Cannot GET /orders/1'), ['RUNTIME', 'ROUTE']);
    assert.deepEqual(st(404, '{"detail":"Item 42 not found"}'), ['RUNTIME', 'DB']);
    assert.deepEqual(st(404, '{"error":"Not Found","message":"no route for POST /tags"}'), ['RUNTIME', 'ROUTE']);
    assert.deepEqual(st(405, '{"detail":"Method Not Allowed"}'), ['RUNTIME', 'ROUTE']);
    assert.deepEqual(st(409), ['RUNTIME', 'DB']);
    assert.deepEqual(st(401), ['RUNTIME', 'AUTH']);
    assert.deepEqual(st(403, '{"detail":"Not authenticated"}'), ['RUNTIME', 'AUTH']);
    assert.deepEqual(st(403, 'CSRF token missing or incorrect.'), ['SECURITY', 'AUTH']);
    assert.deepEqual(st(200, '{"secret":1}', 401), ['SECURITY', 'AUTH']);
  });

  it('security exceptions in a trace', () => {
    const t = extractTraces('Traceback (most recent call last):\n  File "/srv/app/views.py", line 9, in get\n    check()\ndjango.core.exceptions.PermissionDenied\n')[0]!;
    assert.deepEqual(pair(on500(t)), ['SECURITY', 'AUTH']);
  });

  it('right status, wrong JSON: TEST_ASSERT', () => {
    const c = classify({ status: 200, expectedStatus: 200, failures: ['JSON: expected total = 6, got 5'] });
    assert.deepEqual(pair(c), ['TEST_ASSERT', 'SERVICE']);
    assert.deepEqual(pair(classify({ status: 0, expectedStatus: 200, failures: ['missing variable cart_id (its step was skipped)'] })), ['TEST_ASSERT', 'CONFIG']);
  });

  it('500 without a trace is still a signal; GENERIC only without any', () => {
    assert.deepEqual(pair(classify({ status: 500, expectedStatus: 200 })), ['RUNTIME', 'SERVICE']);
    const none = classifyLog('all quiet\nnothing to see\n');
    assert.deepEqual(pair(none), ['UNKNOWN', 'GENERIC']);
    assert.equal(none.trace, undefined);
  });

  it('classifyLog reads the last trace of a log', () => {
    const c = classifyLog(fixture('py-fastapi-uvicorn'));
    assert.deepEqual(pair(c), ['SCHEMA_MIGRATION', 'DB']);
    assert.equal(c.trace?.exceptionClass, 'sqlalchemy.exc.OperationalError');
    assert.deepEqual(pair(classifyLog(fixture('node-cannot-find-module'))), ['RUNTIME', 'DEPENDENCY']);
    assert.deepEqual(pair(classifyLog('ERROR: relation "users" does not exist at character 15')), ['SCHEMA_MIGRATION', 'DB']);
  });

  it('bad input never throws', () => {
    // @ts-expect-error deliberately wrong types
    assert.equal(classify({ status: 'x', expectedStatus: null, failures: 'nope', trace: { causes: [] } }).failureType.length > 0, true);
    // @ts-expect-error deliberately wrong type
    assert.deepEqual(pair(classifyLog(undefined)), ['UNKNOWN', 'GENERIC']);
  });
});
