/**
 * Secrets stay secret: the redactor's rules one by one, credentials written into smoke-repair.yaml
 * (warned about where they stand, never quoted), `${env:NAME}` in scenarios, the runner against a
 * real HTTP server (the app gets every value, the results hold none), the LLM planner's prompt
 * (redacted, and recorded as sent) and run records that keep it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseConfigText } from '../../server/src/engine/config';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { createPlannerFromProvider, type ChatMessage, type LlmProvider } from '../../server/src/engine/plan/llm';
import { listRecords, writeRecord } from '../../server/src/engine/records';
import { isCredentialName, Redactor, REDACTED } from '../../server/src/engine/redact';
import { planOne } from '../../server/src/engine/repair/planOne';
import type { RepairRecord } from '../../server/src/engine/contracts';
import { EXECUTORS } from '../../server/src/engine/patch/registry';
import { collectScenariosDetailed } from '../../server/src/engine/smoke/collect';
import { redactorFor, scenarioEnvironment } from '../../server/src/engine/smoke/decorate';
import { runScenarios } from '../../server/src/engine/smoke/runner';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZGEiLCJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const AWS_KEY = 'AKIAQ3EGXAMPLE7KEY42';

describe('the redactor, rule by rule', () => {
  const r = new Redactor(['configured-s3cret']);
  const cases: Array<[string, string, string]> = [
    ['a query parameter named like a credential', 'GET /orders/1/pay?api_key=k-123&x=1 HTTP/1.1', 'GET /orders/1/pay?api_key=[redacted]&x=1 HTTP/1.1'],
    ['an Authorization header keeps its scheme', 'Authorization: Bearer abc.def-123', 'Authorization: Bearer [redacted]'],
    ['Cookie and Set-Cookie to the end of the line', 'Cookie: theme=dark; session=abc', 'Cookie: [redacted]'],
    ['Set-Cookie', 'Set-Cookie: sid=abc123; Path=/; HttpOnly', 'Set-Cookie: [redacted]'],
    ['Proxy-Authorization', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic [redacted]'],
    ['X-Api-Key', 'x-api-key: k1234567', 'x-api-key: [redacted]'],
    ['a headers dict', "{'authorization': 'Bearer xyz123456', 'accept': '*/*'}", "{'authorization': 'Bearer [redacted]', 'accept': '*/*'}"],
    ['user info in a URL', 'connecting to postgres://shop:hunter2@db:5432/shop', 'connecting to postgres://shop:[redacted]@db:5432/shop'],
    ['a token as the user of a URL', 'git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/x', 'git clone https://[redacted]@github.com/x'],
    ['a JWT anywhere', `upstream said ${JWT} is expired`, 'upstream said [redacted] is expired'],
    ['a cloud access key id', `using key ${AWS_KEY} for s3`, 'using key [redacted] for s3'],
    ['a bearer token in prose', 'retrying with Bearer 7f3a9c0d11e2 after 401', 'retrying with Bearer [redacted] after 401'],
    ['a Python environment dump', "environ({'PATH': '/usr/bin', 'DB_PASSWORD': 'pw-123', 'SHOP_SECRET_KEY': 'x9'})", "environ({'PATH': '/usr/bin', 'DB_PASSWORD': '[redacted]', 'SHOP_SECRET_KEY': '[redacted]'})"],
    ['a Node environment dump', "{ DB_PASSWORD: 'pw', NODE_ENV: 'production' }", "{ DB_PASSWORD: '[redacted]', NODE_ENV: 'production' }"],
    ['a shell environment dump', 'HOME=/root\nAPI_TOKEN=tok-55\nLANG=C', 'HOME=/root\nAPI_TOKEN=[redacted]\nLANG=C'],
    ['JSON', '{"token": "abc", "ok": true, "password": null}', '{"token": "[redacted]", "ok": true, "password": null}'],
    ['JSON escaped inside a log line', 'body={\\"password\\": \\"x\\"}', 'body={\\"password\\": \\"[redacted]\\"}'],
    ['a private key block, line by line', '-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\nxyz==\n-----END RSA PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n[redacted]\n-----END RSA PRIVATE KEY-----'],
    ['a configured secret, as written and URL-encoded', 'raw configured-s3cret, in a URL configured-s3cret', 'raw [redacted], in a URL [redacted]'],
    ['an exception message is evidence, not a credential', "KeyError: 'token'", "KeyError: 'token'"],
    ['code keeps its names', '    token = request.headers["Authorization"]', '    token = request.headers["Authorization"]'],
    ['placeholders stay', '/orders/{order_id}/pay?api_key=${env:SHOP_KEY}&token={token}', '/orders/{order_id}/pay?api_key=${env:SHOP_KEY}&token={token}'],
    ['prose about authentication stays', 'Basic authentication failed for user ann', 'Basic authentication failed for user ann'],
  ];
  for (const [what, input, expected] of cases) {
    test(what, () => {
      assert.equal(r.text(input), expected);
      assert.equal(r.text(expected), expected, 'redacting again changes nothing');
    });
  }

  test('code mode hides known secrets and token formats but not names', () => {
    assert.equal(r.code(`key = "${AWS_KEY}"  # configured-s3cret`), 'key = "[redacted]"  # [redacted]');
    assert.equal(r.code('api_key=request.args["api_key"]'), 'api_key=request.args["api_key"]');
  });

  test('a log keeps its lines; a private key spread over them is found', () => {
    const lines = ['start', '-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAA', '-----END OPENSSH PRIVATE KEY-----', 'end'];
    assert.deepEqual(r.lines(lines), ['start', '-----BEGIN OPENSSH PRIVATE KEY-----', REDACTED, '-----END OPENSSH PRIVATE KEY-----', 'end']);
  });

  test('a request body: credential-named fields whole, strings as text', () => {
    const body = { user: 'ann', password: 'pw', card: { number: '4111', token: 12345, expires: true }, note: `see ${JWT}` };
    assert.deepEqual(r.value(body), { user: 'ann', password: REDACTED, card: { number: '4111', token: REDACTED, expires: true }, note: `see ${REDACTED}` });
  });

  test('names of credentials', () => {
    for (const n of ['api_key', 'apiKey', 'X-Api-Key', 'Authorization', 'Proxy-Authorization', 'Cookie', 'Set-Cookie', 'access_token', 'DB_PASSWORD', 'client_secret', 'sessionid', 'PHPSESSID', 'X-Amz-Signature', 'sig', 'passwd', 'HTTP_AUTHORIZATION']) {
      assert.ok(isCredentialName(n), n);
    }
    for (const n of ['KeyError', 'token_type', 'expires_at', 'author', 'monkey', 'keyboard', 'price', 'secret_name', 'prompt_tokens', 'x']) assert.ok(!isCredentialName(n), n);
  });

  test('a redactor never says what it knows', () => {
    const known = new Redactor(['top-secret-1']);
    assert.doesNotMatch(JSON.stringify({ known }), /top-secret/);
  });
});

describe('credentials in smoke-repair.yaml', () => {
  const text = [
    'app: { baseUrl: "http://127.0.0.1:9" }',
    'smoke:',
    '  auth: { bearer: "${env:SHOP_TOKEN}" }',
    'scenarios:',
    '  - name: pay',
    '    request:',
    '      method: POST',
    '      path: "/orders/1/pay?api_key=LITERAL-KEY-1"',
    '      headers: { Authorization: "Bearer LITERAL-BEARER-2", X-Tenant: acme, X-Api-Key: "${env:SHOP_KEY}" }',
    '      body: { card: "4111", password: LITERAL-PW-3, token: "{token}" }',
    '  - name: env everywhere',
    '    request: { method: GET, path: "/x?sig=${env:SHOP_SIG}", query: { session: "${env:SHOP_SESSION}" } }',
    '',
  ].join('\n');

  test('each credential written into the file is a warning where it stands, naming the place and not the value', () => {
    const loaded = parseConfigText(text, 'smoke-repair.yaml');
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.format()).join('\n'));
    assert.deepEqual(
      loaded.warnings.map((w) => `${w.line}:${w.column} ${w.message}`),
      [
        '8:13 scenarios[0].request.path holds the credential-named query parameter api_key in the path written into the file',
        '9:33 scenarios[0].request.headers.Authorization holds a credential-named header written into the file',
        '10:39 scenarios[0].request.body.password holds a credential-named body field written into the file',
      ],
    );
    for (const w of loaded.warnings) {
      assert.doesNotMatch(`${w.message} ${w.remedy}`, /LITERAL/);
      assert.match(w.remedy!, /\$\{env:NAME\}/);
    }
  });

  test('`${env:NAME}` in a scenario is read when the run starts; an unset one is an error on its line', () => {
    const loaded = parseConfigText(text, 'smoke-repair.yaml');
    assert.ok(loaded.ok);
    const { values, errors } = scenarioEnvironment(loaded.config.scenarios, { file: 'smoke-repair.yaml', text }, { SHOP_KEY: 'k', SHOP_SIG: 's' });
    assert.deepEqual([...values], [['SHOP_KEY', 'k'], ['SHOP_SIG', 's']]);
    assert.deepEqual(errors.map((e) => `${e.line}: ${e.message}`), ['12: scenarios[1].request.query.session: the environment variable SHOP_SESSION is not set']);
  });

  test("the configuration's redactor knows the written credentials and the environment's", () => {
    const loaded = parseConfigText(text, 'smoke-repair.yaml');
    assert.ok(loaded.ok);
    const r = redactorFor(loaded.config, { SHOP_TOKEN: 'env-token-1', SHOP_KEY: 'env-key-2', SHOP_SIG: 'env-sig-3', SHOP_SESSION: 'env-session-4' });
    const echo = 'LITERAL-KEY-1 LITERAL-BEARER-2 LITERAL-PW-3 env-token-1 env-key-2 env-sig-3 env-session-4 acme';
    assert.equal(r.text(echo), `${Array(7).fill(REDACTED).join(' ')} acme`);
  });
});

describe('the runner sends every value and keeps none', () => {
  let server: Server;
  let port: number;
  /** What the app received: every request line and header. */
  const received: string[] = [];
  const workspace = mkdtempSync(path.join(tmpdir(), 'smoke-secrets-'));

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
        res.setHeader('content-type', 'application/json');
        if (req.url === '/login') return res.end(JSON.stringify({ access_token: 'saved-login-token-77', token_type: 'bearer' }));
        // A failing answer that echoes what it got, with a JWT and a cloud key of its own.
        res.statusCode = 500;
        res.end(JSON.stringify({ detail: 'denied', url: req.url, headers: req.headers, body, upstream: `rejected ${JWT} for ${AWS_KEY}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(workspace, { recursive: true, force: true });
  });

  test('the app gets each secret; no result holds one', async () => {
    const text = [
      `app: { baseUrl: "http://127.0.0.1:${port}" }`,
      'smoke:',
      '  retries: 0',
      '  auth: { apiKey: { header: X-Service-Key, value: "${env:T_SERVICE_KEY}" } }',
      'scenarios:',
      '  - name: login',
      '    request: { method: POST, path: /login, body: { user: ann, password: "${env:T_PASSWORD}" } }',
      '    save: { access_token: access_token }',
      '  - name: pay',
      '    request:',
      '      method: POST',
      '      path: "/orders/1/pay?api_key=literal-query-key-1&sig=${env:T_SIG}"',
      '      headers: { Authorization: "Bearer literal-bearer-2", Cookie: "session=${env:T_COOKIE}" }',
      '      query: { signature: "${env:T_QUERY_SIG}" }',
      '      body: { card: "4111", token: "{access_token}", note: "${env:T_NOTE}" }',
      '    expect: { status: 200 }',
      '',
    ].join('\n');
    const env = { T_SERVICE_KEY: 'service-key-3', T_PASSWORD: 'password-4', T_SIG: 'sig-5', T_COOKIE: 'cookie-6', T_QUERY_SIG: 'query-sig-7', T_NOTE: 'note-8' };
    const secrets = ['literal-query-key-1', 'literal-bearer-2', ...Object.values(env), 'saved-login-token-77', JWT, AWS_KEY];
    const loaded = parseConfigText(text, path.join(workspace, 'smoke-repair.yaml'));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.format()).join('\n'));
    const collected = await collectScenariosDetailed(loaded.config, { workspace, configFile: 'smoke-repair.yaml', loaded, baseUrl: `http://127.0.0.1:${port}`, env });
    const results = await runScenarios(`http://127.0.0.1:${port}`, collected.scenarios, { concurrency: 2, timeoutMs: 5000, retries: 0, decoration: collected.decoration });

    const app = received.join('\n');
    for (const s of secrets.slice(0, -2)) assert.ok(app.includes(s) || app.includes(encodeURIComponent(s)), `the app did not get ${s}`);
    // The scenarios hold the requests as written (the literal ones too, warned about); what is kept of them holds nothing.
    const kept = JSON.stringify({ results, decoration: collected.decoration });
    assert.deepEqual(secrets.filter((s) => kept.includes(s)), []);

    const pay = results.find((r) => r.name === 'pay')!;
    assert.equal(pay.status, 500);
    assert.equal(pay.path, '/orders/1/pay?api_key=[redacted]&sig=${env:T_SIG}');
    assert.equal(pay.resolvedPath, '/orders/1/pay?api_key=[redacted]&sig=${env:T_SIG}');
    assert.deepEqual(pay.requestBody, { card: '4111', token: REDACTED, note: '${env:T_NOTE}' });
    assert.match(pay.bodyExcerpt, /"upstream":"rejected \[redacted\] for \[redacted\]"/);
    assert.deepEqual(results.find((r) => r.name === 'login')!.requestBody, { user: 'ann', password: REDACTED });
  });
});

describe('a prompt to a model', () => {
  const workspace = mkdtempSync(path.join(tmpdir(), 'smoke-prompt-'));
  after(() => rmSync(workspace, { recursive: true, force: true }));

  const violation: Violation = {
    id: 'pay:500',
    scenarioId: 'pay',
    scenario: 'pay',
    method: 'POST',
    path: '/orders/{order_id}/pay',
    expectedStatus: 200,
    actualStatus: 500,
    failureType: 'RUNTIME',
    strategy: 'SERVICE',
    retryable: false,
    signals: ['status 500'],
    message: 'POST /orders/{order_id}/pay → 500 (expected 200): RuntimeError: bad configuration',
    locationKind: 'none',
    logExcerpt: '',
    pinned: false,
    request: { method: 'POST', path: '/orders/1/pay' },
    // Evidence as the engine holds it was redacted when it entered; a token that slipped into code is caught on the way out.
    response: { status: 500, bodyExcerpt: `{"detail": "upstream rejected ${JWT}"}` },
    window: { startedAt: 0, endedAt: 1 },
  };
  const report = { workspace, configFile: 'smoke-repair.yaml', baseUrl: 'http://127.0.0.1:9', runtime: 'external', startedAt: 0, durationMs: 1, passRate: 0, passed: 0, total: 1, scenarios: [], violations: [violation], unsatisfied: [] } as SmokeReport;

  test('carries only redacted text, and what was sent is in the run record', async () => {
    const loaded = parseConfigText(['app: { baseUrl: "http://127.0.0.1:9" }', 'smoke:', '  auth: { bearer: "${env:T_LLM_BEARER}" }', ''].join('\n'), path.join(workspace, 'smoke-repair.yaml'));
    assert.ok(loaded.ok);
    process.env.T_LLM_BEARER = 'configured-bearer-9';
    const asked: ChatMessage[][] = [];
    const provider: LlmProvider = {
      name: 'scripted',
      async chat(messages) {
        asked.push(messages);
        return { text: '{"not": "a plan"}' };
      },
    };
    const planner = createPlannerFromProvider(provider, { maxOperations: 3, repairRetries: 1 });
    const source = `API_KEY = "${AWS_KEY}"\nBEARER = "configured-bearer-9"\n`;
    const planned = await planOne({
      workspace,
      report,
      config: loaded.config,
      violation: { ...violation, location: { file: 'app/settings.py', line: 1 }, locationKind: 'handler' },
      files: ['app/settings.py'],
      read: async (f) => (f === 'app/settings.py' ? source : undefined),
      planners: [planner],
      executors: EXECUTORS,
    });
    delete process.env.T_LLM_BEARER;
    assert.equal(asked.length, 2, 'the request and one repair');
    const sentText = JSON.stringify(asked);
    for (const s of [JWT, AWS_KEY, 'configured-bearer-9']) assert.ok(!sentText.includes(s), `${s} left the machine`);
    assert.match(sentText, /API_KEY = \\"\[redacted\]\\"/);
    assert.deepEqual(planned.prompts?.map((p) => p.messages), asked);
    assert.ok(planned.prompts?.every((p) => p.planner === 'llm' && p.provider === 'scripted'));

    // The model's NoPlan (attempts, errors) and the prompts are kept, and read back.
    assert.equal(planned.noPlan?.code, 'llm_invalid_output');
    const record: RepairRecord = { id: 'run-00000000-01', createdAt: Date.now(), violation: { ...violation }, noPlan: planned.noPlan, applied: false, reason: 'no plan', passRateBefore: 0, timings: {}, prompts: planned.prompts };
    delete (record.violation as Partial<Violation>).scenarioId;
    for (const k of ['retryable', 'signals', 'locationKind', 'logExcerpt', 'pinned', 'request', 'response', 'window'] as const) delete (record.violation as Record<string, unknown>)[k];
    await writeRecord(workspace, record);
    const { records, problems } = await listRecords(workspace);
    assert.deepEqual(problems, []);
    assert.deepEqual(records[0]!.prompts, planned.prompts);
    assert.deepEqual(records[0]!.noPlan, planned.noPlan);
  });
});
