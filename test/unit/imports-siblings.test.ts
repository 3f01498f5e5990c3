/**
 * An undefined name is imported the way the workspace's other files import it: rules read the
 * workspace like a developer would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsProviders, pythonProviders, type ProviderContext } from '../../server/src/engine/imports/providers';

function ctxOf(files: Record<string, string>): ProviderContext {
  return { files: Object.keys(files).sort(), read: async (f) => files[f] };
}

test('CommonJS: `db` comes the way the sibling routes require it, though db.js exports no `db`', async () => {
  const files = {
    'db.js': "var rows = [];\nexports.all = function () { return rows; };\n",
    'routes/bookmarks.js': "var express = require('express');\nvar db = require('../db');\nmodule.exports = express.Router();\n",
    'routes/users/index.js': "const db = require('../../db');\n",
    'routes/tags.js': "var express = require('express');\nvar router = express.Router();\nrouter.get('/', function (req, res) { res.json(db.all()); });\n",
  };
  const [best] = await jsProviders('db', 'routes/tags.js', files['routes/tags.js'], ctxOf(files));
  assert.deepEqual([best.module, best.style, best.file], ['../db', 'default', 'db.js']);
  assert.match(best.why, /routes\/bookmarks\.js imports `db` this way \(as do 1 more\)/);
});

test('ES modules: a named import of a package, as a neighbour writes it', async () => {
  const files = {
    'src/routes/events.js': "import { Router } from 'express';\nimport { formatISO } from 'date-fns';\n",
    'src/routes/attendees.js': "import { Router } from 'express';\nconst router = Router();\nrouter.get('/', (req, res) => res.json({ at: formatISO(new Date()) }));\n",
  };
  const [best] = await jsProviders('formatISO', 'src/routes/attendees.js', files['src/routes/attendees.js'], ctxOf(files));
  assert.deepEqual([best.module, best.style], ['date-fns', 'named']);
});

test("Python: `desc` from sqlalchemy, as the sibling router imports it, though it is no name the rules know", async () => {
  const files = {
    'app/__init__.py': '',
    'app/routers/__init__.py': '',
    'app/routers/teams.py': 'from sqlalchemy import desc, select\n\nfrom ..models import Team\n',
    'app/routers/heroes.py': 'from sqlmodel import select\n\nfrom ..models import Hero\n\n\ndef read_heroes(session):\n    return session.exec(select(Hero).order_by(desc(Hero.id))).all()\n',
    'app/models.py': 'class Hero:\n    pass\n\n\nclass Team:\n    pass\n',
  };
  const [best] = await pythonProviders('desc', 'app/routers/heroes.py', files['app/routers/heroes.py'], ctxOf(files));
  assert.deepEqual([best.module, best.style], ['sqlalchemy', 'named']);
});

test('Python: a relative import in a sibling is re-based for this file', async () => {
  const files = {
    'app/__init__.py': '',
    'app/api/__init__.py': '',
    'app/api/v1/__init__.py': '',
    'app/api/v1/orders.py': 'from ...core.settings import get_settings\n',
    'app/api/items.py': 'from ..db import session\n\n\ndef cfg():\n    return get_settings()\n',
    'app/core/__init__.py': '',
    'app/core/settings.py': 'def get_settings():\n    return {}\n',
  };
  const list = await pythonProviders('get_settings', 'app/api/items.py', files['app/api/items.py'], ctxOf(files));
  assert.deepEqual([list[0].module, list[0].style], ['..core.settings', 'named']);
  assert.equal(list.filter((c) => c.module === '..core.settings').length, 1, 'one candidate for one module');
});

test('JS: a package the workspace depends on, a well-known built-in export, and a module named like the identifier', async () => {
  const files = {
    'package.json': JSON.stringify({ type: 'module', dependencies: { express: '^5.1.0', 'pino-http': '^10.4.0' } }),
    'src/store.js': 'export async function listEvents() { return []; }\nexport async function getEvent() { return null; }\n',
    'src/app.js': "export async function createApp() {\n  const app = express();\n  app.use(pinoHttp());\n  for (const f of await readdir('.')) void f;\n  return store.listEvents();\n}\n",
  };
  const ctx = ctxOf(files);
  const text = files['src/app.js'];
  const first = async (name: string) => (await jsProviders(name, 'src/app.js', text, ctx))[0];
  assert.deepEqual(await first('express').then((c) => [c.module, c.style]), ['express', 'default']);
  assert.deepEqual(await first('pinoHttp').then((c) => [c.module, c.style]), ['pino-http', 'default']);
  assert.deepEqual(await first('readdir').then((c) => [c.module, c.style]), ['node:fs/promises', 'named']);
  assert.deepEqual(await first('store').then((c) => [c.module, c.style]), ['./store.js', 'module']);
});

test('Python: typing and contextlib names a module uses without importing them', async () => {
  const files = { 'app/db.py': 'def get_session() -> Generator[int, None, None]:\n    yield 1\n' };
  const [best] = await pythonProviders('Generator', 'app/db.py', files['app/db.py'], ctxOf(files));
  assert.deepEqual([best.module, best.style], ['typing', 'named']);
  const [annotated] = await pythonProviders('Annotated', 'app/db.py', files['app/db.py'], ctxOf(files));
  assert.equal(annotated.module, 'typing');
});

test('Python: a name the file calls is not a standard-library module of that name (`select(Hero)` is sqlmodel\'s)', async () => {
  const files = {
    'requirements.txt': 'fastapi==0.115.6\nsqlmodel==0.0.22\n',
    'app/routers/heroes.py': 'from fastapi import APIRouter\n\n\ndef read_heroes(session):\n    return session.exec(select(Hero)).all()\n',
  };
  const [best] = await pythonProviders('select', 'app/routers/heroes.py', files['app/routers/heroes.py'], ctxOf(files));
  assert.deepEqual([best.module, best.style], ['sqlmodel', 'named']);
  // Used as a module, it still is one.
  const asModule = await pythonProviders('select', 'app/poll.py', 'def wait(fd):\n    return select.select([fd], [], [], 1)\n', ctxOf(files));
  assert.deepEqual([asModule[0].module, asModule[0].style], ['select', 'module']);
});

test('CommonJS: `repo` is the one module whose name it abbreviates, which exports one value', async () => {
  const files = {
    'src/repository.js': "'use strict';\nclass OrderRepository {}\nmodule.exports = new OrderRepository();\n",
    'src/routes/orders.js': "'use strict';\nconst router = require('express').Router();\nrouter.get('/', async (req, res) => res.json(await repo.list()));\nmodule.exports = router;\n",
  };
  const [best] = await jsProviders('repo', 'src/routes/orders.js', files['src/routes/orders.js'], ctxOf(files));
  assert.deepEqual([best.module, best.style, best.file], ['../repository', 'default', 'src/repository.js']);
  // Two modules it could abbreviate: no guess.
  const two = { ...files, 'src/reports.js': 'module.exports = {};\n' };
  const none = await jsProviders('rep', 'src/routes/orders.js', files['src/routes/orders.js'], ctxOf(two));
  assert.equal(none.filter((c) => c.origin === 'workspace').length, 0);
  // A module that exports several names is no single value to bind.
  const named = await jsProviders('repo', 'src/routes/orders.js', files['src/routes/orders.js'], ctxOf({ ...files, 'src/repository.js': 'exports.list = () => [];\n' }));
  assert.equal(named.filter((c) => c.origin === 'workspace').length, 0);
});
