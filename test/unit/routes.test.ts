import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../../server/src/engine/config/schema';
import { findHandler, findRoute, findServedEntry, loadRouteTable, looksLikeValue, matchSegments, normaliseRoutePath, routeAlternatives, scanRoutes, scanWorkspaceRoutes } from '../../server/src/engine/routes';
import { FIXTURES, folderReader, memoryReader } from './routing-helpers';

test('path templates of every framework normalise alike', () => {
  assert.equal(normaliseRoutePath('/carts/{cart_id}/items'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/carts/:cartId/items/'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/carts/<int:cart_id>/items'), '/carts/{}/items');
  assert.equal(normaliseRoutePath('/'), '/');
});

const carts = `from fastapi import APIRouter, status

router = APIRouter(prefix="/carts", tags=["carts"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_cart(db=None):
    return {}


@router.post(
    "/{cart_id}/items", status_code=201)
async def add_item(cart_id: int):
    return {}

@router.get("/{cart_id}")
def get_cart(cart_id: int):
    ...
`;

test('FastAPI decorators with a router prefix point at the def line', () => {
  const routes = scanRoutes('app/routers/carts.py', carts);
  const create = findHandler(routes, 'POST', '/carts');
  assert.deepEqual(create?.location, { file: 'app/routers/carts.py', line: 7, column: 1 });
  const get = findHandler(routes, 'get', '/carts/{cart_id}');
  assert.equal(get?.location.line, 17);
  assert.equal(findHandler(routes, 'DELETE', '/carts/{cart_id}'), undefined);
});

test('Express routes mounted elsewhere match by path suffix', () => {
  const text = `const router = express.Router();\nrouter.get('/', list);\nrouter.post('/:listId/todos', (req, res) => {\n  res.json({});\n});\n`;
  const routes = scanRoutes('src/routes/lists.js', text);
  assert.deepEqual(findHandler(routes, 'POST', '/lists/{list_id}/todos')?.location, { file: 'src/routes/lists.js', line: 3, column: 1 });
  assert.equal(findHandler(routes, 'POST', '/lists/{list_id}/labels'), undefined);
});

test('the exact prefixed route beats a shorter suffix match', () => {
  const a = scanRoutes('a.py', 'router = APIRouter(prefix="/orders")\n@router.post("/{id}/pay")\ndef pay(id): ...\n');
  const b = scanRoutes('b.py', '@app.post("/pay")\ndef pay(): ...\n');
  assert.equal(findHandler([...b, ...a], 'POST', '/orders/{order_id}/pay')?.location.file, 'a.py');
});

test('a router with no prefix that is never mounted is found by its file name', () => {
  const routes = scanRoutes('src/routes/tags.js', "const router = express.Router();\nrouter.post('/', (req, res) => res.status(201).json({}));\nrouter.get('/', list);\n");
  assert.equal(findHandler(routes, 'POST', '/tags')?.location.line, 2);
  assert.equal(findHandler(routes, 'GET', '/tags')?.location.line, 3);
  assert.equal(findHandler(routes, 'GET', '/labels'), undefined);
});

// ---------------------------------------------------------------- path patterns of each framework

test('route literals of every framework: parameters, catch-alls and optional parts', () => {
  assert.deepEqual(routeAlternatives('/{item_id}/files/{rest:path}', 'fastapi'), ['/{}/files/*']);
  assert.deepEqual(routeAlternatives('/<int:book_id>/loans/', 'flask'), ['/{}/loans']);
  assert.deepEqual(routeAlternatives('/static/<path:filename>', 'flask'), ['/static/*']);
  assert.deepEqual(routeAlternatives('/:id?', 'express'), ['/{}', '/']);
  assert.deepEqual(routeAlternatives('/:cardId{.:format}', 'express'), ['/{}']);
  assert.deepEqual(routeAlternatives('/users{/:id}/avatar', 'express'), ['/users/{}/avatar', '/users/avatar']);
  assert.deepEqual(routeAlternatives('/files/*filepath', 'express'), ['/files/*']);
  assert.deepEqual(routeAlternatives('/{*splat}', 'express'), ['/*', '/']);
  assert.deepEqual(routeAlternatives('/orders/:orderId(\\d+)', 'express'), ['/orders/{}']);
});

test('a declared parameter takes a value or a template variable; literal text never takes a variable', () => {
  assert.ok(matchSegments(['tags', '{}'], ['tags', 'docs']) !== undefined);
  assert.ok(matchSegments(['tags', '{}'], ['tags', '{}']) !== undefined);
  assert.equal(matchSegments(['users', 'me'], ['users', '{}']), undefined);
  assert.equal(matchSegments(['files', '*'], ['files']), undefined);
  assert.ok(matchSegments(['files', '*'], ['files', 'a', 'b.txt']) !== undefined);
  // Literal agreement says more than a parameter taking a value.
  assert.ok(matchSegments(['users', 'me'], ['users', 'me'])! > matchSegments(['users', '{}'], ['users', 'me'])!);
  for (const value of ['42', '3f2b8c1e-9d4a-4b6e-8f00-1c2d3e4f5a6b', 'ada@example.org', '2026-01-31', 'SKU-1042', '5f1d7c0a9b3e']) assert.ok(looksLikeValue(value), value);
  for (const word of ['users', 'v1', 'oauth2', 'me', 'comments', 'api']) assert.ok(!looksLikeValue(word), word);
});

// ---------------------------------------------------------------- workspaces in each framework's style

const LIB = path.join(FIXTURES, 'express4-library');
const BOARDS = path.join(FIXTURES, 'express5-boards');
const SERVED = path.join(FIXTURES, 'fastapi-served');
const SHELF = path.join(FIXTURES, 'flask-shelf');

async function handlerOf(dir: string, method: string, requestPath: string, config: Record<string, unknown> = {}, hide?: RegExp): Promise<string | undefined> {
  const reader = await folderReader(dir, hide);
  const routes = await scanWorkspaceRoutes(dir, reader.files, configSchema.parse({ app: config }));
  const h = findHandler(routes, method, requestPath);
  return h && `${h.location.file}:${h.location.line}`;
}

test('Express 4: .route() chains over several lines, require() in use(), a prefix from a config module, a router re-exported by routes/index.js, nested mergeParams routers', async () => {
  const cases: Array<[string, string, string]> = [
    ['GET', '/books', 'routes/books.js:7'],
    ['POST', '/books', 'routes/books.js:10'],
    ['GET', '/books/{book_id}', 'routes/books.js:20'],
    ['PUT', '/books/{book_id}', 'routes/books.js:25'],
    ['DELETE', '/books/{book_id}', 'routes/books.js:30'],
    ['GET', '/books/{book_id}/reviews', 'routes/reviews.js:6'],
    ['GET', '/books/{book_id}/reviews/{review_id}', 'routes/reviews.js:10'],
    ['GET', '/api/v1/authors/{author_id}', 'routes/authors.js:5'],
    ['POST', '/api/v1/authors', 'routes/authors.js:11'],
    ['GET', '/', 'app.js:14'],
  ];
  for (const [method, p, where] of cases) assert.equal(await handlerOf(LIB, method, p), where, `${method} ${p}`);
  // Declared nowhere: no place rather than a near one.
  assert.equal(await handlerOf(LIB, 'PATCH', '/books/{book_id}'), undefined);
  assert.equal(await handlerOf(LIB, 'GET', '/authors/{author_id}'), undefined, 'the authors router answers under /api/v1 only');

  const table = await loadRouteTable(await folderReader(LIB));
  assert.match(table.entryNote, /scripts\.start: node \.\/bin\/www serves app\.js:6/);
  const reviews = table.routes.find((r) => r.site.file === 'routes/reviews.js' && r.site.literal === '/:reviewId')!;
  assert.deepEqual(reviews.fullPaths, ['/books/{}/reviews/{}']);
  assert.equal(reviews.router?.mergeParams, true);
});

test('Express 5 ES modules loaded with import() in a loop: the mount is computed, so routes match by their own path and module name, never a wrong file', async () => {
  const table = await loadRouteTable(await folderReader(BOARDS));
  const cards = table.routes.filter((r) => r.site.file === 'src/routes/cards.js');
  assert.ok(cards.every((r) => r.mounted && r.fullPaths.length === 0 && r.dynamicMounts.includes('src/app.js:20')), JSON.stringify(cards.map((r) => r.dynamicMounts)));
  const cases: Array<[string, string, string | undefined]> = [
    ['GET', '/boards', 'src/routes/boards.js:6'],
    ['POST', '/boards', 'src/routes/boards.js:10'],
    ['GET', '/boards/{board_id}', 'src/routes/boards.js:16'],
    ['GET', '/boards/{board_id}/cards', 'src/routes/cards.js:6'],
    ['POST', '/boards/{board_id}/cards', 'src/routes/cards.js:10'],
    ['GET', '/boards/{board_id}/cards/{card_id}', 'src/routes/cards.js:16'],
    ['GET', '/admin/stats', 'src/admin/index.js:5'],
    ['GET', '/admin/files/docs/readme.md', 'src/admin/index.js:6'],
    ['GET', '/healthz', 'src/app.js:13'],
    // Nothing names these: a module's root route does not answer every path.
    ['GET', '/widgets', undefined],
    ['POST', '/teams/{team_id}/members', undefined],
    ['GET', '/boards/{board_id}/crads', undefined],
  ];
  for (const [method, p, where] of cases) assert.equal(await handlerOf(BOARDS, method, p), where, `${method} ${p}`);
});

test('FastAPI: the module the run command serves decides between main.py and alt_main.py', async () => {
  const uvicorn = { process: { command: 'uvicorn sql_app.main:app --reload --port 8000' } };
  assert.equal(await handlerOf(SERVED, 'POST', '/users/', uvicorn), 'sql_app/main.py:12');
  const alt = { process: { command: 'gunicorn -k uvicorn.workers.UvicornWorker -w 2 sql_app.alt_main:app' } };
  assert.equal(await handlerOf(SERVED, 'POST', '/users/', alt), 'sql_app/alt_main.py:19');
  // Docker: the image's CMD (gunicorn with the uvicorn worker) names main.
  assert.equal(await handlerOf(SERVED, 'GET', '/users/{user_id}', { docker: { service: 'api' } }), 'sql_app/main.py:22');
  // Nothing says which app runs: two declarations, no answer.
  assert.equal(await handlerOf(SERVED, 'POST', '/users/', {}, /Dockerfile|compose/), undefined);
  // APIRouter(prefix=..., tags=..., dependencies=[...]) included with prefix=settings.API_PREFIX; trailing-slash routes.
  assert.equal(await handlerOf(SERVED, 'POST', '/api/v1/items/', uvicorn), 'sql_app/routers/items.py:23');
  assert.equal(await handlerOf(SERVED, 'GET', '/api/v1/items/{item_id}', uvicorn), 'sql_app/routers/items.py:28');
  assert.equal(await handlerOf(SERVED, 'GET', '/items/{item_id}', alt), 'sql_app/routers/items.py:28');
});

test('Flask: blueprints registered with url_prefix inside create_app(), Blueprint(url_prefix=...), converters, methods=(...)', async () => {
  const cfg = { process: { command: 'flask run --port 5001', env: { FLASK_APP: 'shelf:create_app' } } };
  const cases: Array<[string, string, string]> = [
    ['POST', '/api/books/', 'shelf/books.py:12'],
    ['GET', '/api/books/{book_id}', 'shelf/books.py:20'],
    ['GET', '/api/books/7', 'shelf/books.py:20'],
    ['POST', '/api/books/{book_id}/loans', 'shelf/books.py:28'],
    ['POST', '/members/', 'shelf/members.py:9'],
    ['GET', '/members/{name}/card', 'shelf/members.py:18'],
    ['GET', '/health', 'shelf/__init__.py:18'],
  ];
  for (const [method, p, where] of cases) assert.equal(await handlerOf(SHELF, method, p, cfg), where, `${method} ${p}`);
  const table = await loadRouteTable(await folderReader(SHELF), configSchema.parse({ app: cfg }));
  assert.match(table.entryNote, /FLASK_APP=shelf:create_app.*serves shelf\/__init__\.py:7/);
});

// ---------------------------------------------------------------- the served module, from how the app is run

test('the served module is read from every way of running an app', async () => {
  const ws = memoryReader({
    'sql_app/__init__.py': '',
    'sql_app/main.py': 'app = FastAPI()\n',
    'sql_app/alt_main.py': 'app = FastAPI()\n',
    'notes/__init__.py': 'def create_app():\n    app = Flask(__name__)\n    return app\n',
    'wsgi.py': 'from notes import create_app\napp = create_app()\n',
    'bin/www': '#!/usr/bin/env node\nrequire("../app");\n',
    'app.js': 'const app = express();\nmodule.exports = app;\n',
    'src/server.js': "import { app } from './app.js';\n",
    'src/app.js': 'export const app = express();\n',
    'package.json': JSON.stringify({ scripts: { start: 'node ./bin/www', dev: 'nodemon src/server.js' } }),
    'api/package.json': JSON.stringify({ scripts: { start: 'NODE_ENV=production node src/server.js' } }),
    'api/src/server.js': '',
    'Procfile': 'web: gunicorn wsgi:app --log-file -\n',
  });
  const entry = async (app: Record<string, unknown>) => (await findServedEntry(configSchema.parse({ app }), ws))?.files.join(',');
  const proc = (command: string, extra: Record<string, unknown> = {}) => ({ process: { command, ...extra } });
  assert.equal(await entry(proc('uvicorn sql_app.main:app --host 0.0.0.0')), 'sql_app/main.py');
  assert.equal(await entry(proc('python -m uvicorn --port 8001 sql_app.alt_main:app')), 'sql_app/alt_main.py');
  assert.equal(await entry(proc('gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:80 sql_app.main:app')), 'sql_app/main.py');
  assert.equal(await entry(proc("gunicorn 'notes:create_app()'")), 'notes/__init__.py');
  assert.equal(await entry(proc('flask --app notes run --debug')), 'notes/__init__.py');
  assert.equal(await entry(proc('python -m flask run', { env: { FLASK_APP: 'wsgi.py' } })), 'wsgi.py');
  assert.equal(await entry(proc('FLASK_APP=notes flask run')), 'notes/__init__.py');
  assert.equal(await entry(proc('flask run')), 'wsgi.py', "flask's default: wsgi.py, then app.py");
  assert.equal(await entry(proc('node ./bin/www')), 'bin/www');
  assert.equal(await entry(proc('npm start')), 'bin/www');
  assert.equal(await entry(proc('npm run dev')), 'src/server.js');
  assert.equal(await entry(proc('npm start', { cwd: 'api' })), 'api/src/server.js');
  assert.equal(await entry(proc('sh -c "alembic upgrade head && exec uvicorn sql_app.main:app"')), 'sql_app/main.py');
  assert.equal(await entry(proc('poetry run uvicorn sql_app.alt_main:app')), 'sql_app/alt_main.py');
  assert.equal(await entry({}), 'wsgi.py', 'no run command: the Procfile');
  assert.equal(await entry(proc('make run')), undefined, 'a command that names no module says nothing');
  assert.equal(await entry(proc('gunicorn --chdir . wsgi')), 'wsgi.py', "gunicorn's bare module");

  const compose = memoryReader({
    'docker-compose.yml': 'services:\n  db:\n    image: postgres:16\n  api:\n    build: ./backend\n    command: ["uvicorn", "app.main:app", "--host", "0.0.0.0"]\n  web:\n    build:\n      context: ./frontend\n',
    'backend/app/main.py': 'app = FastAPI()\n',
    'backend/app/alt.py': 'app = FastAPI()\n',
    'frontend/Dockerfile': 'FROM node:20\nWORKDIR /srv\nCOPY . .\nCMD ["node", "server.js"]\n',
    'frontend/server.js': '',
    'Dockerfile': 'FROM python:3.12\nENV FLASK_APP=legacy\nCMD flask run\n',
    'legacy.py': 'app = Flask(__name__)\n',
  });
  const dockerEntry = async (docker: Record<string, unknown>) => (await findServedEntry(configSchema.parse({ app: { docker } }), compose))?.files.join(',');
  assert.equal(await dockerEntry({ service: 'api' }), 'backend/app/main.py', 'the compose command');
  assert.equal(await dockerEntry({ service: 'web' }), 'frontend/server.js', "the service's Dockerfile CMD");
  assert.equal(await dockerEntry({ container: 'shop-api-1' }), 'backend/app/main.py', "compose's container name names the service");
  assert.equal(await dockerEntry({ container: 'legacy-1' }), undefined, 'two services are built here and the container names neither: unknown');
  const wrapped = memoryReader({
    'Dockerfile': 'FROM python:3.12\nCOPY docker-entrypoint.sh /\nENTRYPOINT ["/docker-entrypoint.sh"]\nCMD ["hypercorn", "--bind", "0.0.0.0:80", "sql_app.main:app"]\n',
    'docker-entrypoint.sh': '#!/bin/sh\nset -e\nexec "$@"\n',
    'sql_app/main.py': '',
  });
  assert.equal((await findServedEntry(configSchema.parse({ app: { docker: { container: 'x' } } }), wrapped))?.files.join(','), 'sql_app/main.py', 'an entrypoint script runs the CMD');
  const plain = memoryReader({ Dockerfile: 'FROM python:3.12\nENV FLASK_APP=legacy PORT=5000\nCMD python3 -m flask run --port ${PORT}\n', 'legacy.py': '' });
  assert.equal((await findServedEntry(configSchema.parse({ app: { docker: { container: 'x' } } }), plain))?.files.join(','), 'legacy.py', 'the Dockerfile ENV FLASK_APP');
});

test('Express idioms: app = module.exports = express(), a prefix held in a constant of another module, routers imported under other names and re-exported', async () => {
  const ws = memoryReader({
    'package.json': JSON.stringify({ main: 'server.js', scripts: { start: 'node .' } }),
    'server.js': "var app = module.exports = require('express')();\nvar { API_PREFIX } = require('./settings');\nvar routes = require('./routes/index.js');\n\napp.use(API_PREFIX, routes.users);\napp.use(`${API_PREFIX}/orgs`, routes.orgs);\n",
    'settings.js': "exports.API_PREFIX = '/api';\nexport const UNUSED = 'x';\n",
    'routes/index.js': "export { router as users } from './users.js';\nexport { default as orgs } from './orgs.js';\n",
    'routes/users.js': "import express from 'express';\nexport const router = express.Router();\nrouter.get('/users/:id', (req, res) => res.json({}));\n",
    'routes/orgs.js': "import { Router } from 'express';\nconst orgs = Router();\norgs.delete('/:orgId', (req, res) => res.sendStatus(204));\nexport default orgs;\n",
  });
  const table = await loadRouteTable(ws);
  assert.match(table.entryNote, /node \. .*serves server\.js:1/);
  const at = (method: string, p: string) => {
    const m = findRoute(table.routes, method, p);
    return m.best && `${m.best.how} ${m.best.item.site.file}:${m.best.item.site.line}`;
  };
  assert.equal(at('GET', '/api/users/{id}'), 'full routes/users.js:3');
  assert.equal(at('DELETE', '/api/orgs/{org_id}'), 'full routes/orgs.js:3');
  assert.equal(at('GET', '/users/{id}'), undefined);
});

test('app.use(handler, router) mounts at the root; app.use(name, router) with a name nobody can evaluate is a computed mount', async () => {
  const ws = memoryReader({
    'app.js': [
      "const express = require('express');",
      "const helmet = require('helmet');",
      "const admin = require('./admin');",
      "const reports = require('./reports');",
      'const app = express();',
      'function requireUser(req, res, next) { next(); }',
      'app.use(requireUser, admin);',
      'app.use(helmet, reports);',
      'module.exports = (base) => { app.use(base, require("./legacy")); return app; };',
      '',
    ].join('\n'),
    'admin.js': "const r = require('express').Router();\nr.get('/audit', (req, res) => res.json([]));\nmodule.exports = r;\n",
    'reports.js': "const r = require('express').Router();\nr.get('/reports/daily', (req, res) => res.json([]));\nmodule.exports = r;\n",
    'legacy.js': "const r = require('express').Router();\nr.get('/old/:id', (req, res) => res.json({}));\nmodule.exports = r;\n",
  });
  const table = await loadRouteTable(ws);
  const route = (file: string) => table.routes.find((r) => r.site.file === file)!;
  assert.deepEqual(route('admin.js').fullPaths, ['/audit']);
  assert.deepEqual(route('reports.js').fullPaths, ['/reports/daily']);
  assert.deepEqual(route('legacy.js').fullPaths, []);
  assert.deepEqual(route('legacy.js').tails, ['/old/{}']);
  assert.equal(findRoute(table.routes, 'GET', '/v1/old/{id}').best?.item.site.file, 'legacy.js');
});

test('FastAPI: an api_router of routers included under settings.API_V1_STR, with the app started by fastapi run', async () => {
  const ws = memoryReader({
    'backend/app/__init__.py': '',
    'backend/app/main.py': 'from fastapi import FastAPI\n\nfrom app.api.main import api_router\nfrom app.core.config import settings\n\napp = FastAPI(title=settings.PROJECT_NAME, openapi_url=f"{settings.API_V1_STR}/openapi.json")\n\napp.include_router(api_router, prefix=settings.API_V1_STR)\n',
    'backend/app/core/__init__.py': '',
    'backend/app/core/config.py': 'from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\nclass Settings(BaseSettings):\n    model_config = SettingsConfigDict(\n        env_file="../.env",\n        env_ignore_empty=True,\n    )\n    API_V1_STR: str = "/api/v1"\n    PROJECT_NAME: str = "app"\n\n    @property\n    def url(self) -> str:\n        return "x"\n\n\nsettings = Settings()  # type: ignore\n',
    'backend/app/api/__init__.py': '',
    'backend/app/api/main.py': 'from fastapi import APIRouter\n\nfrom app.api.routes import items, login, users\n\napi_router = APIRouter()\napi_router.include_router(login.router)\napi_router.include_router(users.router)\napi_router.include_router(items.router)\n',
    'backend/app/api/routes/__init__.py': '',
    'backend/app/api/routes/login.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(tags=["login"])\n\n\n@router.post("/login/access-token")\ndef login_access_token():\n    return {}\n',
    'backend/app/api/routes/users.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/users", tags=["users"])\n\n\n@router.get("/{user_id}")\ndef read_user_by_id(user_id: str):\n    return {}\n',
    'backend/app/api/routes/items.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/items", tags=["items"])\n\n\n@router.post("/")\ndef create_item():\n    return {}\n',
    'backend/Dockerfile': 'FROM python:3.10\nWORKDIR /app/\nCOPY ./app /app/app\nCMD ["fastapi", "run", "--workers", "4", "app/main.py"]\n',
    'docker-compose.yml': 'services:\n  db:\n    image: postgres:17\n  backend:\n    build:\n      context: ./backend\n',
  });
  const table = await loadRouteTable(ws, configSchema.parse({ app: { docker: { service: 'backend' } } }));
  assert.match(table.entryNote, /serves backend\/app\/main\.py:6/);
  const where = (method: string, p: string) => findRoute(table.routes, method, p).best?.item.site.file;
  assert.equal(where('GET', '/api/v1/users/{user_id}'), 'backend/app/api/routes/users.py');
  assert.equal(where('POST', '/api/v1/items/'), 'backend/app/api/routes/items.py');
  assert.equal(where('POST', '/api/v1/login/access-token'), 'backend/app/api/routes/login.py');
  assert.equal(findRoute(table.routes, 'GET', '/users/{user_id}').best?.how, undefined, 'only under /api/v1');
});
