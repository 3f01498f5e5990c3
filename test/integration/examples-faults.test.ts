/**
 * The example apps against their own scenario files, on a real Docker engine: every scenario
 * passes or fails exactly as the example's FAULTS.md says, and each seeded exception leaves its
 * stack trace, with frames in the bind-mounted sources, in the container's log.
 *
 * Run: node --import tsx --test test/setup/examples.test.ts
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { configSchema, type ScenarioConfig } from '../../server/src/engine/config/schema';
import { ensureExampleUp, exampleDetails, stopExample, type ExampleName } from '../setup/docker';

interface Outcome {
  name: string;
  ok: boolean;
  status: number;
  why: string;
}

/** Failing scenarios before any repair, and the log text each exception leaves (FAULTS.md). */
const EXPECTED: Record<ExampleName, { total: number; failing: string[]; logs: RegExp[] }> = {
  'shop-api': {
    total: 19,
    failing: ['product slug', 'review product', 'list reviews', 'get customer', 'add address', 'add item', 'order total', 'pay order'],
    logs: [
      /File "\/app\/app\/routers\/orders\.py", line 43, in pay_order[\s\S]*?NameError: name 'uuid' is not defined/,
      /File "\/app\/app\/routers\/products\.py", line 41, in product_slug[\s\S]*?ModuleNotFoundError: No module named 'slugify'/,
      /File "\/app\/app\/routers\/carts\.py", line 46, in add_item[\s\S]*?KeyError: 'price'/,
      /File "\/app\/app\/routers\/customers\.py", line 31, in get_customer[\s\S]*?ModuleNotFoundError: No module named 'ipdb'/,
      /Exception in ASGI application/,
    ],
  },
  'todo-api-node': {
    total: 18,
    failing: ['rename list', 'list stats', 'export list as CSV', 'comment on todo', 'create tag', 'list tags'],
    logs: [
      /ReferenceError: normalizeTitle is not defined\n[^\n]*at \/app\/src\/routes\/lists\.js:33:3/,
      /Error: Cannot find module 'csv-stringify\/sync'[\s\S]*?at \/app\/src\/routes\/lists\.js:45:25/,
    ],
  },
};

function fill(template: string, vars: Map<string, unknown>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => (vars.has(name) ? String(vars.get(name)) : whole));
}

function fillBody(body: unknown, vars: Map<string, unknown>): unknown {
  if (typeof body === 'string') return fill(body, vars);
  if (Array.isArray(body)) return body.map((b) => fillBody(b, vars));
  if (body && typeof body === 'object') return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, fillBody(v, vars)]));
  return body;
}

function at(value: unknown, dotPath: string): unknown {
  let cur: unknown = value;
  for (const key of dotPath.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A plain sequential runner, enough to check the fixtures; the product's runner lives in the engine. */
async function runScenarios(baseUrl: string, scenarios: ScenarioConfig[]): Promise<Outcome[]> {
  const vars = new Map<string, unknown>();
  const outcomes: Outcome[] = [];
  for (const s of scenarios) {
    const body = s.request.body === undefined ? undefined : JSON.stringify(fillBody(s.request.body, vars));
    const res = await fetch(baseUrl + fill(s.request.path, vars), {
      method: s.request.method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const statuses = Array.isArray(s.expect.status) ? s.expect.status : [s.expect.status];
    const why: string[] = [];
    if (!statuses.includes(res.status)) why.push(`status ${res.status}, expected ${statuses.join(' or ')}`);
    for (const [key, want] of Object.entries(s.expect.json ?? {})) {
      const got = at(json, key);
      if (JSON.stringify(got) !== JSON.stringify(want)) why.push(`${key} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
    for (const [name, from] of Object.entries(s.save ?? {})) {
      const v = at(json, from);
      if (v !== undefined) vars.set(name, v);
    }
    outcomes.push({ name: s.name, ok: why.length === 0, status: res.status, why: why.join('; ') });
  }
  return outcomes;
}

function containerLogs(container: string, sinceSeconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'docker',
      ['logs', '--timestamps', '--since', String(sinceSeconds), container],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(err) : resolve(stdout + stderr)),
    );
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

for (const name of ['shop-api', 'todo-api-node'] as const) {
  describe(`example ${name}`, { timeout: 20 * 60_000 }, () => {
    const d = exampleDetails(name);
    let startedHere = false;
    let baseUrl = '';

    before(async () => {
      startedHere = !(await answers(d.baseUrl + d.health));
      const info = await ensureExampleUp(name);
      assert.equal(info.project, name);
      assert.equal(info.service, 'api');
      baseUrl = info.baseUrl;
    });

    after(async () => {
      if (startedHere && !process.env.SMOKE_REPAIR_KEEP_EXAMPLES) await stopExample(name);
    });

    test('scenario file validates and each scenario passes or fails as FAULTS.md says', async () => {
      const file = path.join(d.dir, 'smoke-repair.yaml');
      const config = configSchema.parse(parse(readFileSync(file, 'utf8')));
      assert.equal(config.scenarios.length, EXPECTED[name].total);

      const since = Math.floor(Date.now() / 1000) - 1;
      const outcomes = await runScenarios(baseUrl, config.scenarios);
      const failing = outcomes.filter((o) => !o.ok).map((o) => o.name);
      assert.deepEqual(
        failing.sort(),
        [...EXPECTED[name].failing].sort(),
        outcomes.map((o) => `${o.ok ? 'pass' : 'FAIL'} ${o.name} ${o.why}`).join('\n'),
      );
      const passed = outcomes.length - failing.length;
      process.stderr.write(`${name}: ${passed}/${outcomes.length} passed before repair\n`);

      // Log lines arrive through the engine's log driver a moment after the response.
      let logs = '';
      for (let i = 0; i < 20; i++) {
        logs = await containerLogs(d.container, since);
        if (EXPECTED[name].logs.every((re) => re.test(logs))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      for (const re of EXPECTED[name].logs) assert.match(logs, re);
    });

    test('the health endpoint and unknown routes answer JSON', async () => {
      const health = await fetch(baseUrl + '/health');
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const missing = await fetch(baseUrl + '/no-such-route');
      assert.equal(missing.status, 404);
      assert.match(missing.headers.get('content-type') ?? '', /json/);
    });

    if (name === 'shop-api') {
      test('serves its OpenAPI document, which lacks the never-included reviews routes', async () => {
        const res = await fetch(baseUrl + '/openapi.json');
        assert.equal(res.status, 200);
        const doc = (await res.json()) as { paths: Record<string, unknown> };
        assert.ok(doc.paths['/carts/{cart_id}/items'], 'add-item route is documented');
        assert.ok(doc.paths['/orders/{order_id}/pay'], 'pay route is documented');
        assert.equal(doc.paths['/products/{product_id}/reviews'], undefined);
      });
    }
  });
}
