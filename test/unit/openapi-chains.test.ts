import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { request } from 'undici';
import { parseConfigText } from '../../server/src/engine/config';
import type { Scenario } from '../../server/src/engine/model';
import { collectScenariosDetailed } from '../../server/src/engine/smoke/collect';
import type { RequestDecoration } from '../../server/src/engine/smoke/decorate';
import { getPath } from '../../server/src/engine/smoke/jsonpath';
import { deriveScenarios, parseOpenApi } from '../../server/src/engine/smoke/openapi';
import { runScenarios, waitForHealth } from '../../server/src/engine/smoke/runner';
import { fillRequest, placeholdersOf, type Variables } from '../../server/src/engine/smoke/variables';
import { freePort } from '../setup/net';

/** Derived chains when a step fails, and derived scenarios with their decoration against a real FastAPI app. */

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'openapi');

describe('a failing create in a derived chain', () => {
  let server: Server | undefined;
  after(() => server?.close());

  test('every step after it is skipped and names the variable and the step that did not save it', async () => {
    const parsed = parseOpenApi(readFileSync(path.join(dir, 'pets_smorest.yaml'), 'utf8'), 'pets_smorest.yaml');
    assert.ok(parsed.ok);
    // The key's place is known by name only; this server does not check it.
    const d = deriveScenarios(parsed.doc, { supplied: { auth: 'apiKey', authAt: { in: 'query', name: 'api_key' }, headers: [], query: [] } });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const status = req.method === 'POST' && req.url?.startsWith('/owners/') ? 500 : 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 500 ? '{"message":"Internal Server Error"}' : '[]');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const results = await runScenarios(url, d.scenarios, { concurrency: 2, timeoutMs: 5000, retries: 0 });
    const at = (method: string, p: string) => results.find((r) => r.method === method && r.path === p)!;

    assert.deepEqual(at('POST', '/owners/').failures, ['expected status 201, got 500']);
    const chain = d.scenarios.find((s) => s.request.path === '/owners/')!.chain;
    const later = d.scenarios.filter((s) => s.chain === chain && s.request.path !== '/owners/');
    assert.equal(later.length, 6);
    for (const s of later) {
      const r = results.find((x) => x.scenarioId === s.id)!;
      assert.equal(r.skipped, true, `${s.request.method} ${s.request.path}`);
      assert.equal(r.failures.length, placeholdersOf(s.request).length);
    }
    assert.deepEqual(at('POST', '/pets/').failures, ['skipped: variable {owner_id} is not set because "POST /owners/" did not save it']);
    assert.deepEqual(at('GET', '/owners/{owner_id}/pets/').failures, ['skipped: variable {owner_id} is not set because "POST /owners/" did not save it']);
    // The pet was never created because its owner was not: the message names the pet's create.
    assert.deepEqual(at('GET', '/pets/{pet_id}').failures, ['skipped: variable {pet_id} is not set because "POST /pets/" did not save it']);
    assert.deepEqual(at('PUT', '/pets/{pet_id}').failures, [
      'skipped: variable {pet_id} is not set because "POST /pets/" did not save it',
      'skipped: variable {owner_id} is not set because "POST /owners/" did not save it',
    ]);
    // Outside the chain nothing is held back.
    assert.equal(at('GET', '/pets/').ok, true);
    assert.equal(at('GET', '/species/cat').ok, true);
  });
});

/**
 * Sends the scenarios one chain at a time, decorated as the runner does once it takes a
 * RequestDecoration (the runner change is described in the module's report): fill, decorate, send,
 * judge the status, save the variables.
 */
async function sendDecorated(baseUrl: string, scenarios: Scenario[], decoration: RequestDecoration): Promise<string[]> {
  const problems: string[] = [];
  const chains = new Map<string, Scenario[]>();
  for (const s of scenarios) chains.set(s.chain ?? `#${s.id}`, [...(chains.get(s.chain ?? `#${s.id}`) ?? []), s]);
  for (const steps of chains.values()) {
    const vars: Variables = {};
    for (const s of steps.sort((a, b) => a.order - b.order)) {
      const sent = decoration.decorate(fillRequest(s.request, vars), s.id);
      const body = sent.body === undefined ? undefined : typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body);
      const headers = { ...(body !== undefined && typeof sent.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...sent.headers };
      const res = await request(baseUrl + sent.target, { method: sent.method as 'GET', headers, body });
      const text = await res.body.text();
      if (!s.expectStatus.includes(res.statusCode)) problems.push(`${s.request.method} ${sent.path} → ${res.statusCode} (expected ${s.expectStatus.join(' or ')}): ${decoration.redact(text)}`);
      for (const [name, at] of Object.entries(s.save ?? {})) {
        const got = getPath(JSON.parse(text), at);
        if (got.found) vars[name] = got.value;
      }
    }
  }
  return problems;
}

describe('derived scenarios with their decoration against the real FastAPI heroes app', () => {
  const python = process.env.FASTAPI_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import fastapi, uvicorn, sqlmodel'], { encoding: 'utf8' });
  let child: ChildProcess | undefined;
  const ws = mkdtempSync(path.join(tmpdir(), 'smoke-heroes-'));
  after(() => {
    child?.kill('SIGTERM');
    rmSync(ws, { recursive: true, force: true });
  });

  test(
    'the document fetched from the app derives what the fixture does; with the token from the environment every derived scenario passes',
    { skip: probe.status !== 0 && !process.env.CI && `needs ${python} with fastapi, uvicorn and sqlmodel (set FASTAPI_PYTHON)` },
    async () => {
      const token = `tok-${process.pid}-heroes`;
      const port = await freePort();
      child = spawn(python, ['-m', 'uvicorn', 'heroes_app:app', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warning'], {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, HEROES_TOKEN: token, PYTHONDONTWRITEBYTECODE: '1' },
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      await waitForHealth(baseUrl, '/health', 20_000, undefined, { intervalMs: 100 });

      const text = `app: { baseUrl: "${baseUrl}" }\nopenapi: { location: /openapi.json }\nsmoke:\n  auth: { bearer: "\${env:HEROES_TOKEN}" }\n`;
      writeFileSync(path.join(ws, 'smoke-repair.yaml'), text);
      const loaded = parseConfigText(text, path.join(ws, 'smoke-repair.yaml'));
      assert.ok(loaded.ok);
      const collected = await collectScenariosDetailed(loaded.config, { workspace: ws, configFile: 'smoke-repair.yaml', loaded, baseUrl, env: { HEROES_TOKEN: token } });

      const fixture = parseOpenApi(readFileSync(path.join(dir, 'heroes.json'), 'utf8'), 'heroes.json');
      assert.ok(fixture.ok);
      const fromFixture = deriveScenarios(fixture.doc, { supplied: { auth: 'bearer', authAt: { in: 'header', name: 'authorization' }, headers: [], query: [] } });
      assert.deepEqual(
        collected.scenarios.map((s) => [s.id, s.chain, s.order, s.request, s.expectStatus]),
        fromFixture.scenarios.map((s) => [s.id, s.chain, s.order, s.request, s.expectStatus]),
      );
      assert.deepEqual(collected.unsatisfied.map((u) => `${u.method} ${u.path}`), ['GET /admin/stats']);

      assert.deepEqual(await sendDecorated(baseUrl, collected.scenarios, collected.decoration), []);
      // Without the decoration the heroes are closed: the token is what opened them.
      const bare = await runScenarios(baseUrl, collected.scenarios.filter((s) => s.request.path === '/heroes/'), { concurrency: 1, timeoutMs: 5000, retries: 0 });
      assert.ok(bare.every((r) => r.status === 403), bare.map((r) => `${r.method} ${r.path} → ${r.status}`).join(', '));
    },
  );
});
