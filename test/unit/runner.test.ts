import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Scenario } from '../../server/src/engine/model';
import { EnvironmentError } from '../../server/src/engine/model';
import { chainKey, runScenario, runScenarios, runScenariosWithState, waitForHealth } from '../../server/src/engine/smoke/runner';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  server: Server;
  connections: number;
  inFlight: number;
  maxInFlight: number;
  requests: Array<{ method: string; url: string; body: string }>;
  close(): Promise<void>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const state = { connections: 0, inFlight: 0, maxInFlight: 0, requests: [] as TestServer['requests'] };
  const server = createServer((req, res) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => state.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    server,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  }) as unknown as TestServer;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let n = 0;
function scenario(partial: Partial<Scenario> & { method?: string; path: string }): Scenario {
  const { method = 'GET', path, ...rest } = partial;
  n++;
  return {
    id: rest.id ?? `s${n}`,
    name: rest.name ?? `scenario ${n}`,
    request: rest.request ?? { method, path },
    expectStatus: [200],
    order: 0,
    source: { kind: 'file', file: 'smoke-repair.yaml', line: n },
    ...rest,
  };
}

const fast = { concurrency: 4, timeoutMs: 2000, retries: 0, retryDelayMs: 5 };

describe('runner against a real HTTP server', () => {
  let srv: TestServer;
  const carts = new Map<number, { id: number; items: unknown[] }>();
  let flaky = 0;

  before(async () => {
    srv = await startServer((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/slow') return void setTimeout(() => json(res, 200, { ok: true }), Number(url.searchParams.get('ms') ?? 50));
      if (url.pathname === '/hang') return; // never answers
      if (url.pathname === '/total') return json(res, 200, { total: 30, items: [{ name: 'a', qty: 1 }], currency: 'EUR' });
      if (url.pathname === '/flaky') return flaky++ < 2 ? json(res, 503, { detail: 'warming up' }) : json(res, 200, { ok: true });
      if (url.pathname === '/always503') return json(res, 503, { detail: 'down' });
      if (url.pathname === '/reset') return void req.socket.destroy();
      if (url.pathname === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>');
      if (url.pathname === '/big') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000));
      if (url.pathname === '/carts' && req.method === 'POST') {
        const id = carts.size + 1;
        carts.set(id, { id, items: [] });
        return json(res, 201, { id, echo: body ? JSON.parse(body) : null });
      }
      if (url.pathname === '/carts-broken' && req.method === 'POST') return json(res, 500, { detail: 'boom' });
      const m = /^\/carts\/([^/]+)$/.exec(url.pathname);
      if (m) {
        const cart = carts.get(Number(m[1]));
        if (!cart) return json(res, 404, { detail: 'no cart' });
        if (req.method === 'DELETE') {
          carts.delete(cart.id);
          return void res.writeHead(204).end();
        }
        return json(res, 200, cart);
      }
      json(res, 404, { detail: 'not found' });
    });
  });
  after(() => srv.close());

  test('concurrent scenarios really overlap, up to the limit, and results keep scenario order', async () => {
    srv.maxInFlight = 0;
    const list = Array.from({ length: 16 }, (_, i) => scenario({ path: `/slow?ms=${40 + (15 - i) * 3}`, id: `slow-${i}` }));
    const results = await runScenarios(srv.url, list, { ...fast, concurrency: 4 });
    assert.equal(srv.maxInFlight, 4);
    assert.deepEqual(results.map((r) => r.scenarioId), list.map((s) => s.id));
    assert.ok(results.every((r) => r.ok && r.status === 200 && r.attempts === 1));
  });

  test('concurrency 1 never overlaps', async () => {
    srv.maxInFlight = 0;
    const list = Array.from({ length: 5 }, () => scenario({ path: '/slow?ms=10' }));
    await runScenarios(srv.url, list, { ...fast, concurrency: 1 });
    assert.equal(srv.maxInFlight, 1);
  });

  test('keep-alive reuses sockets: connections opened ≤ concurrency', async () => {
    const before = srv.connections;
    const list = Array.from({ length: 60 }, () => scenario({ path: '/total' }));
    const results = await runScenarios(srv.url, list, { ...fast, concurrency: 3 });
    assert.ok(results.every((r) => r.ok));
    const opened = srv.connections - before;
    assert.ok(opened >= 1 && opened <= 3, `opened ${opened} connections for 60 requests`);
  });

  test('latency and time window are recorded', async () => {
    const t = Date.now();
    const [r] = await runScenarios(srv.url, [scenario({ path: '/slow?ms=30' })], fast);
    assert.ok(r.durationMs >= 25 && r.durationMs < 1000, `durationMs ${r.durationMs}`);
    assert.ok(!Number.isInteger(r.durationMs) || r.durationMs > 0);
    assert.ok(r.startedAt >= t && r.endedAt >= r.startedAt + 25);
    assert.equal(r.resolvedPath, '/slow?ms=30');
  });

  test('a chain passes saved variables to later steps, and runs in order', async () => {
    const chain = [
      scenario({ name: 'create cart', method: 'POST', path: '/carts', chain: 'c', order: 0, expectStatus: [201], save: { cart_id: 'id' }, request: { method: 'POST', path: '/carts', body: { owner: 'ann' } } }),
      scenario({ name: 'read cart', path: '/carts/{cart_id}', chain: 'c', order: 1, expectJson: { id: '{cart_id}' } }),
      scenario({ name: 'delete cart', method: 'DELETE', path: '/carts/{cart_id}', chain: 'c', order: 2, expectStatus: [204] }),
      scenario({ name: 'read deleted', path: '/carts/{cart_id}', chain: 'c', order: 3, expectStatus: [404] }),
    ];
    // Steps given out of order still run by `order`.
    const state = await runScenariosWithState(srv.url, [chain[2], chain[0], chain[3], chain[1]], fast);
    const byName = new Map(state.results.map((r) => [r.name, r]));
    assert.equal(byName.get('create cart')!.status, 201);
    const id = state.vars.c.cart_id;
    assert.equal(typeof id, 'number');
    assert.equal(byName.get('read cart')!.resolvedPath, `/carts/${id}`);
    assert.equal(byName.get('delete cart')!.status, 204);
    assert.equal(byName.get('read deleted')!.status, 404);
    assert.ok(byName.get('read deleted')!.ok);
    assert.deepEqual(byName.get('create cart')!.requestBody, { owner: 'ann' });
    // read cart's expectation `{cart_id}` is a literal string here, so it fails: expectations are not templated.
    assert.match(byName.get('read cart')!.failures.join('\n'), /expected id = "\{cart_id\}", got \d+/);
    const order = srv.requests.filter((r) => r.url.startsWith('/carts')).slice(-4).map((r) => r.method);
    assert.deepEqual(order, ['POST', 'GET', 'DELETE', 'GET']);
  });

  test('a failed step makes dependants skipped, naming the variable', async () => {
    const list = [
      scenario({ name: 'create broken', path: '/carts-broken', chain: 'b', order: 0, expectStatus: [201], save: { cart_id: 'id' }, request: { method: 'POST', path: '/carts-broken' } }),
      scenario({ name: 'read it', path: '/carts/{cart_id}', chain: 'b', order: 1 }),
      scenario({ name: 'independent', path: '/total', chain: 'b', order: 2 }),
    ];
    const results = await runScenarios(srv.url, list, fast);
    assert.equal(results[0].status, 500);
    assert.deepEqual(results[0].failures, ['expected status 201, got 500']);
    assert.equal(results[1].skipped, true);
    assert.equal(results[1].status, 0);
    assert.equal(results[1].attempts, 0);
    assert.match(results[1].failures[0], /variable \{cart_id\} is not set because "create broken" did not save it/);
    assert.ok(results[2].ok);
  });

  test('a save path missing from the body fails the step', async () => {
    const list = [
      scenario({ path: '/total', chain: 'm', order: 0, save: { cart_id: 'cart.id' } }),
      scenario({ path: '/carts/{cart_id}', chain: 'm', order: 1 }),
    ];
    const results = await runScenarios(srv.url, list, fast);
    assert.equal(results[0].ok, false);
    assert.match(results[0].failures[0], /could not save \{cart_id\}: no value at "cart.id"/);
    assert.equal(results[1].skipped, true);
  });

  test('retries transient 503 and then succeeds, recording attempts', async () => {
    flaky = 0;
    const [r] = await runScenarios(srv.url, [scenario({ path: '/flaky' })], { ...fast, retries: 3 });
    assert.equal(r.ok, true);
    assert.equal(r.attempts, 3);
    const [r2] = await runScenarios(srv.url, [scenario({ path: '/always503' })], { ...fast, retries: 2 });
    assert.equal(r2.ok, false);
    assert.equal(r2.status, 503);
    assert.equal(r2.attempts, 3);
    assert.match(r2.failures.join('\n'), /failed after 3 attempts/);
  });

  test('answers that are not transient are never retried: 201, 404, 500', async () => {
    const before = srv.requests.length;
    const results = await runScenarios(
      srv.url,
      [
        scenario({ path: '/carts', request: { method: 'POST', path: '/carts' }, expectStatus: [200] }),
        scenario({ path: '/carts/999' }),
        scenario({ path: '/carts-broken', request: { method: 'POST', path: '/carts-broken' } }),
      ],
      { ...fast, retries: 3 },
    );
    assert.deepEqual(results.map((r) => [r.status, r.attempts]), [[201, 1], [404, 1], [500, 1]]);
    assert.equal(srv.requests.length - before, 3, 'one request each');
    assert.ok(results.every((r) => !r.failures.some((f) => /attempt/.test(f))), JSON.stringify(results.map((r) => r.failures)));
  });

  test('a reset followed by a real answer says the answer came on a retry, not that it "failed after" attempts', async () => {
    let first = true;
    const once = await startServer((req, res) => {
      if (first) {
        first = false;
        return void req.socket.destroy();
      }
      json(res, 404, { detail: 'no such order' });
    });
    try {
      const [r] = await runScenarios(once.url, [scenario({ path: '/orders/1' })], { ...fast, retries: 2 });
      assert.equal(r.status, 404);
      assert.equal(r.attempts, 2);
      assert.ok(!r.failures.some((f) => /failed after/.test(f)), r.failures.join('\n'));
      assert.ok(r.failures.some((f) => /answered on attempt 2 \(attempt 1: ECONNRESET/.test(f)), r.failures.join('\n'));
    } finally {
      await once.close();
    }
  });

  test('a reset connection is retried, then reported with its code', async () => {
    const [r] = await runScenarios(srv.url, [scenario({ path: '/reset' })], { ...fast, retries: 1 });
    assert.equal(r.status, 0);
    assert.equal(r.errorCode, 'ECONNRESET');
    assert.equal(r.attempts, 2);
  });

  test('a timeout gives status 0 with ETIMEDOUT', async () => {
    const t0 = Date.now();
    const [r] = await runScenarios(srv.url, [scenario({ path: '/hang' })], { ...fast, timeoutMs: 200 });
    assert.equal(r.status, 0);
    assert.equal(r.errorCode, 'ETIMEDOUT');
    assert.equal(r.attempts, 1);
    assert.ok(Date.now() - t0 < 1500);
    assert.match(r.failures[0], /no response in time \(ETIMEDOUT after 200 ms\)/);
  });

  test('connection refused gives ECONNREFUSED', async () => {
    const closed = await startServer(() => {});
    const url = closed.url;
    await closed.close();
    const [r] = await runScenarios(url, [scenario({ path: '/x' })], fast);
    assert.equal(r.status, 0);
    assert.equal(r.errorCode, 'ECONNREFUSED');
    assert.match(r.failures[0], /connection refused/);
  });

  test('JSON expectations give clear messages', async () => {
    const [r] = await runScenarios(
      srv.url,
      [scenario({ path: '/total', expectJson: { total: 25, currency: 'EUR', 'items.0': { name: 'b' }, missing: 1, items: [{ name: 'a' }, { name: 'c' }] } })],
      fast,
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.failures, [
      'expected total = 25, got 30',
      'expected items.0.name = "b", got "a"',
      'expected missing = 1, got nothing (no such key)',
      'expected items to have 2 entries, got 1',
    ]);
    const [ok] = await runScenarios(srv.url, [scenario({ path: '/total', expectJson: { total: 30, items: [{ qty: 1 }] } })], fast);
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.ok, true);
    const [html] = await runScenarios(srv.url, [scenario({ path: '/html', expectJson: { a: 1 } })], fast);
    assert.match(html.failures[0], /expected a JSON body, got text\/html/);
  });

  test('body excerpt is bounded', async () => {
    const [r] = await runScenarios(srv.url, [scenario({ path: '/big' })], fast);
    assert.ok(r.bodyExcerpt.length <= 2049);
  });

  test('status lists accept any of their codes; mismatches name them', async () => {
    const [r] = await runScenarios(srv.url, [scenario({ path: '/carts/9999', expectStatus: [200, 201] })], fast);
    assert.deepEqual(r.failures, ['expected status 200 or 201, got 404']);
    assert.equal(r.expectedStatus, 200);
  });

  test('runScenario re-runs one chained step alone with the variables its chain had', async () => {
    const create = scenario({ name: 'create', path: '/carts', chain: 'r', order: 0, expectStatus: [201], save: { cart_id: 'id' }, request: { method: 'POST', path: '/carts' } });
    const read = scenario({ name: 'read', path: '/carts/{cart_id}', chain: 'r', order: 1 });
    const state = await runScenariosWithState(srv.url, [create, read], fast);
    const again = await runScenario(srv.url, read, { timeoutMs: 2000, retries: 0, vars: state.vars[chainKey(read)] });
    assert.equal(again.result.ok, true);
    assert.equal(again.result.resolvedPath, state.results[1].resolvedPath);
    const alone = await runScenario(srv.url, read, { timeoutMs: 2000, retries: 0 });
    assert.equal(alone.result.skipped, true);
  });

  test('seed variables under "" reach every chain; query strings are filled', async () => {
    const s = scenario({ path: '/carts/{cart_id}', request: { method: 'GET', path: '/carts/{cart_id}', query: { q: '{cart_id}' } } });
    const create = await runScenarios(srv.url, [scenario({ path: '/carts', expectStatus: [201], request: { method: 'POST', path: '/carts' } })], fast);
    const id = JSON.parse(create[0].bodyExcerpt).id;
    const [r] = await runScenarios(srv.url, [s], { ...fast, vars: { '': { cart_id: id } } });
    assert.equal(r.ok, true);
    assert.equal(srv.requests.at(-1)!.url, `/carts/${id}?q=${id}`);
  });

  test('a cancelled run returns every result without hanging', async () => {
    const ctl = new AbortController();
    const list = Array.from({ length: 6 }, () => scenario({ path: '/slow?ms=200', chain: 'x' })).map((s, i) => ({ ...s, order: i }));
    setTimeout(() => ctl.abort(), 50);
    const results = await runScenarios(srv.url, list, { ...fast, signal: ctl.signal });
    assert.equal(results.length, 6);
    assert.ok(results.every((r) => r.errorCode === 'ABORTED'));
  });

  test('onResult and progress are called once per scenario', async () => {
    const seen: string[] = [];
    const msgs: string[] = [];
    const list = [scenario({ path: '/total' }), scenario({ path: '/carts/777', expectStatus: [404] })];
    await runScenarios(srv.url, list, { ...fast, onResult: (r) => seen.push(r.scenarioId), progress: { report: (m) => msgs.push(m) } });
    assert.deepEqual(seen.sort(), list.map((s) => s.id).sort());
    assert.equal(msgs.length, 2);
  });
});

describe('waitForHealth', () => {
  test('resolves once the app answers 2xx', async () => {
    let calls = 0;
    const srv = await startServer((_req, res) => json(res, ++calls < 3 ? 503 : 200, {}));
    const attempts = await waitForHealth(srv.url, '/health', 3000, undefined, { intervalMs: 20 });
    assert.equal(attempts, 3);
    await srv.close();
  });

  test('times out with an EnvironmentError saying what was tried', async () => {
    const srv = await startServer(() => {});
    const url = srv.url;
    await srv.close();
    await assert.rejects(waitForHealth(url, '/health', 300, undefined, { intervalMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /did not answer 2xx at http:\/\/127\.0\.0\.1:\d+\/health within 0\.3 s/);
      assert.match(err.message, /connection refused/);
      assert.match(err.remedy, /app\.baseUrl/);
      return true;
    });
  });
});
