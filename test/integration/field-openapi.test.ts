/**
 * OpenAPI derivation on documents from the field apps: the one FastAPI serves (APIRouter prefixes
 * with trailing-slash collections, a required token header on every route) and the static spec
 * an Express app keeps beside its code. Every operation gets a scenario, chained from its create.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { runSmoke } from '../../server/src/engine';
import { copyFieldApp, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

const copies: FieldWorkspace[] = [];
after(() => copies.forEach((c) => c.remove()));

/** The copy's configuration with its scenarios replaced by derivation from `location`. */
function deriveOnly(ws: FieldWorkspace, location: string, smoke: Record<string, unknown> = {}): void {
  const file = path.join(ws.dir, 'smoke-repair.yaml');
  const config = parse(readFileSync(file, 'utf8'));
  config.scenarios = [];
  config.openapi = { location };
  if (Object.keys(smoke).length) config.smoke = smoke;
  writeFileSync(file, stringify(config));
}

test('FastAPI: trailing-slash collections feed their items; the token header comes from the environment', async () => {
  const ws = copyFieldApp('fastapi-heroes', { port: await freePort() });
  copies.push(ws);
  deriveOnly(ws, '/openapi.json', { headers: { 'x-token': '${env:HEROES_TEST_TOKEN}' } });
  process.env.HEROES_TEST_TOKEN = 'fake-super-secret-token';
  const report = await runSmoke({ workspace: ws.dir });
  const ops = report.scenarios.map((s) => `${s.method} ${s.path}`).sort();
  assert.deepEqual(ops, [
    'DELETE /heroes/{hero_id}',
    'GET /',
    'GET /heroes/',
    'GET /heroes/{hero_id}',
    'GET /teams/{team_id}',
    'GET /teams/{team_id}/heroes',
    'PATCH /heroes/{hero_id}',
    'POST /heroes/',
    'POST /teams/',
  ]);
  assert.deepEqual(report.unsatisfied, []);
  assert.equal(report.passed, report.total, report.scenarios.filter((s) => !s.ok).map((s) => `${s.method} ${s.resolvedPath}: ${s.failures.join('; ')}`).join('\n'));
  // Ids made by the creates, not invented: the item reads ran on the hero and team just made.
  const read = report.scenarios.find((s) => s.path === '/heroes/{hero_id}' && s.method === 'GET')!;
  assert.match(read.resolvedPath, /^\/heroes\/\d+$/);
  // The token went out with every request and is in no scenario that is reported.
  assert.ok(!JSON.stringify(report).includes('fake-super-secret-token'));
});

test('FastAPI without the token the app requires: every guarded operation is refused (400)', async () => {
  const ws = copyFieldApp('fastapi-heroes', { port: await freePort() });
  copies.push(ws);
  deriveOnly(ws, '/openapi.json');
  const report = await runSmoke({ workspace: ws.dir });
  const guarded = report.scenarios.filter((s) => s.path !== '/');
  // The required header got a value from its schema, which the app refuses.
  assert.ok(guarded.every((s) => !s.ok), guarded.map((s) => `${s.method} ${s.path} ${s.status}`).join('\n'));
  assert.ok(guarded.some((s) => s.status === 400), guarded.map((s) => s.status).join(','));
});

test('Express: the static spec beside the code, with a $ref path parameter and an allOf response', async () => {
  const ws = copyFieldApp('express-pino-orders', { port: await freePort() });
  copies.push(ws);
  deriveOnly(ws, 'openapi.yaml');
  const report = await runSmoke({ workspace: ws.dir });
  assert.deepEqual(report.scenarios.map((s) => `${s.method} ${s.path}`).sort(), ['GET /healthz', 'GET /orders', 'GET /orders/{orderId}', 'POST /orders', 'POST /orders/{orderId}/submit']);
  assert.deepEqual(report.unsatisfied, []);
  assert.equal(report.passed, report.total, report.scenarios.filter((s) => !s.ok).map((s) => `${s.method} ${s.resolvedPath}: ${s.failures.join('; ')}`).join('\n'));
  const submit = report.scenarios.find((s) => s.path === '/orders/{orderId}/submit')!;
  assert.match(submit.resolvedPath, /^\/orders\/\d+\/submit$/);
});
