import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Scenario } from '../../server/src/engine/model';
import { deriveScenarios, mergeScenarios, parseOpenApi } from '../../server/src/engine/smoke/openapi';
import { readOpenApi } from '../../server/src/engine/smoke/collect';
import { runScenarios, waitForHealth } from '../../server/src/engine/smoke/runner';
import { sample, sampleFromPattern } from '../../server/src/engine/smoke/sample';
import { freePort } from '../setup/net';

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'openapi');
const shopFile = 'test/fixtures/openapi/shop.json';
const shopText = readFileSync(path.join(dir, 'shop.json'), 'utf8');

function derive() {
  const parsed = parseOpenApi(shopText, shopFile);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => e.format()).join('\n'));
  return deriveScenarios(parsed.doc, { file: shopFile });
}

const find = (list: Scenario[], method: string, p: string) => {
  const s = list.find((x) => x.request.method === method && x.source.kind === 'openapi' && x.source.pointer === `#/paths/${p.replace(/\//g, '~1')}/${method.toLowerCase()}`);
  assert.ok(s, `no scenario for ${method} ${p}`);
  return s;
};

describe('OpenAPI derivation on a FastAPI document', () => {
  test('one scenario per operation; a path parameter nothing creates gets a made-up value and may answer 404', () => {
    const d = derive();
    assert.equal(d.scenarios.length, 17);
    assert.deepEqual(d.unsatisfied, []);
    assert.equal(d.operations.length, 17);
    const report = find(d.scenarios, 'GET', '/reports/{report_key}');
    assert.equal(report.request.path, '/reports/smoke-report-key');
    assert.deepEqual(report.expectStatus, [200, 404]);
    assert.match(report.name, /report_key invented/);
    assert.equal(report.chain, undefined);
    assert.deepEqual(d.operations.find((o) => o.scenarioId === report.id)?.invented, ['path report_key']);
  });

  test('request bodies from schemas: required only, examples, enums, formats, bounds', () => {
    const d = derive();
    const product = find(d.scenarios, 'POST', '/products');
    assert.deepEqual(product.request.body, { name: 'smoke-name', price: 9.99, category: 'books', sku: '00000000-0000-4000-8000-000000000001' });
    assert.deepEqual(find(d.scenarios, 'POST', '/carts').request.body, { customer_email: 'smoke@example.com' });
    assert.deepEqual(find(d.scenarios, 'POST', '/carts/{cart_id}/items').request.body, { product_id: '{product_id}', quantity: 1 });
    // An order's cart_id body field is filled from the cart created earlier.
    assert.deepEqual(find(d.scenarios, 'POST', '/orders').request.body, { cart_id: '{cart_id}' });
    // Deterministic.
    assert.deepEqual(derive().scenarios, d.scenarios);
  });

  test('expected status is the lowest 2xx; creates save the id property of the response', () => {
    const d = derive();
    assert.deepEqual(find(d.scenarios, 'POST', '/carts').expectStatus, [201]);
    assert.deepEqual(find(d.scenarios, 'DELETE', '/carts/{cart_id}').expectStatus, [204]);
    assert.deepEqual(find(d.scenarios, 'POST', '/orders/{order_id}/pay').expectStatus, [200]);
    assert.deepEqual(find(d.scenarios, 'POST', '/carts').save, { cart_id: 'id' });
    assert.deepEqual(find(d.scenarios, 'POST', '/orders').save, { order_id: 'order_id' });
  });

  test('stateful chain: create → nested creates → reads → updates → actions → deletes, across resources', () => {
    const d = derive();
    const chained = d.scenarios.filter((s) => s.chain).sort((a, b) => a.order - b.order);
    assert.equal(new Set(chained.map((s) => s.chain)).size, 1, 'carts, products, items and orders share ids, so one chain');
    const seq = chained.map((s) => `${s.request.method} ${s.request.path}`);
    const pos = (x: string) => {
      const i = seq.indexOf(x);
      assert.ok(i >= 0, `${x} not in ${seq.join(', ')}`);
      return i;
    };
    assert.ok(pos('POST /carts') < pos('POST /orders'), 'the cart exists before the order that names it');
    assert.ok(pos('POST /products') < pos('POST /carts/{cart_id}/items'));
    assert.ok(pos('POST /orders') < pos('POST /carts/{cart_id}/items'), 'top-level creates before nested creates');
    assert.ok(pos('POST /carts/{cart_id}/items') < pos('GET /carts/{cart_id}'), 'creates before reads');
    assert.ok(pos('GET /orders/{order_id}') < pos('PUT /products/{product_id}'), 'reads before updates');
    assert.ok(pos('PATCH /carts/{cart_id}/items/{item_id}') < pos('POST /orders/{order_id}/pay'), 'updates before actions');
    assert.ok(pos('POST /orders/{order_id}/pay') < pos('DELETE /carts/{cart_id}/items/{item_id}'), 'actions before deletes');
    assert.ok(pos('DELETE /carts/{cart_id}/items/{item_id}') < pos('DELETE /carts/{cart_id}'), 'children deleted before parents');
    assert.ok(pos('DELETE /orders/{order_id}') < pos('DELETE /carts/{cart_id}'), 'an order goes before the cart it names');
    const free = d.scenarios.filter((s) => !s.chain).map((s) => `${s.request.method} ${s.request.path}`);
    assert.deepEqual(free.sort(), ['GET /health', 'GET /products', 'GET /reports/smoke-report-key']);
  });

  test('sources point at the operation in the document', () => {
    const s = find(derive().scenarios, 'POST', '/carts');
    assert.equal(s.source.kind, 'openapi');
    if (s.source.kind !== 'openapi') return;
    assert.equal(s.source.operationId, 'create_cart_carts_post');
    assert.equal(s.source.file, shopFile);
    const line = shopText.split('\n')[s.source.line! - 1];
    assert.match(line, /"post"/);
    assert.equal(s.id, 'create-cart');
  });

  test('exclude leaves operations out and says which', () => {
    const parsed = parseOpenApi(shopText, shopFile);
    assert.ok(parsed.ok);
    const d = deriveScenarios(parsed.doc, { exclude: ['GET /health', 'get_report_reports__report_key__get'] });
    assert.deepEqual(d.excluded.sort(), ['GET /health', 'GET /reports/{report_key}']);
    assert.equal(d.unsatisfied.length, 0);
    assert.equal(d.scenarios.length, 15);
    const left = d.operations.filter((o) => o.excluded).map((o) => o.reason);
    assert.deepEqual(left.sort(), ['left out by openapi.exclude ("GET /health")', 'left out by openapi.exclude ("get_report_reports__report_key__get")']);
  });

  test('a file scenario for the same METHOD and path wins and takes its place in the chain', () => {
    const d = derive();
    const mine: Scenario = {
      id: 'my-cart',
      name: 'my cart',
      request: { method: 'POST', path: '/carts', body: { customer_email: 'me@example.com' } },
      expectStatus: [201],
      order: 0,
      source: { kind: 'file', file: 'smoke-repair.yaml', line: 3 },
    };
    const { scenarios: merged, replacedBy } = mergeScenarios([mine], d);
    assert.equal(merged.filter((s) => s.request.method === 'POST' && s.request.path === '/carts').length, 1);
    assert.equal(merged.length, d.scenarios.length);
    assert.equal(replacedBy.get(find(d.scenarios, 'POST', '/carts').id), mine);
    assert.equal(mine.chain, find(d.scenarios, 'POST', '/carts').chain);
    assert.deepEqual(mine.save, { cart_id: 'id' });
  });
});

describe('OpenAPI documents: YAML, $ref, bad input', () => {
  const yamlDoc = `openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /users:
    post:
      requestBody:
        content:
          application/json:
            schema: { $ref: '#/components/schemas/NewUser' }
      responses:
        "201": { description: ok, content: { application/json: { schema: { $ref: '#/components/schemas/User' } } } }
  /users/{id}:
    parameters:
      - { name: id, in: path, required: true, schema: { type: integer } }
    get:
      responses: { "200": { description: ok } }
    delete:
      responses: { "204": { description: gone } }
  /files:
    post:
      requestBody:
        required: true
        content: { multipart/form-data: { schema: { type: object } } }
      responses: { "201": { description: ok } }
components:
  schemas:
    NewUser:
      allOf:
        - $ref: '#/components/schemas/Named'
        - type: object
          required: [born, tag, age]
          properties:
            born: { type: string, format: date-time }
            tag: { type: string, pattern: "^[A-Z]{3}-\\\\d{2}$" }
            age: { type: integer, minimum: 18, maximum: 120 }
    Named:
      type: object
      required: [name]
      properties: { name: { type: string, minLength: 12 } }
    User:
      type: object
      properties: { uid: { type: integer }, name: { type: string } }
`;

  test('YAML with allOf, $ref, 3.0 path-level parameters named {id}', () => {
    const parsed = parseOpenApi(yamlDoc, 'api.yaml');
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => e.format()).join('\n'));
    const d = deriveScenarios(parsed.doc, { file: 'api.yaml' });
    const create = d.scenarios.find((s) => s.request.method === 'POST')!;
    assert.deepEqual(create.request.body, { name: 'smoke-namexx', born: '2024-01-01T00:00:00Z', tag: 'AAA-11', age: 18 });
    assert.deepEqual(create.save, { user_id: 'uid' });
    assert.equal(create.source.kind === 'openapi' && create.source.line, 5);
    const get = d.scenarios.find((s) => s.request.method === 'GET')!;
    assert.equal(get.request.path, '/users/{user_id}');
    assert.equal(get.chain, create.chain);
    assert.deepEqual(d.unsatisfied.map((u) => [u.path, u.reason]), [['/files', 'the request body must be multipart/form-data; only JSON, URL-encoded form and plain-text bodies are made']]);
  });

  test('bad documents give located errors', () => {
    const notYaml = parseOpenApi('{ "openapi": "3.1.0", "paths": { ', 'x.json');
    assert.equal(notYaml.ok, false);
    if (!notYaml.ok) assert.equal(notYaml.errors[0].file, 'x.json');
    const noVersion = parseOpenApi('info: { title: t }\npaths: {}\n', 'none.yaml');
    assert.equal(noVersion.ok, false);
    if (!noVersion.ok) assert.match(noVersion.errors[0].message, /missing openapi/);
    const swagger1 = parseOpenApi('swagger: "1.2"\npaths: {}\n', 'old.yaml');
    assert.equal(swagger1.ok, false);
    if (!swagger1.ok) assert.match(swagger1.errors[0].message, /^not a usable Swagger 2\.0 document: swagger: Swagger version "2\.0"/);
    const badPath = parseOpenApi('openapi: 3.1.0\npaths:\n  users:\n    get: { responses: {} }\n', 'p.yaml');
    assert.equal(badPath.ok, false);
    if (!badPath.ok) {
      assert.equal(badPath.errors[0].line, 3);
      assert.match(badPath.errors[0].message, /a path starting with "\/"/);
    }
    const badOp = parseOpenApi('openapi: 3.1.0\npaths:\n  /a:\n    get: 5\n', 'p.yaml');
    assert.equal(badOp.ok, false);
    if (!badOp.ok) assert.deepEqual([badOp.errors[0].line, badOp.errors[0].column], [4, 10]);
  });

  test('pattern samples', () => {
    assert.equal(sampleFromPattern('^[A-Z]{4}$'), 'AAAA');
    assert.equal(sampleFromPattern('^[^@\\s]+@[^@\\s]+$'), 'a@a');
    assert.equal(sampleFromPattern('^[^a-z0-9_x-]$'), undefined);
    assert.equal(sampleFromPattern('^ab\\d+c?$'), 'ab1');
  });

  test('string samples satisfy the pattern, the lengths and what the property name suggests', () => {
    const ctx = { resolve: (s: unknown) => s as Record<string, unknown> };
    assert.equal(sample({ type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' }, ctx, 'email'), 'smoke@example.com');
    assert.equal(sample({ type: 'string', pattern: '^[A-Z]{3}$' }, ctx, 'code'), 'AAA');
    assert.equal(sample({ type: 'string', minLength: 12, maxLength: 12 }, ctx, 'sku'), 'smoke-skuxxx');
    assert.equal(sample({ type: 'string', format: 'email' }, ctx, 'contact'), 'smoke@example.com');
  });
});


describe('derived scenarios against the real FastAPI app', () => {
  const python = process.env.FASTAPI_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import fastapi, uvicorn, email_validator'], { encoding: 'utf8' });
  let child: ChildProcess | undefined;
  after(() => child?.kill('SIGTERM'));

  test('every derived scenario passes, and the document fetched from the app derives the same scenarios', { skip: probe.status !== 0 && !process.env.CI && `needs ${python} with fastapi, uvicorn and email-validator (set FASTAPI_PYTHON)` }, async () => {
    const port = await freePort();
    child = spawn(python, ['-m', 'uvicorn', 'shop_app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], { cwd: dir, stdio: 'ignore' });
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHealth(baseUrl, '/health', 20_000, undefined, { intervalMs: 100 });
    const fetched = await readOpenApi('/openapi.json', { workspace: dir, baseUrl });
    const parsed = parseOpenApi(fetched.text, fetched.origin);
    assert.ok(parsed.ok);
    const fromApp = deriveScenarios(parsed.doc);
    const fromFixture = derive();
    assert.deepEqual(fromApp.scenarios.map((s) => [s.id, s.chain, s.order, s.request]), fromFixture.scenarios.map((s) => [s.id, s.chain, s.order, s.request]));
    const results = await runScenarios(baseUrl, fromApp.scenarios, { concurrency: 4, timeoutMs: 5000, retries: 0 });
    const failed = results.filter((r) => !r.ok).map((r) => `${r.method} ${r.resolvedPath} → ${r.status}: ${r.failures.join('; ')} ${r.bodyExcerpt}`);
    assert.deepEqual(failed, []);
    assert.ok(results.find((r) => r.path === '/orders/{order_id}/pay')!.bodyExcerpt.includes('"paid"'));
  });
});
