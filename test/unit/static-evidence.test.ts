import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closePythonHelpers, closePythonNameHelpers, undefinedPythonNames } from '../../server/src/engine/imports';
import { RULES } from '../../server/src/engine/plan/rules';
import { rulesPlanner } from '../../server/src/engine/plan/rulesPlanner';
import { planningContext, violation, workspaceOf } from './routing-helpers';

after(async () => {
  await closePythonHelpers();
  await closePythonNameHelpers();
});

/** A Flask app in one module whose error handler answers JSON and logs nothing, as quiet apps do. */
const QUIET = (imports: string, handlerFirstLine = '') => `${imports}
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

app = Flask(__name__)


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(":memory:")
    return g.db


@app.errorhandler(Exception)
def handle_error(error):
    if isinstance(error, HTTPException):
        return jsonify(error=error.description), error.code
    return jsonify(error="internal server error"), 500


@app.get("/items")
def list_items():
${handlerFirstLine}    rows = get_db().execute("select 1").fetchall()
    return jsonify([list(r) for r in rows])
`;

const quietFailure = violation({ scenario: 'list items', method: 'GET', path: '/items', expectedStatus: 200, actualStatus: 500, response: { status: 500, bodyExcerpt: '{"error":"internal server error"}' } });

test('undefined names: what the module functions read and nothing binds, with Python scopes', async () => {
  const out = await undefinedPythonNames(
    [
      'import os',
      'from typing import TYPE_CHECKING',
      'if TYPE_CHECKING:',
      '    from x import Y',
      'counter = 0',
      'def bump():',
      '    global counter, made',
      '    counter += 1',
      '    made = 1',
      'def outer(a):',
      '    b = 1',
      '    def inner():',
      '        return a + b + len(os.sep) + made + missing + __name__',
      '    return inner',
      'class C:',
      '    z = undefined_in_class',
      '    def m(self) -> "Y":',
      '        return [i for i in range(3)] + helper()',
      'print(at_module_level)',
      '',
    ].join('\n'),
  );
  assert.ok(out.ok && !out.star);
  assert.deepEqual(
    out.undefined.map((u) => `${u.name}@${u.line} in ${u.scope}`),
    ['missing@13 in inner', 'undefined_in_class@16 in C', 'helper@18 in m'],
  );
  const star = await undefinedPythonNames('from os.path import *\ndef f():\n    return join("a", "b")\n');
  assert.ok(star.ok && star.star && star.undefined.length === 0);
  const bad = await undefinedPythonNames('def f(:\n');
  assert.ok(!bad.ok && bad.line === 1);
});

test('a 500 with no trace: the handler is read, and the rules plan from what it reads and nothing binds', async () => {
  // `g` and `sqlite3` are read in get_db, which the handler calls: Flask's `g`, a standard module.
  const noG = await workspaceOf({ 'app.py': QUIET('import sqlite3\n'), 'requirements.txt': 'Flask==3.1.0\n' });
  const out = await rulesPlanner(RULES).plan(await planningContext(noG, quietFailure));
  assert.ok(out.ok, JSON.stringify(out));
  const plan = out.plans[0]!;
  assert.deepEqual(plan.operations[0]!.details, { name: 'g', module: 'flask', style: 'named' });
  assert.match(plan.evidence![0]!, /^read from the code: app\.py:10 reads `g` in get_db\(\), and nothing binds it \(the app answered 500 and logged no trace; the handler is at app\.py:23\)/);

  const noSqlite = await workspaceOf({ 'app.py': QUIET('from flask import g\n'), 'requirements.txt': 'Flask==3.1.0\n' });
  const s = await rulesPlanner(RULES).plan(await planningContext(noSqlite, quietFailure));
  assert.ok(s.ok, JSON.stringify(s));
  assert.deepEqual(s.plans[0]!.operations[0]!.details, { name: 'sqlite3', module: 'sqlite3', style: 'module' });

  // An import inside the handler that nothing uses, of a module neither standard nor the workspace's.
  const debug = await workspaceOf({ 'app.py': QUIET('import sqlite3\nfrom flask import g\n', '    import icecream\n'), 'requirements.txt': 'Flask==3.1.0\n' });
  const d = await rulesPlanner(RULES).plan(await planningContext(debug, quietFailure));
  assert.ok(d.ok, JSON.stringify(d));
  assert.equal(d.plans[0]!.operations[0]!.type, 'remove_unused');
  assert.deepEqual(d.plans[0]!.operations[0]!.details, { names: ['icecream'], line: 25 });

  // Nothing to read: the answer says where it looked.
  const clean = await workspaceOf({ 'app.py': QUIET('import sqlite3\nfrom flask import g\n'), 'requirements.txt': 'Flask==3.1.0\n' });
  const c = await rulesPlanner(RULES).plan(await planningContext(clean, quietFailure));
  assert.ok(!c.ok);
  assert.match(c.noPlan.reason, /code: the handler at app\.py:24 and its module read no undefined name/);
  // A request no route answers: no handler to read.
  const nowhere = await rulesPlanner(RULES).plan(await planningContext(clean, violation({ ...quietFailure, path: '/nowhere' })));
  assert.ok(!nowhere.ok);
  assert.match(nowhere.noPlan.reason, /code: no route the app serves answers GET \/nowhere/);
});

test('a name that is a module of the workspace package is imported the way its siblings are', async () => {
  const dir = await workspaceOf({
    'notes/__init__.py': 'from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    from . import auth\n\n    db.init_app(app)\n    app.register_blueprint(auth.bp)\n    return app\n',
    'notes/db.py': 'def init_app(app):\n    pass\n',
    'notes/auth.py': 'from flask import Blueprint\n\nbp = Blueprint("auth", __name__)\n',
  });
  const trace = { language: 'python' as const, exceptionClass: 'NameError', message: "name 'db' is not defined", frames: [{ file: 'notes/__init__.py', rawFile: '/srv/notes/__init__.py', line: 8, function: 'create_app', inWorkspace: true }], causes: [], text: '' };
  const out = await rulesPlanner(RULES).plan(await planningContext(dir, violation({ scenario: 'app starts', method: 'START', path: '', expectedStatus: 0, actualStatus: 0, trace })));
  assert.ok(out.ok, JSON.stringify(out));
  assert.deepEqual(out.plans[0]!.operations[0]!.details, { name: 'db', module: '.', style: 'named' });

  // `notes.bp` is read, and notes/notes.py defines `bp`: the module, though notebooks.py defines a function `notes`.
  const blueprints = await workspaceOf({
    'notes/__init__.py': 'from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    from . import notebooks\n\n    app.register_blueprint(notebooks.bp)\n    app.register_blueprint(notes.bp, url_prefix="/api/notes")\n    return app\n',
    'notes/notes.py': 'from flask import Blueprint\n\nbp = Blueprint("notes", __name__)\n',
    'notes/notebooks.py': 'from flask import Blueprint\n\nbp = Blueprint("notebooks", __name__)\n\n\n@bp.get("/<int:nid>/notes")\ndef notes(nid):\n    return []\n',
  });
  const t2 = { ...trace, message: "name 'notes' is not defined", frames: [{ ...trace.frames[0]!, line: 9 }] };
  const b = await rulesPlanner(RULES).plan(await planningContext(blueprints, violation({ scenario: 'app starts', method: 'START', path: '', expectedStatus: 0, actualStatus: 0, trace: t2 })));
  assert.ok(b.ok, JSON.stringify(b));
  assert.deepEqual(b.plans[0]!.operations[0]!.details, { name: 'notes', module: '.', style: 'named' });
});

test('undefined names in JavaScript: no-undef against Node globals, reads inside functions only', async () => {
  const { undefinedJsNames } = await import('../../server/src/engine/imports');
  const cjs = undefinedJsNames(
    'src/routes/orders.js',
    "'use strict';\nconst express = require('express');\nconst router = express.Router();\nrouter.get('/', async (req, res) => {\n  if (typeof maybe === 'undefined') res.json(await repo.list(process.env.X, __dirname, Buffer.from('a')));\n});\nmodule.exports = router;\n",
  );
  assert.deepEqual(cjs, { ok: true, undefined: [{ name: 'repo', line: 5 }] });
  // ES modules have no require or __dirname; a read at load time is not reported (the module would not load).
  const esm = undefinedJsNames('src/a.js', "import x from 'x';\nconst top = later;\nexport function f() { return require('y') + __dirname + x + URL.name; }\n");
  assert.deepEqual(esm, { ok: true, undefined: [{ name: 'require', line: 3 }, { name: '__dirname', line: 3 }] });
  const bad = undefinedJsNames('src/a.js', 'function (\n');
  assert.equal(bad.ok, false);
  assert.equal(undefinedJsNames('src/a.ts', 'let x: number = 1;\n').ok, false);
});

test('a 500 with no trace from an Express handler: a missing named import, an unused package loaded in the handler', async () => {
  const files = (attendees: string) => ({
    'package.json': JSON.stringify({ name: 'events', type: 'module', dependencies: { express: '^5.1.0' } }),
    'src/app.js': "import express from 'express';\nimport attendees from './routes/attendees.js';\n\nexport const app = express();\napp.use(express.json());\napp.use('/events/:eventId/attendees', attendees);\napp.use((err, req, res, next) => {\n  console.error(`${req.method} ${req.originalUrl} failed: ${err.message}`);\n  res.status(500).json({ error: 'internal error' });\n});\n",
    'src/store.js': 'const attendees = new Map();\nexport async function listAttendees(id) {\n  return attendees.get(id) ?? [];\n}\n',
    'src/routes/attendees.js': attendees,
  });
  const handler = (first: string) => `import { Router } from 'express';\n\nconst router = Router({ mergeParams: true });\n\nrouter.get('/', async (req, res) => {\n${first}  res.json(await listAttendees(req.params.eventId));\n});\n\nexport default router;\n`;
  const failure = violation({ scenario: 'list attendees', method: 'GET', path: '/events/{event_id}/attendees', expectedStatus: 200, actualStatus: 500 });
  const missing = await workspaceOf(files(handler('')));
  const out = await rulesPlanner(RULES).plan(await planningContext(missing, failure));
  assert.ok(out.ok, JSON.stringify(out));
  assert.deepEqual(out.plans[0]!.operations[0]!.details, { name: 'listAttendees', module: '../store.js', style: 'named' });
  assert.match(out.plans[0]!.evidence![0]!, /^read from the code: src\/routes\/attendees\.js:6 reads `listAttendees` in a function, and nothing binds it/);

  const dynamic = await workspaceOf(files(handler("  const dayjs = await import('dayjs');\n").replace("import { Router } from 'express';", "import { Router } from 'express';\nimport { listAttendees } from '../store.js';")));
  const d = await rulesPlanner(RULES).plan(await planningContext(dynamic, failure));
  assert.ok(d.ok, JSON.stringify(d));
  assert.equal(d.plans[0]!.operations[0]!.type, 'remove_unused');
  assert.deepEqual(d.plans[0]!.operations[0]!.details, { names: ['dayjs'], line: 7 });
  assert.match(d.plans[0]!.evidence![0]!, /loads dayjs inside the handler, nothing uses what it binds, and no package\.json lists it/);
});

test('fuzz: the undefined-name readers answer every input, never throw', async () => {
  const fc = (await import('fast-check')).default;
  const { undefinedJsNames } = await import('../../server/src/engine/imports');
  const pieces = ['function f(', ') {', '}', 'return ', 'x', ' + ', 'await import("y")', 'const ', ' = ', ';\n', '`${', '`', '"', "'", '/*', '*/', '//', '\n', 'class C {', 'typeof ', 'import x from "x";\n', 'export '];
  const source = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 40 }).map((a) => a.join(''));
  fc.assert(
    fc.property(source, (text) => {
      const out = undefinedJsNames('src/a.js', text);
      assert.ok(out.ok ? Array.isArray(out.undefined) : typeof out.message === 'string' && out.line >= 1);
    }),
    { numRuns: 400 },
  );
  const py = ['def f(', '):\n', '    ', 'return ', 'x', ' + ', 'global x\n', 'class C:\n', 'lambda: ', 'import y\n', 'from z import *\n', '"""', '#', '\n', '[i for i in x]', ':='];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(...py), fc.string({ maxLength: 4 })), { maxLength: 30 }).map((a) => a.join('')), async (text) => {
      const out = await undefinedPythonNames(text);
      assert.ok(out.ok ? Array.isArray(out.undefined) : typeof out.message === 'string');
    }),
    { numRuns: 150 },
  );
});

test("a package's __init__ import of a missing module goes when no workspace module imports it from the package", async () => {
  const { removeUnused } = await import('../../server/src/engine/patch/executors/imports');
  const { executorContext } = await import('./routing-helpers');
  const files = (extra: Record<string, string> = {}) => ({
    'app/__init__.py': 'import ipdb\nfrom .version import VERSION\n',
    'app/version.py': 'VERSION = "1.0"\n',
    'app/main.py': 'from fastapi import FastAPI\n\nfrom app import VERSION\n\napp = FastAPI(version=VERSION)\n',
    ...extra,
  });
  const trace = { language: 'python' as const, exceptionClass: 'ModuleNotFoundError', message: "No module named 'ipdb'", frames: [{ file: 'app/__init__.py', rawFile: '/srv/app/__init__.py', line: 1, function: '<module>', inWorkspace: true }], causes: [], text: '' };
  const starts = violation({ scenario: 'app starts', method: 'START', path: '', expectedStatus: 0, actualStatus: 0, trace });
  const dir = await workspaceOf(files());
  const out = await rulesPlanner(RULES).plan(await planningContext(dir, starts));
  assert.ok(out.ok, JSON.stringify(out));
  const op = out.plans[0]!.operations[0]!;
  assert.deepEqual(op.details, { names: ['ipdb'], line: 1, notReexported: true });
  assert.ok(op.evidence!.some((e) => /no workspace module imports `ipdb` from the package app: not a re-export/.test(e)), op.evidence!.join('\n'));
  const after = await removeUnused(op as never, await executorContext(dir, 'app/__init__.py'));
  assert.equal(after, 'from .version import VERSION\n');
  // Without the check, the executor leaves a package's imports alone.
  await assert.rejects(async () => removeUnused({ ...op, details: { names: ['ipdb'], line: 1 } } as never, await executorContext(dir, 'app/__init__.py')));
  // Imported from the package elsewhere: a re-export, left alone.
  const reexported = await workspaceOf(files({ 'app/debug.py': 'from app import ipdb\n' }));
  const kept = await rulesPlanner(RULES).plan(await planningContext(reexported, starts));
  assert.ok(!kept.ok);
  assert.match(kept.noPlan.reason, /left alone: app\/debug\.py:1 imports it from the package/);
});
