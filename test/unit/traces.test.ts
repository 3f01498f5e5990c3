import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Trace } from '../../server/src/engine/model';
import { classifyLog } from '../../server/src/engine/classify';
import { extractTraces, extractTracesFromLines, stripLogDecorations, TraceScanner } from '../../server/src/engine/traces';

const dir = join(import.meta.dirname, '../fixtures/traces');
const fixture = (name: string) => readFileSync(join(dir, `${name}.txt`), 'utf8');
const PY = '/tmp/smoke-fixtures/py/';
const JS = '/tmp/smoke-fixtures/node/';
const FID = '/tmp/smoke-fixtures/fidelity/';

function one(name: string): Trace {
  const traces = extractTraces(fixture(name));
  assert.equal(traces.length, 1, `${name}: one trace`);
  return traces[0]!;
}

/** [file, line, function, column?] of each frame. */
function frames(t: { frames: Trace['frames'] }) {
  return t.frames.map((f) => (f.column === undefined ? [f.rawFile, f.line, f.function] : [f.rawFile, f.line, f.function, f.column]));
}

describe('python tracebacks', () => {
  it('3.11 caret lines are neither code nor frames', () => {
    const t = one('py-caret');
    assert.equal(t.language, 'python');
    assert.equal(t.exceptionClass, 'ZeroDivisionError');
    assert.equal(t.message, 'division by zero');
    assert.deepEqual(frames(t), [
      [`${PY}caret.py`, 16, '<module>'],
      [`${PY}caret.py`, 13, 'average'],
    ]);
    assert.equal(t.frames[0]!.code, 'print(average([]))');
    assert.equal(t.frames[1]!.code, 'return sum(values) / len(values)');
    assert.ok(t.frames.every((f) => !f.inWorkspace && f.file === f.rawFile));
    assert.deepEqual(t.causes, []);
    assert.ok(t.text.startsWith('Traceback (most recent call last):') && t.text.endsWith('ZeroDivisionError: division by zero'));
  });

  it('mixed ~~~^^^ markers', () => {
    const t = one('py-caret-subscript');
    assert.equal(t.exceptionClass, 'KeyError');
    assert.equal(t.message, "'sku'");
    assert.deepEqual(frames(t), [
      [`${PY}caret_subscript.py`, 8, '<module>'],
      [`${PY}caret_subscript.py`, 5, 'summarize'],
    ]);
    assert.match(t.frames[1]!.code!, /^return order\["customer"\]/);
  });

  it('"During handling" chains are context', () => {
    const t = one('py-chained-context');
    assert.equal(t.exceptionClass, 'ValueError');
    assert.equal(t.message, 'price missing from payload');
    assert.deepEqual(frames(t), [
      [`${PY}chained_context.py`, 16, '<module>'],
      [`${PY}chained_context.py`, 13, 'compute_total'],
    ]);
    assert.equal(t.causes.length, 1);
    const c = t.causes[0]!;
    assert.deepEqual([c.exceptionClass, c.message, c.relation], ['KeyError', "'price'", 'context']);
    assert.deepEqual(frames(c), [
      [`${PY}chained_context.py`, 11, 'compute_total'],
      [`${PY}chained_context.py`, 6, 'load_price'],
    ]);
  });

  it('"direct cause" chains are cause', () => {
    const t = one('py-chained-cause');
    assert.equal(t.exceptionClass, 'RepositoryError');
    assert.equal(t.message, 'item 42 not found');
    assert.deepEqual(frames(t), [
      [`${PY}chained_cause.py`, 20, '<module>'],
      [`${PY}chained_cause.py`, 17, 'get_item'],
    ]);
    assert.deepEqual(
      t.causes.map((c) => [c.exceptionClass, c.message, c.relation, frames(c)]),
      [['KeyError', '42', 'cause', [[`${PY}chained_cause.py`, 15, 'get_item'], [`${PY}chained_cause.py`, 10, 'fetch']]]],
    );
  });

  it('a bare SyntaxError block', () => {
    const t = one('py-syntax-error');
    assert.equal(t.exceptionClass, 'SyntaxError');
    assert.equal(t.message, "'[' was never closed");
    assert.deepEqual(frames(t), [[`${PY}syntax_error.py`, 2, '<module>']]);
    assert.equal(t.frames[0]!.code, 'total = payload["qty"] * payload["price"');
  });

  it('an IndentationError block', () => {
    const t = one('py-indentation-error');
    assert.equal(t.exceptionClass, 'IndentationError');
    assert.equal(t.message, 'unexpected indent');
    assert.deepEqual(frames(t), [[`${PY}indentation_error.py`, 3, '<module>']]);
  });

  it('a SyntaxError raised by an import, after the importing frames', () => {
    const t = one('py-import-syntax');
    assert.equal(t.exceptionClass, 'SyntaxError');
    assert.deepEqual(frames(t), [
      [`${PY}import_syntax.py`, 5, '<module>'],
      [`${PY}syntax_error.py`, 2, '<module>'],
    ]);
  });

  it('ModuleNotFoundError and NameError', () => {
    const m = one('py-module-not-found');
    assert.deepEqual([m.exceptionClass, m.message], ['ModuleNotFoundError', "No module named 'requestz'"]);
    assert.deepEqual(frames(m), [[`${PY}module_not_found.py`, 4, '<module>']]);
    const n = one('py-name-error');
    assert.deepEqual([n.exceptionClass, n.message], ['NameError', "name 'serialize_order' is not defined"]);
    assert.deepEqual(frames(n), [
      [`${PY}name_error.py`, 5, '<module>'],
      [`${PY}name_error.py`, 2, 'handler'],
    ]);
  });

  it('multi-line messages', () => {
    const t = one('py-multiline-message');
    assert.equal(t.message, "invalid payload:\n  field 'name': required\n  field 'price': required");
    assert.deepEqual(frames(t), [
      [`${PY}multiline_message.py`, 10, '<module>'],
      [`${PY}multiline_message.py`, 7, 'validate'],
    ]);
  });

  it('exception groups: the group, then its members', () => {
    const t = one('py-exception-group');
    assert.equal(t.exceptionClass, 'ExceptionGroup');
    assert.equal(t.message, 'validation failed (2 sub-exceptions)');
    assert.deepEqual(frames(t), [
      [`${PY}exception_group.py`, 20, '<module>'],
      [`${PY}exception_group.py`, 17, 'check_all'],
    ]);
    assert.deepEqual(
      t.causes.map((c) => [c.exceptionClass, c.message, frames(c)]),
      [
        ['ValueError', 'odd value 1', [[`${PY}exception_group.py`, 14, 'check_all'], [`${PY}exception_group.py`, 6, 'check']]],
        ['TypeError', 'even value 2', [[`${PY}exception_group.py`, 14, 'check_all'], [`${PY}exception_group.py`, 7, 'check']]],
      ],
    );
  });

  it('logged tracebacks between ordinary log lines', () => {
    const ts = extractTraces(fixture('py-logged-traces'));
    assert.deepEqual(
      ts.map((t) => [t.exceptionClass, t.message, frames(t)]),
      [
        ['sqlite3.IntegrityError', 'UNIQUE constraint failed: items.sku', [[`${PY}logged_traces.py`, 24, '<module>'], [`${PY}logged_traces.py`, 13, 'insert_twice']]],
        ['sqlite3.OperationalError', 'no such table: orders', [[`${PY}logged_traces.py`, 24, '<module>'], [`${PY}logged_traces.py`, 18, 'query_missing_table']]],
      ],
    );
    assert.ok(!ts[0]!.text.includes('INFO'), 'log lines stay out of the trace');
  });

  it('uvicorn "Exception in ASGI application" with container paths, sqlalchemy chains', () => {
    const ts = extractTraces(fixture('py-fastapi-uvicorn'));
    assert.equal(ts.length, 3);
    const [key, integrity, missing] = ts as [Trace, Trace, Trace];
    assert.deepEqual([key.exceptionClass, key.message], ['KeyError', "'pear'"]);
    assert.equal(key.frames.length, 29);
    assert.deepEqual(frames({ frames: key.frames.slice(-2) }), [
      ['/srv/app/main.py', 10, 'get_price'],
      ['/srv/app/services.py', 21, 'price_of'],
    ]);
    assert.deepEqual(frames({ frames: key.frames.slice(0, 1) }), [
      ['/opt/venv/lib/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py', 411, 'run_asgi'],
    ]);
    assert.equal(key.frames[0]!.code, 'result = await app(  # type: ignore[func-returns-value]');
    assert.equal(integrity.exceptionClass, 'sqlalchemy.exc.IntegrityError');
    assert.equal(
      integrity.message,
      "(sqlite3.IntegrityError) UNIQUE constraint failed: items.sku\n[SQL: INSERT INTO items (sku) VALUES (?)]\n[parameters: ('a',)]\n(Background on this error at: https://sqlalche.me/e/21/gkpj)",
    );
    assert.deepEqual(integrity.causes.map((c) => [c.exceptionClass, c.relation]), [['sqlite3.IntegrityError', 'cause']]);
    assert.ok(integrity.frames.some((f) => f.rawFile === '/srv/app/services.py' && f.line === 27 && f.function === 'add_item'));
    assert.ok(integrity.frames.some((f) => f.rawFile.startsWith('<sqlalchemy generated') && f.line === 2));
    assert.equal(missing.exceptionClass, 'sqlalchemy.exc.OperationalError');
    assert.match(missing.message, /^\(sqlite3\.OperationalError\) no such table: orders\n\[SQL: SELECT id FROM orders\]/);
    const at = missing.frames.findIndex((f) => f.rawFile === '/srv/app/main.py');
    assert.deepEqual(frames({ frames: missing.frames.slice(at, at + 2) }), [
      ['/srv/app/main.py', 20, 'orders'],
      ['/srv/app/services.py', 33, 'list_orders'],
    ]);
    for (const t of ts) assert.ok(!t.text.includes('ERROR:'), 'the uvicorn framing line is not part of the trace');
  });
});

describe('node stacks', () => {
  it('TypeError with anonymous, native and internal frames', () => {
    const t = one('node-type-error');
    assert.equal(t.language, 'node');
    assert.equal(t.exceptionClass, 'TypeError');
    assert.equal(t.message, "Cannot read properties of undefined (reading 'price')");
    assert.deepEqual(frames(t), [
      [`${JS}type_error.js`, 5, 'priceOf', 23],
      [`${JS}type_error.js`, 9, '<anonymous>', 44],
      [`${JS}type_error.js`, 9, 'total', 16],
      [`${JS}type_error.js`, 12, 'Object.<anonymous>', 13],
      ['node:internal/modules/cjs/loader', 1521, 'Module._compile', 14],
      ['node:internal/modules/cjs/loader', 1623, 'Module._extensions..js', 10],
      ['node:internal/modules/cjs/loader', 1266, 'Module.load', 32],
      ['node:internal/modules/cjs/loader', 1091, 'Module._load', 12],
      ['node:internal/modules/run_main', 164, 'Function.executeUserEntryPoint [as runMain]', 12],
    ]);
    assert.ok(!t.text.includes('Node.js v'));
  });

  it('ReferenceError', () => {
    const t = one('node-reference-error');
    assert.deepEqual([t.exceptionClass, t.message], ['ReferenceError', 'serializeOrder is not defined']);
    assert.deepEqual(frames({ frames: t.frames.slice(0, 2) }), [
      [`${JS}reference_error.js`, 5, 'handler', 3],
      [`${JS}reference_error.js`, 8, 'Object.<anonymous>', 1],
    ]);
    assert.deepEqual(frames({ frames: t.frames.slice(-1) }), [['node:internal/main/run_main_module', 28, '<anonymous>', 49]]);
  });

  it("Cannot find module with its require stack and the inspected properties", () => {
    const t = one('node-cannot-find-module');
    assert.equal(t.exceptionClass, 'Error');
    assert.equal(
      t.message,
      `Cannot find module 'pg-promise-missing'\nRequire stack:\n- ${JS}lib/db.js\n- ${JS}cannot_find_module.js`,
    );
    assert.equal(t.frames.length, 10);
    assert.deepEqual(frames({ frames: t.frames.slice(3, 5) }), [
      ['node:internal/modules/helpers', 182, 'require', 18],
      [`${JS}lib/db.js`, 2, 'Object.<anonymous>', 12],
    ]);
    assert.ok(t.text.includes("code: 'MODULE_NOT_FOUND'") && t.text.trimEnd().endsWith('}'));
  });

  it('async frames, `new`, and file:// URLs', () => {
    const t = one('node-async-stack');
    assert.deepEqual([t.exceptionClass, t.message], ['TypeError', 'rows must be an array']);
    assert.deepEqual(frames(t), [
      [`file://${JS}async_stack.mjs`, 4, 'new Repository', 37],
      [`file://${JS}async_stack.mjs`, 11, 'loadRows', 10],
      [`file://${JS}async_stack.mjs`, 15, 'getOrders', 16],
      [`file://${JS}async_stack.mjs`, 19, '<anonymous>', 1],
    ]);
  });

  it('[cause] blocks become causes; frames shared with the cause are put back', () => {
    const t = one('node-error-cause');
    assert.deepEqual([t.exceptionClass, t.message], ['Error', 'could not start the server']);
    // `... 5 lines matching cause stack trace ...` stands for the cause's frames after `Object.<anonymous>`.
    assert.deepEqual(frames({ frames: t.frames }), [
      [`${JS}error_cause.js`, 12, 'start', 11],
      [`${JS}error_cause.js`, 16, 'Object.<anonymous>', 1],
      ['node:internal/modules/cjs/loader', 1521, 'Module._compile', 14],
      ['node:internal/modules/cjs/loader', 1623, 'Module._extensions..js', 10],
      ['node:internal/modules/cjs/loader', 1266, 'Module.load', 32],
      ['node:internal/modules/cjs/loader', 1091, 'Module._load', 12],
      ['node:internal/modules/run_main', 164, 'Function.executeUserEntryPoint [as runMain]', 12],
      ['node:internal/main/run_main_module', 28, '<anonymous>', 49],
    ]);
    assert.equal(t.causes.length, 1);
    const c = t.causes[0]!;
    assert.deepEqual([c.exceptionClass, c.message, c.relation], ['SyntaxError', 'Unexpected token } in JSON at position 12', 'cause']);
    assert.deepEqual(frames({ frames: c.frames.slice(0, 2) }), [
      [`${JS}error_cause.js`, 5, 'readConfig', 9],
      [`${JS}error_cause.js`, 10, 'start', 5],
    ]);
    assert.equal(c.frames.length, 9);
  });

  it('a stack logged by a server between access-log lines', () => {
    const t = one('node-express-like');
    assert.equal(t.message, "Cannot read properties of undefined (reading 'name')");
    assert.deepEqual(frames({ frames: t.frames.slice(0, 2) }), [
      [`${JS}express_like.js`, 7, 'findUser', 20],
      [`${JS}express_like.js`, 13, 'Server.<anonymous>', 36],
    ]);
    assert.equal(t.frames.length, 5);
    assert.ok(!t.text.includes('GET /users'));
  });

  it('Windows paths, eval frames and bare error headers', () => {
    const [t] = extractTraces(
      [
        'Error',
        '    at handler (C:\\app\\src\\routes\\orders.js:10:5)',
        '    at eval (eval at run (/srv/app/x.js:3:7), <anonymous>:1:1)',
        '    at Array.map (<anonymous>)',
        '    at native',
      ].join('\n'),
    );
    assert.equal(t!.exceptionClass, 'Error');
    assert.equal(t!.message, '');
    assert.deepEqual(frames(t!), [
      ['C:\\app\\src\\routes\\orders.js', 10, 'handler', 5],
      ['/srv/app/x.js', 3, 'eval', 7],
    ]);
  });
});

describe('finding traces in log text', () => {
  it('every fixture, concatenated in noise, in order', () => {
    const names = ['py-caret', 'node-type-error', 'py-chained-cause', 'node-async-stack', 'py-exception-group', 'py-syntax-error'];
    const noise = 'INFO:     127.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK\nplain output line\nan Error: mentioned in passing\n\n';
    const text = names.map((n) => noise + fixture(n)).join('\n') + noise;
    const got = extractTraces(text).map((t) => t.exceptionClass);
    assert.deepEqual(got, ['ZeroDivisionError', 'TypeError', 'RepositoryError', 'TypeError', 'ExceptionGroup', 'SyntaxError']);
  });

  it('an Error header without frames is not a trace, and the lines after it are still read', () => {
    const text = `Error: something odd\n${fixture('py-name-error')}`;
    assert.deepEqual(extractTraces(text).map((t) => t.exceptionClass), ['NameError']);
  });

  it('prefixed lines (a compose-style prefix on every line)', () => {
    const prefixed = fixture('py-chained-cause')
      .split('\n')
      .map((l) => `api-1  | ${l}`)
      .join('\n');
    const t = one.call(null, 'py-chained-cause');
    const [p] = extractTraces(prefixed);
    assert.deepEqual([p!.exceptionClass, frames(p!), p!.causes.length], [t.exceptionClass, frames(t), 1]);
  });

  it('lines interleaved inside a traceback are skipped', () => {
    const lines = fixture('py-name-error').split('\n');
    lines.splice(3, 0, 'INFO:     127.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK');
    const [t] = extractTraces(lines.join('\n'));
    assert.equal(t!.exceptionClass, 'NameError');
    assert.equal(t!.frames.length, 2);
  });

  it('chunks split anywhere give the same traces', () => {
    const text = ['py-fastapi-uvicorn', 'node-error-cause', 'py-chained-context', 'node-express-like'].map(fixture).join('\n');
    const whole = extractTraces(text);
    for (const size of [1, 7, 64, 4096]) {
      const got: Trace[] = [];
      const s = new TraceScanner((f) => got.push(f.trace));
      for (let i = 0; i < text.length; i += size) s.write(text.slice(i, i + size));
      s.end();
      assert.deepEqual(got, whole, `chunk size ${size}`);
    }
  });

  it('log lines: first-line times, stdout lines interleaved with a stderr trace', () => {
    const err = fixture('py-chained-context').split('\n').filter((l) => l !== '');
    const lines = err.flatMap((text, i) => [
      { time: 1000 + i, stream: 'stderr' as const, text },
      { time: 1000 + i, stream: 'stdout' as const, text: `GET /x ${i}` },
    ]);
    lines.push({ time: 5000, stream: 'stderr', text: 'Traceback (most recent call last):' });
    lines.push({ time: 5001, stream: 'stderr', text: '  File "/srv/app/a.py", line 3, in f' });
    lines.push({ time: 5002, stream: 'stderr', text: 'KeyError: 1' });
    const found = extractTracesFromLines(lines);
    assert.deepEqual(
      found.map((f) => [f.time, f.trace.exceptionClass, f.trace.causes.length]),
      [
        [1000, 'ValueError', 1],
        [5000, 'KeyError', 0],
      ],
    );
  });
});

describe('exception groups, chains and colours as the interpreters print them', () => {
  it('except* re-raised: a group printed without a traceback, its members with their own chains', () => {
    const t = one('py-except-star');
    assert.deepEqual([t.exceptionClass, t.message], ['ExceptionGroup', ' (2 sub-exceptions)']);
    assert.deepEqual(frames(t), [[`${FID}py_driver.py`, 105, '<module>']]);
    // Group members follow their group; a member comes after the chain that led to it.
    assert.deepEqual(
      t.causes.map((c) => [c.exceptionClass, c.message, c.relation]),
      [
        ['ExceptionGroup', 'validation failed (1 sub-exception)', 'context'],
        ['ValueError', 'odd value 1', 'context'],
        ['RuntimeError', 'handled badly', 'context'],
        ['ExceptionGroup', 'validation failed (2 sub-exceptions)', 'context'],
        ['TypeError', 'even value 2', 'context'],
        ['KeyError', '42', 'cause'],
        ['py_shapes.RepositoryError', 'item 42 not found', 'context'],
      ],
    );
    assert.deepEqual(frames(t.causes[5]!), [
      [`${FID}py_shapes.py`, 24, 'cause'],
      [`${FID}py_shapes.py`, 14, '_fetch'],
    ]);
  });

  it('a group that is the context of another group, and an exception never raised (no traceback)', () => {
    const t = one('py-nested-group');
    assert.deepEqual([t.exceptionClass, t.message], ['ExceptionGroup', 'outer (2 sub-exceptions)']);
    const classes = t.causes.map((c) => c.exceptionClass);
    assert.deepEqual(classes, [
      'ExceptionGroup', 'ValueError', 'TypeError', 'KeyError', 'py_shapes.RepositoryError',
      'ExceptionGroup', 'ValueError', 'TypeError', 'py_shapes.RepositoryError', 'KeyError',
    ]);
    assert.equal(t.causes[0]!.relation, 'context', 'the first group is the context of the outer one');
    assert.deepEqual([t.causes[9]!.message, t.causes[9]!.frames], ["'never raised'", []]);
  });

  it('Python 3.13 colours: the same trace as without them', () => {
    const t = one('py-colour-chain');
    assert.deepEqual([t.exceptionClass, t.message], ['RuntimeError', 'giving up']);
    assert.deepEqual(t.causes.map((c) => [c.exceptionClass, c.message, c.relation]), [['KeyError', "'a'", 'cause'], ['TypeError', 'bad type', 'context']]);
    assert.equal(t.frames[0]!.code, 'BY_NAME[sys.argv[2]]()');
    assert.ok(!t.text.includes('\x1b'), 'colour codes are not kept');
    const s = one('py-colour-syntax');
    assert.deepEqual([s.exceptionClass, s.message], ['SyntaxError', "'[' was never closed"]);
    assert.deepEqual(frames(s).slice(-1), [[`${FID}broken_module.py`, 2, '<module>']]);
  });

  it('AggregateError: its errors are members, each after its own cause', () => {
    const t = one('node-aggregate');
    assert.deepEqual([t.exceptionClass, t.message, t.frames.length], ['AggregateError', 'all tasks failed', 8]);
    assert.deepEqual(t.causes.map((c) => [c.exceptionClass, c.message, c.relation, c.frames.length]), [
      ['TypeError', 'first failed', 'context', 9],
      ['SyntaxError', 'bad token', 'cause', 9],
      ['Error', 'second failed', 'context', 9],
    ]);
    // The member's `... 6 lines matching cause stack trace ...` is filled from its cause.
    assert.deepEqual(frames({ frames: t.causes[2]!.frames.slice(2, 4) }), [
      [`${FID}node_driver.cjs`, 131, 'Object.<anonymous>', 24],
      ['node:internal/modules/cjs/loader', 1521, 'Module._compile', 14],
    ]);
  });

  it('Node colours (greyed frames): a three-error cause chain with a message of several lines', () => {
    const t = one('node-cause-chain-colour');
    assert.deepEqual([t.exceptionClass, t.message], ['RangeError', 'could not start:\nport missing\n\n{"port": null}\nERROR in config']);
    assert.deepEqual(t.causes.map((c) => [c.exceptionClass, c.message, c.relation]), [
      ['SyntaxError', `Expected double-quoted property name in JSON at position 12`, 'cause'],
      ['Error', 'settings unreadable', 'cause'],
    ]);
    assert.equal(t.frames.length, 8);
    assert.ok(t.frames.every((f) => !f.rawFile.includes('\x1b') && !f.function.includes('\x1b')));
  });
});

describe('log decorations', () => {
  const parts = (line: string) => {
    const d = stripLogDecorations(line);
    return [d.text, d.source, d.record];
  };

  it('takes off transport prefixes and names the source', () => {
    assert.deepEqual(parts('2024-05-01T12:00:00.123456789Z Traceback (most recent call last):'), ['Traceback (most recent call last):', '', 't']);
    assert.deepEqual(parts('web-1  | KeyError: 1'), ['KeyError: 1', 'web-1', '']);
    assert.deepEqual(parts('api_1 | 2024-05-01T12:00:00.5+02:00   File "/a.py", line 1, in f'), ['  File "/a.py", line 1, in f', 'api_1', 't']);
    assert.deepEqual(parts('12:00:01 web.1  |     at f (/a.js:1:2)'), ['    at f (/a.js:1:2)', 'web.1', '']);
    assert.deepEqual(parts('0|api      | TypeError: x'), ['TypeError: x', '0|api', '']);
    assert.deepEqual(parts('[pod/web-7d9f/app] TypeError: x'), ['TypeError: x', 'pod/web-7d9f/app', '']);
    assert.deepEqual(parts('May 01 12:00:01 host app[123]:   File "/a.py", line 1, in f'), ['  File "/a.py", line 1, in f', 'app[123]', 't']);
  });

  it("takes off a logger's timestamp and level, colour codes anywhere", () => {
    assert.deepEqual(parts('2024-05-01 12:00:01,004 ERROR app.main: failed'), ['app.main: failed', '', 'tl']);
    assert.deepEqual(parts('[2024-05-01 12:00:00 +0000] [12] [ERROR] Exception in worker process'), ['Exception in worker process', '', 'tl']);
    assert.deepEqual(parts('\x1b[31mERROR\x1b[0m:    Exception in ASGI application'), ['Exception in ASGI application', '', 'l']);
    assert.deepEqual(parts('ERROR:root:job failed'), ['job failed', '', 'l']);
    assert.deepEqual(parts('[error]     at f (/a.js:1:2)'), ['    at f (/a.js:1:2)', '', 'l']);
    assert.deepEqual(parts('  File \x1b[35m"/a.py"\x1b[0m, line \x1b[35m3\x1b[0m, in \x1b[35mf\x1b[0m'), ['  File "/a.py", line 3, in f', '', '']);
  });

  it('leaves what a message may hold', () => {
    for (const line of ['ERROR: price must be positive', 'ERROR 1062 (23000): Duplicate entry', 'ERROR:  relation "x" does not exist', '{"loc": ["body"]}', 'user_a | admin']) {
      assert.deepEqual(parts(line), [line, '', ''], line);
    }
  });
});

describe('real logs around a trace', () => {
  const PY = ['Traceback (most recent call last):', '  File "/srv/app/a.py", line 3, in f', '    g()', '  File "/srv/app/a.py", line 7, in g', '    raise KeyError("x")', "KeyError: 'x'"];

  it('docker logs -t and docker compose logs -t, through classify too', () => {
    const stamped = PY.map((l, i) => `2024-05-01T12:00:00.${String(100000000 + i)}Z ${l}`);
    for (const text of [stamped, stamped.map((l) => `web-1  | ${l}`)]) {
      const [t] = extractTraces(text.join('\n'));
      assert.deepEqual([t!.exceptionClass, t!.message, frames(t!)], ['KeyError', "'x'", [['/srv/app/a.py', 3, 'f'], ['/srv/app/a.py', 7, 'g']]]);
      assert.equal(classifyLog(text.join('\n')).trace?.exceptionClass, 'KeyError');
    }
  });

  it("a logger's next record ends the message; a message's own lines do not", () => {
    const lines = ['2024-05-01 12:00:00,123 ERROR app: failed', ...PY, 'ERROR: the price must be positive', '', '{"field": "price"}', '2024-05-01 12:00:01,000 INFO app: next request', 'plain output'];
    const [t] = extractTraces(lines.join('\n'));
    assert.equal(t!.message, `'x'\nERROR: the price must be positive\n\n{"field": "price"}`);
  });

  it('access and JSON log lines inside a trace are skipped, also next to a chain separator', () => {
    const text = [
      'Traceback (most recent call last):',
      'INFO:     127.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK',
      '  File "/srv/app/a.py", line 3, in f',
      '{"level":"info","time":1714564800123,"msg":"request completed"}',
      "KeyError: 'x'",
      'GET /users/7 200 3.112 ms - 341',
      '',
      'The above exception was the direct cause of the following exception:',
      '127.0.0.1 - - [01/May/2024:12:00:01 +0000] "GET / HTTP/1.1" 200 2',
      '',
      'Traceback (most recent call last):',
      '  File "/srv/app/a.py", line 9, in h',
      'LookupError: y',
    ].join('\n');
    const ts = extractTraces(text);
    assert.equal(ts.length, 1);
    assert.deepEqual([ts[0]!.exceptionClass, ts[0]!.causes.map((c) => [c.exceptionClass, c.relation, c.frames.length])], ['LookupError', [['KeyError', 'cause', 1]]]);
    assert.ok(!ts[0]!.text.includes('GET'));
  });

  it('a bare `raise Boom()` names its class', () => {
    const [t] = extractTraces(['Traceback (most recent call last):', '  File "/srv/app/a.py", line 3, in f', '    raise Boom()', '    ^^^^^^^^^^^^', 'Boom'].join('\n'));
    assert.deepEqual([t!.exceptionClass, t!.message], ['Boom', '']);
  });

  it('a Node stack survives a foreign line before its first frame, and a per-line level prefix', () => {
    const [a] = extractTraces(['TypeError: boom', 'GET /health 200 1.2 ms - 2', '    at f (/srv/a.js:1:2)', '    at g (/srv/a.js:3:4)'].join('\n'));
    assert.deepEqual([a!.message, a!.frames.length], ['boom', 2]);
    const [b] = extractTraces(['[error] TypeError: boom', '[error]     at f (/srv/a.js:1:2)', '[error]     at g (/srv/a.js:3:4)', '[info] listening'].join('\n'));
    assert.deepEqual([b!.message, frames(b!)], ['boom', [['/srv/a.js', 1, 'f', 2], ['/srv/a.js', 3, 'g', 4]]]);
  });

  it('two traces interleaved are read apart by their source: compose services, PM2 processes, journal pids', () => {
    const node = ['TypeError: boom', '    at f (/srv/a.js:1:2)', '    at g (/srv/a.js:3:4)'];
    for (const [pa, pb] of [['web-1  | ', 'api-1  | '], ['0|api  | ', '1|api  | '], ['May 01 12:00:00 host app[12]: ', 'May 01 12:00:00 host app[13]: ']] as const) {
      const lines: string[] = [];
      for (let i = 0; i < Math.max(PY.length, node.length); i++) {
        if (PY[i] !== undefined) lines.push(pa + PY[i]);
        if (node[i] !== undefined) lines.push(pb + node[i]);
      }
      const found: Array<[string, string, number]> = [];
      const s = new TraceScanner((f) => found.push([f.source, f.trace.exceptionClass, f.trace.frames.length]));
      s.write(lines.join('\n'));
      s.end();
      const srcA = stripLogDecorations(pa + 'x').source;
      const srcB = stripLogDecorations(pb + 'x').source;
      assert.deepEqual(found.sort(), [[srcA, 'KeyError', 2], [srcB, 'TypeError', 2]].sort(), pa);
    }
  });
});
