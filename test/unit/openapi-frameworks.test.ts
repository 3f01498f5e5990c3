import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Scenario } from '../../server/src/engine/model';
import type { SuppliedNames } from '../../server/src/engine/smoke/decorate';
import { deriveScenarios, mergeScenarios, parseOpenApi, type DeriveOptions } from '../../server/src/engine/smoke/openapi';

/**
 * Derivation on documents in the shapes FastAPI (APIRouter prefixes, trailing slashes, HTTPBearer,
 * APIKeyHeader, SQLModel), flask-smorest, swagger-jsdoc (OpenAPI 3.0) and Swagger 2.0 write.
 */

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'openapi');

function derive(name: string, options: DeriveOptions = {}) {
  const file = `test/fixtures/openapi/${name}`;
  const parsed = parseOpenApi(readFileSync(path.join(dir, name), 'utf8'), file);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map((e) => e.format()).join('\n'));
  return deriveScenarios(parsed.doc, { file, ...options });
}

const bearer: SuppliedNames = { auth: 'bearer', authAt: { in: 'header', name: 'authorization' }, headers: [], query: [] };

const byOp = (list: Scenario[], op: string) => {
  const [method, p] = op.split(' ');
  const s = list.find((x) => x.source.kind === 'openapi' && x.request.method === method && x.source.pointer.endsWith(`/${p.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}`));
  assert.ok(s, `no scenario for ${op} in ${list.map((x) => `${x.request.method} ${x.request.path}`).join(', ')}`);
  return s;
};
const chainOf = (list: Scenario[], chain: string | undefined) =>
  list
    .filter((s) => s.chain === chain)
    .sort((a, b) => a.order - b.order)
    .map((s) => `${s.request.method} ${s.request.path}`);

describe('FastAPI: APIRouter prefixes, trailing slashes, HTTPBearer and APIKeyHeader', () => {
  test('a trailing-slash POST with the default 200 is the create its item routes follow', () => {
    const d = derive('heroes.json', { supplied: bearer });
    const create = byOp(d.scenarios, 'POST /heroes/');
    assert.deepEqual(create.save, { hero_id: 'id' });
    assert.deepEqual(create.expectStatus, [200]);
    assert.deepEqual(chainOf(d.scenarios, create.chain), ['POST /heroes/', 'GET /heroes/{hero_id}', 'PATCH /heroes/{hero_id}', 'DELETE /heroes/{hero_id}']);
    // SQLModel's table model: `id` is `anyOf: [integer, null]`, still the id.
    const team = byOp(d.scenarios, 'POST /teams/');
    assert.deepEqual(team.save, { team_id: 'id' });
    assert.deepEqual(team.request.body, { name: 'smoke-name', headquarters: 'smoke-headquarters' });
    assert.deepEqual(chainOf(d.scenarios, team.chain), ['POST /teams/', 'POST /teams/{team_id}/heroes/', 'GET /teams/{team_id}']);
    // The nested create of heroes does not take the heroes' own variable.
    assert.deepEqual(byOp(d.scenarios, 'POST /teams/{team_id}/heroes/').save, { team_hero_id: 'id' });
    assert.notEqual(create.chain, team.chain);
  });

  test('without credentials, every operation behind HTTPBearer or APIKeyHeader is listed with the scheme and the key to set', () => {
    const d = derive('heroes.json');
    assert.deepEqual(d.scenarios.map((s) => `${s.request.method} ${s.request.path}`).sort(), [
      'GET /health',
      'GET /reports/1',
      'GET /search/',
      'GET /teams/{team_id}',
      'POST /teams/',
      'POST /teams/{team_id}/heroes/',
    ]);
    const reasons = Object.fromEntries(d.unsatisfied.map((u) => [`${u.method} ${u.path}`, u.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['DELETE /heroes/{hero_id}', 'GET /admin/stats', 'GET /heroes/', 'GET /heroes/{hero_id}', 'PATCH /heroes/{hero_id}', 'POST /heroes/']);
    assert.equal(reasons['POST /heroes/'], 'needs credentials: an HTTP bearer token (security scheme "HTTPBearer"); set smoke.auth: { bearer: "${env:API_TOKEN}" }');
    assert.equal(
      reasons['GET /admin/stats'],
      'needs credentials: an API key in the header X-API-Key (security scheme "APIKeyHeader"); set smoke.auth: { apiKey: { header: X-API-Key, value: "${env:API_KEY}" } }',
    );
    assert.equal(d.scenarios.length + d.unsatisfied.length, d.operations.length);
  });

  test('a bearer token opens HTTPBearer operations but not the API key ones, which say what smoke.auth gives', () => {
    const d = derive('heroes.json', { supplied: bearer });
    assert.deepEqual(d.unsatisfied.map((u) => `${u.method} ${u.path}`), ['GET /admin/stats']);
    assert.match(d.unsatisfied[0].reason, /\(smoke\.auth gives a bearer token\)/);
    const read = d.operations.find((o) => o.method === 'GET' && o.path === '/heroes/{hero_id}')!;
    assert.deepEqual(read.credentialAt, [{ in: 'header', name: 'authorization' }]);
    assert.equal(d.operations.find((o) => o.path === '/health')!.credentialAt, undefined);
    // An API key, and no token: the admin route is open, the heroes are not.
    const key = derive('heroes.json', { supplied: { auth: 'apiKey', authAt: { in: 'header', name: 'x-key' }, headers: [], query: [] } });
    assert.deepEqual(key.operations.find((o) => o.path === '/admin/stats')!.credentialAt, [{ in: 'header', name: 'x-api-key' }]);
    assert.ok(key.unsatisfied.some((u) => u.path === '/heroes/' && /smoke\.auth gives an API key/.test(u.reason)));
    // An Authorization header in smoke.headers satisfies the bearer scheme too; the credential then goes nowhere special.
    const header = derive('heroes.json', { supplied: { headers: ['authorization'], query: [] } });
    assert.ok(header.scenarios.some((s) => s.request.path === '/heroes/{hero_id}'));
    assert.equal(header.operations.find((o) => o.path === '/heroes/')!.credentialAt, undefined);
  });

  test('required query parameters and headers get values, marked invented; configured ones are left to the configuration', () => {
    const d = derive('heroes.json');
    const search = byOp(d.scenarios, 'GET /search/');
    assert.deepEqual(search.request.query, { q: 'smoke-q' });
    assert.deepEqual(search.request.headers, { 'x-request-id': 'smoke-x-request-id' });
    assert.deepEqual(search.expectStatus, [200], 'made-up query values do not make a 404 acceptable');
    assert.deepEqual(d.operations.find((o) => o.scenarioId === search.id)!.invented, ['query q', 'header x-request-id']);
    const configured = derive('heroes.json', { supplied: { headers: ['x-request-id'], query: ['q'] } });
    const s = byOp(configured.scenarios, 'GET /search/');
    assert.equal(s.request.headers, undefined);
    assert.equal(s.request.query, undefined);
  });

  test('a path parameter nothing creates gets a sampled value, and 404 is accepted for it', () => {
    const d = derive('heroes.json');
    const report = byOp(d.scenarios, 'GET /reports/{report_id}');
    assert.equal(report.request.path, '/reports/1');
    assert.deepEqual(report.expectStatus, [200, 404]);
    assert.equal(report.name, 'Read Report (GET /reports/{report_id}; report_id invented)');
  });
});

describe('id naming styles and where the new id is in the response', () => {
  /** A create at /heroes/ and the operations that name its id in one style. */
  function styled(param: string, responseProps: Record<string, unknown>, bodyProp = 'hero_id') {
    const text = JSON.stringify({
      openapi: '3.1.0',
      paths: {
        '/heroes/': {
          post: {
            requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } } },
            responses: { '200': { content: { 'application/json': { schema: { type: 'object', properties: responseProps } } } } },
          },
        },
        [`/heroes/{${param}}`]: { get: { parameters: [{ name: param, in: 'path', required: true, schema: { type: 'integer' } }], responses: { '200': {} } } },
        '/missions/': {
          post: {
            requestBody: { content: { 'application/json': { schema: { type: 'object', required: [bodyProp], properties: { [bodyProp]: { type: 'integer' } } } } } },
            responses: { '201': {} },
          },
        },
      },
    });
    const parsed = parseOpenApi(text, 'styled.json');
    assert.ok(parsed.ok);
    return deriveScenarios(parsed.doc);
  }

  for (const [param, variable] of [
    ['hero_id', 'hero_id'],
    // The document's own name stays (paths read as written); a bare `id` is named for the resource.
    ['heroId', 'heroId'],
    ['id', 'hero_id'],
    ['HeroID', 'HeroID'],
  ] as const) {
    test(`{${param}} under /heroes/ is filled from POST /heroes/`, () => {
      const d = styled(param, { id: { type: 'integer' }, name: { type: 'string' } });
      const create = d.scenarios.find((s) => s.request.method === 'POST' && s.request.path === '/heroes/')!;
      assert.deepEqual(create.save, { [variable]: 'id' });
      const read = d.scenarios.find((s) => s.request.method === 'GET')!;
      assert.equal(read.request.path, `/heroes/{${variable}}`);
      assert.equal(read.chain, create.chain);
      assert.deepEqual(read.expectStatus, [200]);
      assert.deepEqual(d.unsatisfied, []);
    });
  }

  test('a body property in camelCase or snake_case names the same id', () => {
    for (const prop of ['heroId', 'hero_id', 'hero_uuid']) {
      const d = styled('hero_id', { id: { type: 'integer' } }, prop);
      const mission = d.scenarios.find((s) => s.request.path === '/missions/')!;
      assert.deepEqual(mission.request.body, { [prop]: '{hero_id}' }, prop);
      assert.ok(mission.chain, prop);
    }
  });

  test('the id is found as <resource>_id, uuid, _id, or inside an envelope', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ hero_id: { type: 'integer' }, team_id: { type: 'integer' } }, 'hero_id'],
      [{ heroId: { type: 'integer' }, name: { type: 'string' } }, 'heroId'],
      [{ uuid: { type: 'string', format: 'uuid' }, owner_id: { type: 'integer' } }, 'uuid'],
      [{ _id: { type: 'string' }, __v: { type: 'integer' } }, '_id'],
      [{ data: { type: 'object', properties: { id: { type: 'integer' } } }, meta: { type: 'object' } }, 'data.id'],
      [{ success: { type: 'boolean' }, hero: { type: 'object', properties: { hero_id: { type: 'integer' } } } }, 'hero.hero_id'],
      [{ id: { anyOf: [{ type: 'integer' }, { type: 'null' }] } }, 'id'],
    ];
    for (const [props, want] of cases) {
      const d = styled('other', props);
      const create = d.scenarios.find((s) => s.request.path === '/heroes/')!;
      assert.deepEqual(Object.values(create.save ?? {}), [want], JSON.stringify(props));
    }
  });
});

describe('made-up parent ids', () => {
  test('a create under a parent nothing creates saves nothing, and what follows takes made-up values too', () => {
    const text = JSON.stringify({
      openapi: '3.0.3',
      paths: {
        '/users/{user_id}/notes/': {
          post: {
            parameters: [{ name: 'user_id', in: 'path', required: true, schema: { type: 'integer' } }],
            requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } } } },
            responses: { '201': { content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'integer' } } } } } } },
          },
        },
        '/users/{user_id}/notes/{note_id}': {
          parameters: [
            { name: 'user_id', in: 'path', required: true, schema: { type: 'integer' } },
            { name: 'note_id', in: 'path', required: true, schema: { type: 'integer' } },
          ],
          get: { responses: { '200': {} } },
        },
      },
    });
    const parsed = parseOpenApi(text, 'notes.json');
    assert.ok(parsed.ok);
    const d = deriveScenarios(parsed.doc);
    const [create, read] = d.scenarios;
    assert.equal(create.save, undefined);
    assert.deepEqual(create.expectStatus, [201, 404]);
    assert.equal(read.request.path, '/users/1/notes/1');
    assert.deepEqual(read.expectStatus, [200, 404]);
    assert.equal(read.name, 'GET /users/{user_id}/notes/{note_id}; user_id invented, note_id invented');
    assert.equal(create.chain ?? read.chain, undefined);
  });
});

describe('flask-smorest: blueprints with url_prefix, a global API key in the query', () => {
  const apiKey: SuppliedNames = { auth: 'apiKey', authAt: { in: 'header', name: 'x-api-key' }, headers: [], query: [] };

  test('the global scheme puts the key in the query parameter the document names; a public route keeps no placement', () => {
    const d = derive('pets_smorest.yaml', { supplied: apiKey });
    for (const o of d.operations) {
      if (o.path === '/health') assert.equal(o.credentialAt, undefined);
      else assert.deepEqual(o.credentialAt, [{ in: 'query', name: 'api_key' }], `${o.method} ${o.path}`);
    }
    assert.deepEqual(d.unsatisfied.map((u) => [`${u.method} ${u.path}`, u.reason]), [
      ['PUT /pets/{pet_id}/photo', 'the request body must be multipart/form-data; only JSON, URL-encoded form and plain-text bodies are made'],
    ]);
  });

  test('owners then pets: the pet body names the owner, the pet id is its uuid, If-Match is invented', () => {
    const d = derive('pets_smorest.yaml', { supplied: apiKey });
    const owner = byOp(d.scenarios, 'POST /owners/');
    assert.deepEqual(owner.save, { owner_id: 'owner_id' });
    assert.deepEqual(owner.expectStatus, [201]);
    const pet = byOp(d.scenarios, 'POST /pets/');
    assert.deepEqual(pet.request.body, { name: 'smoke-name', owner_id: '{owner_id}', species: 'cat' });
    assert.deepEqual(pet.save, { pet_id: 'uuid' });
    assert.deepEqual(chainOf(d.scenarios, owner.chain), [
      'POST /owners/',
      'POST /pets/',
      'GET /owners/{owner_id}',
      'GET /owners/{owner_id}/pets/',
      'GET /pets/{pet_id}',
      'PUT /pets/{pet_id}',
      'DELETE /pets/{pet_id}',
    ]);
    const put = byOp(d.scenarios, 'PUT /pets/{pet_id}');
    assert.deepEqual(put.request.headers, { 'If-Match': 'smoke-if-match' });
    assert.deepEqual(d.operations.find((o) => o.scenarioId === put.id)!.invented, ['header If-Match']);
  });

  test('an enum path parameter names a value that exists: no 404 accepted, nothing invented', () => {
    const d = derive('pets_smorest.yaml', { supplied: apiKey });
    const species = byOp(d.scenarios, 'GET /species/{species_name}');
    assert.equal(species.request.path, '/species/cat');
    assert.deepEqual(species.expectStatus, [200]);
    assert.equal(species.name, 'GET /species/{species_name}');
  });

  test('without a key, every protected operation names the query parameter to fill', () => {
    const d = derive('pets_smorest.yaml');
    assert.deepEqual(d.scenarios.map((s) => s.request.path), ['/health']);
    assert.equal(d.unsatisfied.length, 10);
    for (const u of d.unsatisfied) assert.match(u.reason, /an API key in the query parameter api_key \(security scheme "ApiKeyAuth"\); set smoke\.auth: \{ apiKey: \{ query: api_key/);
    // A configured query parameter of that name opens them.
    const configured = derive('pets_smorest.yaml', { supplied: { headers: [], query: ['api_key'] } });
    assert.equal(configured.unsatisfied.length, 1);
  });
});

describe('Express with swagger-jsdoc (OpenAPI 3.0): servers, a global bearer scheme, envelopes', () => {
  test('the server path prefixes every request, once', () => {
    const d = derive('todos_express.json', { supplied: bearer, basePath: '/' });
    assert.ok(d.scenarios.every((s) => s.request.path.startsWith('/api/v1/')), d.scenarios.map((s) => s.request.path).join(', '));
    const already = derive('todos_express.json', { supplied: bearer, basePath: '/api/v1/' });
    assert.ok(already.scenarios.every((s) => !s.request.path.startsWith('/api/v1/')));
  });

  test('the id of {"success": true, "data": {...}} is data.id, and {id} under /todos is the todo', () => {
    const d = derive('todos_express.json', { supplied: bearer });
    const create = byOp(d.scenarios, 'POST /todos');
    assert.deepEqual(create.save, { todo_id: 'data.id' });
    assert.deepEqual(chainOf(d.scenarios, create.chain), [
      'POST /api/v1/todos',
      'GET /api/v1/todos/{todo_id}',
      'PUT /api/v1/todos/{todo_id}',
      'POST /api/v1/todos/{todo_id}/complete',
      'DELETE /api/v1/todos/{todo_id}',
    ]);
  });

  test('public login, invented user ids with an enum query, and operations that cannot be made', () => {
    const d = derive('todos_express.json', { supplied: bearer });
    const login = byOp(d.scenarios, 'POST /auth/login');
    assert.equal(d.operations.find((o) => o.scenarioId === login.id)!.credentialAt, undefined);
    const mine = byOp(d.scenarios, 'GET /users/{userId}/todos');
    assert.equal(mine.request.path, '/api/v1/users/00000000/todos', 'the sample fits the pattern ^[0-9a-f]{8}$');
    assert.deepEqual(mine.request.query, { status: 'open' });
    assert.deepEqual(mine.expectStatus, [200, 404]);
    assert.deepEqual(
      d.unsatisfied.map((u) => `${u.method} ${u.path}: ${u.reason}`),
      [
        'GET /api/v1/stats: needs credentials: an API key in the header X-API-Key (security scheme "apiKeyAuth") (smoke.auth gives a bearer token); set smoke.auth: { apiKey: { header: X-API-Key, value: "${env:API_KEY}" } }',
        'POST /api/v1/attachments: the request body must be multipart/form-data; only JSON, URL-encoded form and plain-text bodies are made',
      ],
    );
  });
});

describe('Swagger 2.0 (swagger-jsdoc for an Express + Mongoose app)', () => {
  test('read as OpenAPI 3: basePath, body parameters, Mongo _id, a JWT as an apiKey named Authorization', () => {
    const d = derive('bookmarks_swagger2.yaml', { supplied: bearer });
    const create = byOp(d.scenarios, 'POST /bookmarks');
    assert.equal(create.request.path, '/api/bookmarks');
    assert.deepEqual(create.request.body, { url: 'https://example.com/', title: 'smoke-title' });
    assert.deepEqual(create.save, { bookmarkId: '_id' });
    assert.deepEqual(create.expectStatus, [201]);
    assert.deepEqual(chainOf(d.scenarios, create.chain), ['POST /api/bookmarks', 'GET /api/bookmarks/{bookmarkId}', 'PUT /api/bookmarks/{bookmarkId}', 'DELETE /api/bookmarks/{bookmarkId}']);
    assert.deepEqual(d.operations.find((o) => o.scenarioId === create.id)!.credentialAt, [{ in: 'header', name: 'authorization' }]);
    // Sources point into the 2.0 text as written.
    const text = readFileSync(path.join(dir, 'bookmarks_swagger2.yaml'), 'utf8').split('\n');
    assert.equal(create.source.kind === 'openapi' && text[create.source.line! - 1].trim(), 'post:');
    assert.equal(create.source.kind === 'openapi' && create.source.pointer, '#/paths/~1bookmarks/post');
  });

  test('formData makes a URL-encoded form or, with a file, an operation that cannot be made', () => {
    const d = derive('bookmarks_swagger2.yaml', { supplied: bearer });
    const login = byOp(d.scenarios, 'POST /login');
    assert.equal(login.request.body, 'username=smoke-username&password=Smoke-Passw0rd');
    assert.deepEqual(login.request.headers, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual(d.unsatisfied.map((u) => `${u.method} ${u.path}`), ['POST /api/bookmarks/import']);
  });

  test('x-example fills a path parameter; a value nobody created may answer 404', () => {
    const tag = byOp(derive('bookmarks_swagger2.yaml', { supplied: bearer }).scenarios, 'GET /tags/{tag}');
    assert.equal(tag.request.path, '/api/tags/javascript');
    assert.deepEqual(tag.expectStatus, [200, 404]);
    assert.equal(tag.name, 'Bookmarks with a tag (GET /api/tags/{tag}; tag from the document)');
  });

  test('without a token, the reason says to give a bearer token', () => {
    const d = derive('bookmarks_swagger2.yaml');
    const u = d.unsatisfied.find((x) => x.path === '/api/bookmarks' && x.method === 'POST')!;
    assert.match(u.reason, /^needs credentials: a token in the Authorization header \(security scheme "Bearer"\); set smoke\.auth: \{ bearer:/);
  });

  test('a broken 2.0 document is reported where it breaks', () => {
    const parsed = parseOpenApi('swagger: "2.0"\ninfo: { title: t }\npaths:\n  /a:\n    get:\n      parameters:\n        - { name: x, in: somewhere }\n', 'old.yaml');
    assert.equal(parsed.ok, false);
    if (parsed.ok) return;
    assert.equal(parsed.errors[0].line, 7);
    assert.match(parsed.errors[0].message, /^not a usable Swagger 2\.0 document: paths\.\/a\.get\.parameters\[0\]/);
  });
});

describe('file scenarios stand in for the operation they exercise', () => {
  test('a concrete path or one without the trailing slash replaces the derived scenario', () => {
    const d = derive('heroes.json', { supplied: bearer });
    const file = (name: string, method: string, p: string): Scenario => ({
      id: name,
      name,
      request: { method, path: p },
      expectStatus: [200],
      order: 0,
      source: { kind: 'file', file: 'smoke-repair.yaml', line: 1 },
    });
    const report = file('report seven', 'GET', '/reports/7');
    const create = file('my hero', 'POST', '/heroes');
    const { scenarios, replacedBy } = mergeScenarios([report, create], d);
    assert.equal(replacedBy.get(byOp(d.scenarios, 'GET /reports/{report_id}').id), report);
    assert.equal(replacedBy.get(byOp(d.scenarios, 'POST /heroes/').id), create);
    assert.equal(scenarios.length, d.scenarios.length);
    assert.equal(create.chain, byOp(d.scenarios, 'POST /heroes/').chain, 'the file create takes the derived chain and its save');
    assert.deepEqual(create.save, { hero_id: 'id' });
    // The most literal template wins: /heroes/search would fit /heroes/{hero_id} too.
    assert.equal(mergeScenarios([file('s', 'GET', '/search')], d).replacedBy.get(byOp(d.scenarios, 'GET /search/').id)?.id, 's');
  });
});
