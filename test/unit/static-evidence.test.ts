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
});
