import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { ensureExampleUp, type ExampleName } from '../setup/docker';

/**
 * The command line against the real example apps in Docker: the exact pass rate each shows before
 * repair, and for every violation its failure type, strategy, exception and the workspace file and
 * line it points to (FAULTS.md in each example says why).
 */

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'smoke-repair.js');

function cli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Expected {
  scenario: string;
  status: number;
  failureType: string;
  strategy: string;
  exceptionClass: string | null;
  where: string;
  kind: 'frame' | 'handler';
  message?: string;
}

const EXPECTED: Record<ExampleName, { passed: number; total: number; violations: Expected[] }> = {
  'shop-api': {
    passed: 11,
    total: 19,
    violations: [
      { scenario: 'product slug', status: 500, failureType: 'RUNTIME', strategy: 'DEPENDENCY', exceptionClass: 'ModuleNotFoundError', where: 'app/routers/products.py:41', kind: 'frame' },
      { scenario: 'review product', status: 404, failureType: 'RUNTIME', strategy: 'ROUTE', exceptionClass: null, where: 'app/routers/reviews.py:15', kind: 'handler' },
      { scenario: 'list reviews', status: 404, failureType: 'RUNTIME', strategy: 'ROUTE', exceptionClass: null, where: 'app/routers/reviews.py:25', kind: 'handler' },
      { scenario: 'get customer', status: 500, failureType: 'RUNTIME', strategy: 'DEPENDENCY', exceptionClass: 'ModuleNotFoundError', where: 'app/routers/customers.py:31', kind: 'frame' },
      { scenario: 'add address', status: 200, failureType: 'RUNTIME', strategy: 'SERVICE', exceptionClass: null, where: 'app/routers/customers.py:37', kind: 'handler' },
      {
        scenario: 'add item', status: 500, failureType: 'RUNTIME', strategy: 'ROUTE', exceptionClass: 'KeyError', where: 'app/routers/carts.py:46', kind: 'frame',
        message: "POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'",
      },
      { scenario: 'order total', status: 200, failureType: 'TEST_ASSERT', strategy: 'SERVICE', exceptionClass: null, where: 'app/routers/orders.py:34', kind: 'handler', message: 'GET /orders/{order_id} → 200 (expected 200): expected total = 37.5, got 12.5' },
      { scenario: 'pay order', status: 500, failureType: 'RUNTIME', strategy: 'IMPORT', exceptionClass: 'NameError', where: 'app/routers/orders.py:43', kind: 'frame' },
    ],
  },
  'todo-api-node': {
    passed: 12,
    total: 18,
    violations: [
      { scenario: 'rename list', status: 500, failureType: 'RUNTIME', strategy: 'IMPORT', exceptionClass: 'ReferenceError', where: 'src/routes/lists.js:33', kind: 'frame', message: 'PUT /lists/{list_id} → 500 (expected 200): ReferenceError: normalizeTitle is not defined' },
      { scenario: 'list stats', status: 200, failureType: 'TEST_ASSERT', strategy: 'SERVICE', exceptionClass: null, where: 'src/routes/lists.js:37', kind: 'handler' },
      { scenario: 'export list as CSV', status: 500, failureType: 'RUNTIME', strategy: 'DEPENDENCY', exceptionClass: 'Error', where: 'src/routes/lists.js:45', kind: 'frame' },
      { scenario: 'comment on todo', status: 200, failureType: 'RUNTIME', strategy: 'SERVICE', exceptionClass: null, where: 'src/routes/todos.js:44', kind: 'handler' },
      { scenario: 'create tag', status: 404, failureType: 'RUNTIME', strategy: 'ROUTE', exceptionClass: null, where: 'src/routes/tags.js:9', kind: 'handler' },
      { scenario: 'list tags', status: 404, failureType: 'RUNTIME', strategy: 'ROUTE', exceptionClass: null, where: 'src/routes/tags.js:15', kind: 'handler' },
    ],
  },
};

for (const name of Object.keys(EXPECTED) as ExampleName[]) {
  describe(`smoke-repair smoke on examples/${name}`, () => {
    const workspace = path.join(ROOT, 'examples', name);
    const expected = EXPECTED[name];
    let report: any;
    let run: ReturnType<typeof cli>;

    before(async () => {
      await ensureExampleUp(name);
      run = cli(['smoke', '--workspace', workspace, '--json', '--quiet']);
      report = JSON.parse(run.stdout);
    });

    test('exit code 1 and the exact pass rate before repair', () => {
      assert.equal(run.code, 1, run.stderr);
      assert.equal(report.passed, expected.passed);
      assert.equal(report.total, expected.total);
      assert.equal(report.passRate, expected.passed / expected.total);
      for (const s of report.scenarios) {
        for (const key of ['name', 'method', 'path', 'expectedStatus', 'status', 'ok', 'durationMs']) assert.ok(key in s, `scenario has ${key}`);
      }
    });

    test('every violation: type, strategy, exception and the file and line it points to', () => {
      const got = report.violations.map((v: any) => ({
        scenario: v.scenario,
        status: v.actualStatus,
        failureType: v.failureType,
        strategy: v.strategy,
        exceptionClass: v.trace?.exceptionClass ?? null,
        where: `${v.location.file}:${v.location.line}`,
        kind: v.locationKind,
      }));
      assert.deepEqual(got, expected.violations.map(({ message: _m, ...rest }) => rest), JSON.stringify(report.violations.map((v: any) => [v.scenario, v.pinned, v.trace?.exceptionClass]), null, 1));
      for (const e of expected.violations.filter((x) => x.message)) {
        assert.equal(report.violations.find((v: any) => v.scenario === e.scenario).message, e.message);
      }
    });

    test('trace frames map from container paths to workspace files that exist', () => {
      for (const v of report.violations.filter((x: any) => x.trace)) {
        const inWs = v.trace.frames.filter((f: any) => f.inWorkspace);
        assert.ok(inWs.length > 0, `${v.scenario} has a frame in the workspace`);
        for (const f of inWs) {
          assert.ok(existsSync(path.join(workspace, f.file)), `${f.file} exists in the workspace`);
          assert.ok(f.rawFile.startsWith('/app/'), `raw path ${f.rawFile} is the container's`);
          assert.ok(f.line > 0 && typeof f.function === 'string');
        }
        assert.ok(v.trace.frames.some((f: any) => !f.inWorkspace), 'framework frames stay outside the workspace');
        const line = readFileSync(path.join(workspace, v.location.file), 'utf8').split('\n')[v.location.line - 1];
        assert.ok(line.trim().length > 0, `${v.location.file}:${v.location.line} is a line of code`);
      }
    });

    test('the table names each failure and the pass rate', () => {
      const table = cli(['smoke', '--workspace', workspace, '--quiet']);
      assert.equal(table.code, 1, table.stderr);
      const pct = ((expected.passed / expected.total) * 100).toFixed(1);
      assert.match(table.stdout, new RegExp(`Pass rate: ${expected.passed}/${expected.total} \\(${pct.replace('.', '\\.')}%\\)`));
      for (const v of expected.violations) assert.ok(table.stdout.includes(v.where), `table mentions ${v.where}`);
    });
  });
}

describe('smoke-repair usage and configuration errors', () => {
  test('bad usage exits 2 with the usage text', () => {
    const r = cli(['smoke', '--no-such-flag']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: smoke-repair/);
    assert.equal(cli(['frobnicate']).code, 2);
  });

  test('a bad configuration exits 2 and names the file, line and what was expected; nothing is written', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'smoke-cfg-'));
    const text = 'app:\n  baseUrl: http://127.0.0.1:1\n  helth: /health\nscenarios:\n  - name: x\n    request: { method: GET, path: /x }\n    expect: { status: "20x" }\n';
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), text);
    const r = cli(['smoke', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /smoke-repair\.yaml:3:\d+: .*helth/);
    assert.match(r.stderr, /did you mean "health"/);
    assert.match(r.stderr, /smoke-repair\.yaml:7:\d+: .*status/);
    assert.equal(readFileSync(path.join(ws, 'smoke-repair.yaml'), 'utf8'), text);
  });

  test('a missing configuration exits 2 and says how to make one', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'smoke-none-'));
    const r = cli(['smoke', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /smoke-repair\.yaml/);
  });

  test('an unreachable Docker engine exits 2 and says what to do', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'smoke-docker-'));
    cpSync(path.join(ROOT, 'examples', 'shop-api', 'smoke-repair.yaml'), path.join(ws, 'smoke-repair.yaml'));
    const r = cli(['smoke', '--workspace', ws], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Docker is not reachable at unix:\/\/\/nonexistent\/docker\.sock/);
    assert.match(r.stderr, /Start the Docker engine/);
  });
});

describe('smoke-repair classify', () => {
  test('classifies the last of several real uvicorn tracebacks from standard input', () => {
    const log = readFileSync(path.join(ROOT, 'test', 'fixtures', 'traces', 'py-fastapi-uvicorn.txt'), 'utf8');
    const r = cli(['classify', '--json'], { input: log });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    // The fixture's last trace is SQLAlchemy's "no such table": a missing migration.
    assert.equal(c.failureType, 'SCHEMA_MIGRATION');
    assert.equal(c.strategy, 'DB');
    assert.match(c.exceptionClass, /OperationalError/);
    assert.equal(typeof c.retryable, 'boolean');
  });

  test('a refused connection is INFRA; a missing module is a DEPENDENCY with the place it was raised', () => {
    const infra = JSON.parse(cli(['classify', '--json'], { input: 'connect ECONNREFUSED 127.0.0.1:5432\n' }).stdout);
    assert.equal(infra.failureType, 'INFRA');
    const plain = cli(['classify'], { input: 'Traceback (most recent call last):\n  File "/app/app/main.py", line 3, in <module>\n    import slugify\nModuleNotFoundError: No module named \'slugify\'\n' });
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /failure type: +RUNTIME/);
    assert.match(plain.stdout, /strategy: +DEPENDENCY/);
    assert.match(plain.stdout, /exception class: +ModuleNotFoundError/);
    assert.match(plain.stdout, /raised at: +\/app\/app\/main\.py:3/);
  });
});

describe('scenarios derived from the OpenAPI document of the real FastAPI example', () => {
  test('one request per operation, chained: ids from creates feed the reads, nested creates and actions', async () => {
    await ensureExampleUp('shop-api');
    const dir = mkdtempSync(path.join(tmpdir(), 'smoke-openapi-'));
    const config = path.join(dir, 'openapi-only.yaml');
    writeFileSync(config, 'app:\n  baseUrl: http://127.0.0.1:8000\n  health: /health\n  docker: { project: shop-api, service: api }\nopenapi:\n  location: /openapi.json\n');
    const r = cli(['smoke', '--workspace', path.join(ROOT, 'examples', 'shop-api'), '--config', config, '--json', '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    // 16 operations: the reviews router is never included, so its two are not in the document.
    assert.equal(report.total, 16);
    const byPath = new Map<string, any>(report.scenarios.map((s: any) => [`${s.method} ${s.path}`, s]));
    // The cart was made for the customer created before it, and read back by its id.
    assert.equal(byPath.get('POST /customers').status, 201);
    assert.equal(byPath.get('POST /customers/{customer_id}/carts').status, 201);
    assert.match(byPath.get('GET /carts/{cart_id}').resolvedPath, /^\/carts\/\d+$/);
    assert.equal(byPath.get('GET /carts/{cart_id}').ok, true);
    // The seeded faults show through; what depends on a failed step is skipped and says why.
    const item = report.violations.find((v: any) => v.path === '/carts/{cart_id}/items');
    assert.equal(item.message, "POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'");
    assert.equal(`${item.location.file}:${item.location.line}`, 'app/routers/carts.py:46');
    const skipped = report.scenarios.filter((s: any) => s.skipped);
    assert.ok(skipped.length > 0 && skipped.every((s: any) => /variable \{order_id\} is not set/.test(s.failures.join(' '))));
    assert.equal(report.passed, 9);
  });
});
