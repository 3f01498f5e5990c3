import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { after, describe, test } from 'node:test';
import { parseConfigText } from '../../server/src/engine/config';
import { ConfigError } from '../../server/src/engine/model';
import { collectScenariosDetailed } from '../../server/src/engine/smoke/collect';
import { RequestDecoration, resolveSettings, suppliedNames, type ResolvedSettings } from '../../server/src/engine/smoke/decorate';
import { fillRequest } from '../../server/src/engine/smoke/variables';

/** `smoke.headers`, `smoke.query`, `smoke.auth` with `${env:NAME}`, and the decoration the runner applies at send time. */

function config(text: string) {
  const loaded = parseConfigText(text, '/ws/smoke-repair.yaml');
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.format()).join('\n'));
  return loaded;
}

function resolved(text: string, env: Record<string, string>): ResolvedSettings {
  const loaded = config(text);
  const r = resolveSettings(loaded.config.smoke, { file: loaded.file, text }, env);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.format()).join('\n'));
  return r.settings;
}

const TOKEN = 'tok-3f9a1c77e2';

describe('resolving ${env:NAME} in the smoke settings', () => {
  test('values come from the environment, whole or inside a text; credential values are secrets', () => {
    const s = resolved(
      'app: {}\nsmoke:\n  headers:\n    X-Tenant: acme\n    X-Trace: "run-${env:RUN_ID}"\n  query:\n    api-version: 2\n  auth:\n    bearer: "${env:API_TOKEN}"\n',
      { API_TOKEN: TOKEN, RUN_ID: '42' },
    );
    assert.deepEqual(s.headers, { 'x-tenant': 'acme', 'x-trace': 'run-42' });
    assert.deepEqual(s.query, { 'api-version': '2' });
    assert.deepEqual(s.credential, { kind: 'bearer', at: { in: 'header', name: 'authorization' }, value: TOKEN });
    // Values read from the environment are hidden; literal ones written in the file are not.
    assert.deepEqual(s.secrets.sort(), ['42', 'run-42', TOKEN].sort());
  });

  test('an unset variable is an error on its value, naming the variable', () => {
    const text = 'app: {}\nsmoke:\n  headers:\n    X-Tenant: "${env:TENANT}"\n  auth:\n    apiKey:\n      query: api_key\n      value: "${env:PETS_KEY}"\n';
    const loaded = config(text);
    const r = resolveSettings(loaded.config.smoke, { file: loaded.file, text }, {});
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.column, e.message]),
      [
        [4, 15, 'smoke.headers.X-Tenant: the environment variable TENANT is not set'],
        [8, 14, 'smoke.auth.apiKey.value: the environment variable PETS_KEY is not set'],
      ],
    );
    assert.match(r.errors[0].remedy ?? '', /set TENANT in the environment/);
  });

  test('a header value with a line break is refused, whatever the variable holds', () => {
    const text = 'app: {}\nsmoke:\n  auth: { bearer: "${env:T}" }\n';
    const loaded = config(text);
    const r = resolveSettings(loaded.config.smoke, { file: loaded.file, text }, { T: 'abc\r\nX-Evil: 1' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.errors[0].message, /^smoke\.auth\.bearer: the value holds a line break/);
  });

  test('the configuration file reports malformed references and conflicting settings on their line', () => {
    const bad = parseConfigText('app: {}\nsmoke:\n  headers:\n    Authorization: "Bearer ${env:TOKEN}"\n    X-A: "${env:1X}"\n  auth:\n    bearer: x\n', 'c.yaml');
    assert.equal(bad.ok, false);
    if (bad.ok) return;
    assert.deepEqual(
      bad.errors.map((e) => [e.line, e.message]),
      [
        [4, 'smoke.headers.Authorization: the Authorization header is also set by smoke.auth: keep one of the two'],
        [5, 'smoke.headers.X-A: "${env:1X}" does not name an environment variable: write ${env:NAME}, NAME made of letters, digits and _'],
      ],
    );
    const two = parseConfigText('app: {}\nsmoke:\n  auth:\n    apiKey: { header: X-Key, query: key, value: v }\n', 'c.yaml');
    assert.equal(two.ok, false);
    if (!two.ok) assert.equal(two.errors[0].message, 'smoke.auth.apiKey: give one place for the key, not header and query');
  });

  test('suppliedNames tells derivation only names and kinds', () => {
    const loaded = config('app: {}\nsmoke:\n  headers: { X-Tenant: "${env:T}" }\n  query: { v: 1 }\n  auth: { apiKey: { cookie: session, value: "${env:S}" } }\n');
    assert.deepEqual(suppliedNames(loaded.config.smoke), { auth: 'apiKey', authAt: { in: 'cookie', name: 'session' }, headers: ['x-tenant'], query: ['v'] });
  });
});

describe('RequestDecoration: what the runner adds at send time', () => {
  const request = (over: Partial<Parameters<typeof fillRequest>[0]> = {}) => fillRequest({ method: 'GET', path: '/heroes/{hero_id}', ...over }, { hero_id: 7 });

  test('configured headers and query parameters are added; the request\'s own win', () => {
    const d = new RequestDecoration({ headers: { 'x-tenant': 'acme', accept: 'application/json' }, query: { 'api-version': '2', lang: 'en' }, secrets: [] });
    const own = request({ headers: { Accept: 'text/plain' }, query: { lang: 'fr' } });
    const sent = d.decorate(own);
    assert.deepEqual(sent.headers, { 'x-tenant': 'acme', accept: 'text/plain' });
    assert.equal(sent.target, '/heroes/7?lang=fr&api-version=2');
    assert.equal(sent.path, '/heroes/7');
    assert.deepEqual(own.headers, { accept: 'text/plain' }, 'the filled request is not changed');
  });

  test('a bearer token goes in Authorization; basic credentials are encoded', () => {
    const bearer = new RequestDecoration({ headers: {}, query: {}, credential: { kind: 'bearer', at: { in: 'header', name: 'authorization' }, value: TOKEN }, secrets: [TOKEN] });
    assert.equal(bearer.decorate(request()).headers.authorization, `Bearer ${TOKEN}`);
    const s = resolved('app: {}\nsmoke:\n  auth: { basic: { username: ann, password: "${env:PW}" } }\n', { PW: 'pa:ss wörd' });
    const basic = new RequestDecoration(s).decorate(request());
    assert.equal(basic.headers.authorization, `Basic ${Buffer.from('ann:pa:ss wörd').toString('base64')}`);
  });

  test('an operation\'s apiKey scheme decides where the key goes for its scenarios; others use smoke.auth\'s place', () => {
    const settings: ResolvedSettings = { headers: { cookie: 'theme=dark' }, query: {}, credential: { kind: 'apiKey', at: { in: 'header', name: 'x-api-key' }, value: 'k-123456' }, secrets: ['k-123456'] };
    const d = new RequestDecoration(
      settings,
      new Map([
        ['list-pets', [{ in: 'query', name: 'api_key' }]],
        ['profile', [{ in: 'cookie', name: 'session' }]],
      ]),
    );
    const pets = d.decorate(request({ path: '/pets/' }), 'list-pets');
    assert.equal(pets.target, '/pets/?api_key=k-123456');
    assert.equal(pets.headers['x-api-key'], undefined);
    const profile = d.decorate(request({ path: '/me', headers: { Cookie: 'theme=light; lang=de' } }), 'profile');
    assert.equal(profile.headers.cookie, 'theme=light; session=k-123456; lang=de');
    const other = d.decorate(request(), 'health');
    assert.equal(other.headers['x-api-key'], 'k-123456');
    assert.equal(other.target, '/heroes/7');
  });

  test('an empty decoration gives the request back unchanged', () => {
    const r = request();
    assert.equal(RequestDecoration.none.decorate(r), r);
    assert.equal(RequestDecoration.none.isEmpty, true);
  });

  test('secrets are redacted as written, URL-encoded and form-encoded; they never serialise', () => {
    const secret = 'k/ey+with space&=1';
    const d = new RequestDecoration({ headers: {}, query: {}, credential: { kind: 'apiKey', at: { in: 'query', name: 'api_key' }, value: secret }, secrets: [secret, 'abc'] });
    const sent = d.decorate(request());
    const log = `GET ${sent.target} 200\nkey=${encodeURIComponent(secret)} raw=${secret} abc`;
    const clean = d.redact(log);
    assert.equal(clean, 'GET /heroes/7?api_key=[redacted] 200\nkey=[redacted] raw=[redacted] abc');
    assert.doesNotMatch(JSON.stringify({ d }), /with/);
    assert.doesNotMatch(inspect(d, { showHidden: true, depth: 5 }), /with/);
    assert.equal(JSON.stringify(d), '{"decoration":"API key in query api_key"}');
  });
});

describe('collecting scenarios with a decoration', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'smoke-decorate-'));
  after(() => rmSync(ws, { recursive: true, force: true }));
  copyFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'openapi', 'heroes.json'), path.join(ws, 'openapi.json'));

  async function collect(text: string, env: Record<string, string>) {
    writeFileSync(path.join(ws, 'smoke-repair.yaml'), text);
    const loaded = parseConfigText(text, path.join(ws, 'smoke-repair.yaml'));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.format()).join('\n'));
    return collectScenariosDetailed(loaded.config, { workspace: ws, configFile: 'smoke-repair.yaml', loaded, baseUrl: 'http://127.0.0.1:9', env });
  }

  const base = [
    'app: { baseUrl: "http://127.0.0.1:9" }',
    'openapi:',
    '  location: openapi.json',
    '  exclude: ["DELETE /heroes/{hero_id}"]',
    'smoke:',
    '  headers: { X-Request-ID: smoke-run }',
    '  auth: { bearer: "${env:HEROES_TOKEN}" }',
  ];

  test('scenarios hold no secret; the decoration carries the token; the unsatisfied list covers exclusions and missing credentials', async () => {
    const c = await collect(base.join('\n') + '\n', { HEROES_TOKEN: TOKEN });
    assert.doesNotMatch(JSON.stringify(c.scenarios), new RegExp(TOKEN));
    assert.doesNotMatch(JSON.stringify(c), new RegExp(TOKEN));
    const read = c.scenarios.find((s) => s.request.path === '/heroes/{hero_id}' && s.request.method === 'GET')!;
    const sent = c.decoration.decorate(fillRequest(read.request, { hero_id: 1 }), read.id);
    assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(sent.headers['x-request-id'], 'smoke-run');
    // The configured X-Request-ID header is not sampled into the search scenario.
    const search = c.scenarios.find((s) => s.request.path === '/search/')!;
    assert.deepEqual(search.request.headers, undefined);
    assert.deepEqual(
      c.unsatisfied.map((u) => `${u.method} ${u.path}: ${u.reason}`),
      [
        'DELETE /heroes/{hero_id}: left out by openapi.exclude ("DELETE /heroes/{hero_id}")',
        'GET /admin/stats: needs credentials: an API key in the header X-API-Key (security scheme "APIKeyHeader") (smoke.auth gives a bearer token); set smoke.auth: { apiKey: { header: X-API-Key, value: "${env:API_KEY}" } }',
      ],
    );
    assert.deepEqual(c.excluded, ['DELETE /heroes/{hero_id}']);
  });

  test('a file scenario covers an operation the derivation could not make, and takes its credential placement', async () => {
    const text = [
      ...base,
      'scenarios:',
      '  - name: admin stats',
      '    request: { method: GET, path: /admin/stats, headers: { X-API-Key: letmein-key } }',
      '  - name: delete hero 1',
      '    request: { method: DELETE, path: /heroes/1 }',
      '    expect: { status: [200, 404] }',
    ].join('\n');
    const c = await collect(text + '\n', { HEROES_TOKEN: TOKEN });
    assert.deepEqual(c.unsatisfied, []);
    const del = c.scenarios.find((s) => s.id === 'delete-hero-1')!;
    assert.equal(c.decoration.decorate(fillRequest(del.request, {}), del.id).headers.authorization, `Bearer ${TOKEN}`);
  });

  test('an unset variable stops the collection with a located configuration error', async () => {
    await assert.rejects(
      collect(base.join('\n') + '\n', {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.errors[0].line, 7);
        assert.equal(err.errors[0].message, 'smoke.auth.bearer: the environment variable HEROES_TOKEN is not set');
        return true;
      },
    );
  });
});
