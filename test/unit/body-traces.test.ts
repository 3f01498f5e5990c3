import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Trace } from '../../server/src/engine/model';
import { decodeEntities, MAX_BODY_CHARS, traceFromResponseBody } from '../../server/src/engine/traces/body';

const dir = join(import.meta.dirname, '../fixtures/bodies');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');
const SP = '/usr/local/lib/python3.12/site-packages';

function traceOf(name: string, contentType?: string): Trace {
  const t = traceFromResponseBody(fixture(name), contentType);
  assert.ok(t, `${name}: a trace`);
  return t;
}

/** [file, line, function] of each frame. */
const frames = (t: { frames: Trace['frames'] }) => t.frames.map((f) => [f.rawFile, f.line, f.function]);

describe('traceFromResponseBody: HTML error pages', () => {
  it("Express's development page: the stack in a <pre> with <br> and &nbsp;", () => {
    const t = traceOf('express-dev.html', 'text/html; charset=utf-8');
    assert.equal(t.language, 'node');
    assert.equal(t.exceptionClass, 'TypeError');
    assert.equal(t.message, "Cannot read properties of undefined (reading 'price')");
    assert.deepEqual(frames(t).slice(0, 3), [
      ['/srv/shop/src/services/pricing.js', 18, 'lineTotal'],
      ['/srv/shop/src/services/pricing.js', 25, 'cartTotal'],
      ['/srv/shop/src/routes/carts.js', 42, '<anonymous>'],
    ]);
    assert.equal(t.frames.length, 13, 'every frame with a location (Array.map has none)');
    assert.ok(t.frames.every((f) => !f.inWorkspace && f.column !== undefined));
    assert.ok(t.text.startsWith("TypeError: Cannot read properties of undefined (reading 'price')\n    at lineTotal"));
  });

  it("Express's page cut to the runner's 2048-byte excerpt still gives the error and its first frames", () => {
    const t = traceFromResponseBody(`${fixture('express-dev.html').slice(0, 1000)}…`, 'text/html');
    assert.equal(t?.exceptionClass, 'TypeError');
    assert.deepEqual(frames(t!)[0], ['/srv/shop/src/services/pricing.js', 18, 'lineTotal']);
  });

  it("Werkzeug's debugger page: the plain traceback of its <textarea>", () => {
    const t = traceOf('werkzeug-debugger.html', 'text/html; charset=utf-8');
    assert.equal(t.language, 'python');
    assert.equal(t.exceptionClass, 'KeyError');
    assert.equal(t.message, "'unit_price'");
    assert.equal(t.frames.length, 7);
    assert.deepEqual(frames(t).slice(-2), [
      ['/srv/orders/app/views.py', 34, 'order_summary'],
      ['/srv/orders/app/pricing.py', 12, 'summarize'],
    ]);
    assert.equal(t.frames[6]!.code, `return f"{item['sku']}: {item['qty']} x {item['unit_price']}"`);
  });

  it("Werkzeug's page cut before its <textarea> still names the error (from the title)", () => {
    const t = traceFromResponseBody(fixture('werkzeug-debugger.html').slice(0, 2048), 'text/html');
    assert.equal(t?.language, 'python');
    assert.equal(t?.exceptionClass, 'KeyError');
    assert.equal(t?.message, "'unit_price'");
    assert.deepEqual(t?.frames, []);
  });

  it("Django's technical 500 page: the copy-and-paste traceback, its chain and Exception Type/Value", () => {
    const t = traceOf('django-technical-500.html', 'text/html; charset=utf-8');
    assert.equal(t.language, 'python');
    assert.equal(t.exceptionClass, 'IntegrityError');
    assert.equal(t.message, 'UNIQUE constraint failed: shop_customer.email');
    assert.equal(t.frames.length, 13);
    assert.deepEqual(frames(t)[3], ['/app/shop/views.py', 41, 'register']);
    assert.equal(t.frames[3]!.code, 'customer = Customer.objects.create(email=data["email"], name=data["name"])');
    assert.deepEqual(frames(t).at(-1), [`${SP}/django/db/backends/sqlite3/base.py`, 329, 'execute']);
    // Django names the earlier exception's value only; its class stays unknown rather than guessed.
    assert.equal(t.causes.length, 1);
    assert.equal(t.causes[0]!.relation, 'cause');
    assert.equal(t.causes[0]!.exceptionClass, 'UnknownException');
    assert.equal(t.causes[0]!.message, 'UNIQUE constraint failed: shop_customer.email');
    assert.deepEqual(frames(t.causes[0]!), [
      [`${SP}/django/db/backends/utils.py`, 105, '_execute'],
      [`${SP}/django/db/backends/sqlite3/base.py`, 329, 'execute'],
    ]);
  });

  it("Django's page cut to 2048 bytes names the error from its title", () => {
    const t = traceFromResponseBody(fixture('django-technical-500.html').slice(0, 2048), 'text/html');
    assert.equal(t?.exceptionClass, 'IntegrityError');
    assert.deepEqual(t?.frames, []);
  });

  it("Django's plain-text report (for clients that do not ask for HTML)", () => {
    const t = traceOf('django-technical-500.txt', 'text/plain; charset=utf-8');
    assert.equal(t.language, 'python');
    assert.equal(t.exceptionClass, 'KeyError');
    assert.equal(t.message, "'price'");
    assert.deepEqual(frames(t).slice(-2), [
      ['/app/shop/views.py', 58, 'add_item'],
      ['/app/shop/pricing.py', 9, 'line_total'],
    ]);
    assert.equal(t.frames.at(-1)!.code, 'return product["price"] * quantity');
    assert.deepEqual(t.causes, []);
  });

  it("Django's multi-line exception value is the message, and the request information is left out", () => {
    const text = fixture('django-technical-500.txt').replace(
      "Exception Value: 'price'",
      'Exception Value: duplicate key value violates unique constraint "shop_customer_email_key"\nDETAIL:  Key (email)=(ann@example.com) already exists.',
    );
    const t = traceFromResponseBody(text, 'text/plain');
    assert.equal(t?.message, 'duplicate key value violates unique constraint "shop_customer_email_key"\nDETAIL:  Key (email)=(ann@example.com) already exists.');
    assert.ok(!t!.text.includes('Request information'));
  });

  it("Django's plain-text report cut inside its traceback keeps the frames and takes the error from the first lines", () => {
    const text = fixture('django-technical-500.txt');
    const cut = text.slice(0, text.indexOf('/app/shop/views.py') + 60);
    const t = traceFromResponseBody(cut, 'text/plain');
    assert.equal(t?.exceptionClass, 'KeyError');
    assert.equal(t?.message, "'price'");
    assert.deepEqual(frames(t!).at(-1), ['/app/shop/views.py', 58, 'add_item']);
  });
});

describe('traceFromResponseBody: JSON bodies', () => {
  it('a Node stack in `stack`', () => {
    const t = traceOf('json-node-stack.json', 'application/json; charset=utf-8');
    assert.equal(t.language, 'node');
    assert.equal(t.exceptionClass, 'Error');
    assert.equal(t.message, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.deepEqual(frames(t).slice(1), [
      ['/srv/billing/node_modules/pg-pool/index.js', 45, 'Pool.connect'],
      ['/srv/billing/src/db/invoices.ts', 31, 'findInvoice'],
      ['/srv/billing/src/routes/invoices.ts', 14, 'getInvoice'],
    ]);
  });

  it('JSON sent as text/plain is still read as JSON', () => {
    const t = traceFromResponseBody(fixture('json-node-stack.json'), 'text/plain; charset=utf-8');
    assert.equal(t?.message, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(t?.frames.length, 4);
  });

  it('a Python traceback as a list of lines', () => {
    const t = traceOf('json-python-traceback-list.json', 'application/json');
    assert.equal(t.exceptionClass, 'NameError');
    assert.equal(t.message, "name 'Decimal' is not defined");
    assert.deepEqual(frames(t).at(-1), ['/code/app/routers/orders.py', 63, 'pay_order']);
    assert.equal(t.frames.length, 4);
  });

  it('a Python traceback as one string, nested in an error object', () => {
    const t = traceOf('json-python-traceback-string.json');
    assert.equal(t.exceptionClass, 'AttributeError');
    assert.deepEqual(frames(t), [['/code/app/services/notify.py', 22, 'send_receipt']]);
  });

  it('a JSON excerpt cut mid-document is read from its string literals', () => {
    const text = fixture('json-python-traceback-list.json');
    const cut = text.slice(0, text.indexOf('NameError: name') + 40);
    const t = traceFromResponseBody(`${cut}…`, 'application/json');
    assert.equal(t?.exceptionClass, 'NameError');
    assert.deepEqual(frames(t!).at(-1), ['/code/app/routers/orders.py', 63, 'pay_order']);
  });

  it('a stack without its header line and a class in `name`', () => {
    const body = JSON.stringify({
      name: 'TypeError',
      message: 'items.reduce is not a function',
      stack: ['at total (/srv/shop/src/cart.js:9:22)', 'at /srv/shop/src/routes/carts.js:30:12'],
    });
    const t = traceFromResponseBody(body, 'application/json');
    assert.equal(t?.exceptionClass, 'TypeError');
    assert.equal(t?.message, 'items.reduce is not a function');
    assert.deepEqual(frames(t!), [
      ['/srv/shop/src/cart.js', 9, 'total'],
      ['/srv/shop/src/routes/carts.js', 30, '<anonymous>'],
    ]);
  });

  it('a class and a message in separate keys make a trace without frames', () => {
    const t = traceFromResponseBody(JSON.stringify({ error: 'KeyError', detail: "'price'" }), 'application/json');
    assert.deepEqual(t && { language: t.language, cls: t.exceptionClass, message: t.message, frames: t.frames }, {
      language: 'python',
      cls: 'KeyError',
      message: "'price'",
      frames: [],
    });
  });

  it('an error string in `error` or `detail`', () => {
    const t = traceFromResponseBody('{"detail":"ReferenceError: dayjs is not defined"}');
    assert.equal(t?.exceptionClass, 'ReferenceError');
    assert.equal(t?.language, 'node');
  });
});

describe('traceFromResponseBody: plain bodies', () => {
  it("Node's Cannot find module with its require stack (no frames: a trace with class and message)", () => {
    const t = traceOf('plain-cannot-find-module.txt', 'text/plain; charset=utf-8');
    assert.deepEqual(
      { language: t.language, cls: t.exceptionClass, frames: t.frames, causes: t.causes },
      { language: 'node', cls: 'Error', frames: [], causes: [] },
    );
    assert.equal(t.message, "Cannot find module 'dayjs'\nRequire stack:\n- /srv/shop/src/routes/reports.js\n- /srv/shop/src/app.js\n- /srv/shop/server.js");
    assert.ok(t.text.startsWith("Error: Cannot find module 'dayjs'"));
  });

  it('a bare Cannot find module, without Error:', () => {
    const t = traceFromResponseBody("Cannot find module 'dayjs'");
    assert.equal(t?.exceptionClass, 'Error');
    assert.equal(t?.message, "Cannot find module 'dayjs'");
  });

  it('a one-line ReferenceError is Node, a one-line NameError is Python', () => {
    const js = traceOf('plain-reference-error.txt', 'text/plain');
    assert.deepEqual([js.language, js.exceptionClass, js.message, js.frames.length], ['node', 'ReferenceError', 'formatPrice is not defined', 0]);
    const py = traceOf('plain-name-error.txt');
    assert.deepEqual([py.language, py.exceptionClass, py.message, py.frames.length], ['python', 'NameError', "name 'settings' is not defined", 0]);
  });

  it('a TypeError is told apart by its message', () => {
    assert.equal(traceFromResponseBody("TypeError: 'NoneType' object is not subscriptable")?.language, 'python');
    assert.equal(traceFromResponseBody('TypeError: cart.items is not iterable')?.language, 'node');
  });

  it("Starlette's plain traceback (debug mode, no HTML asked for)", () => {
    const t = traceOf('starlette-debug.txt', 'text/plain; charset=utf-8');
    assert.equal(t.exceptionClass, 'NameError');
    assert.deepEqual(frames(t).at(-1), ['/code/app/routers/orders.py', 63, 'pay_order']);
  });

  it('bodies that carry no error give no trace', () => {
    for (const [name, type] of [
      ['fastapi-500.txt', 'text/plain; charset=utf-8'],
      ['fastapi-422.json', 'application/json'],
      ['nest-500.json', 'application/json; charset=utf-8'],
      ['express-production.html', 'text/html; charset=utf-8'],
    ] as const) {
      assert.equal(traceFromResponseBody(fixture(name), type), undefined, name);
      assert.equal(traceFromResponseBody(fixture(name)), undefined, `${name} without a content type`);
    }
    assert.equal(traceFromResponseBody(''), undefined);
    assert.equal(traceFromResponseBody('Warning: disk almost full'), undefined);
    assert.equal(traceFromResponseBody('<html><head><title>Error</title></head><body>Error</body></html>'), undefined);
  });
});

describe('decodeEntities', () => {
  it('decodes named, decimal and hex entities and leaves unknown ones', () => {
    assert.equal(decodeEntities('&lt;a&gt; &amp; &quot;b&quot; &#39;c&#x27; &nbsp;d &bogus; &#0; &#x110000;'), '<a> & "b" \'c\'  d &bogus; \uFFFD \uFFFD');
  });
});

describe('traceFromResponseBody: fuzz', () => {
  const pieces = fc.constantFrom(
    '<pre>', '</pre>', '<br>', '&nbsp;', '&#39;', '&#x27;', '<textarea>', '</textarea>', '<script>', '<!--', '-->', '<', '>', '&',
    '{"stack": "', '"traceback": [', '"', '\\n', '\\', ']', '}', ',', ':',
    'Traceback (most recent call last):\n', '  File "/app/a.py", line 3, in f\n', 'KeyError: 1\n',
    'Exception Type: KeyError at /x\n', 'Exception Value: 1\n', 'The above exception (x) was the direct cause of the following exception:\n',
    'TypeError: x\n', '    at f (/app/a.js:1:2)\n', "Cannot find module 'x'\n", 'Require stack:\n', '- /a.js\n', 'KeyError at /x\n',
  );
  const body = fc.array(fc.oneof(pieces, fc.string({ maxLength: 20 })), { maxLength: 60 }).map((a) => a.join(''));
  const contentType = fc.constantFrom(undefined, 'text/html', 'application/json', 'text/plain', 'application/octet-stream');

  it('never throws, and what it returns is a well-formed trace', () => {
    fc.assert(
      fc.property(body, contentType, (b, ct) => {
        const t = traceFromResponseBody(b, ct);
        if (!t) return;
        assert.ok(t.exceptionClass.length > 0);
        assert.ok(t.language === 'python' || t.language === 'node');
        for (const f of [...t.frames, ...t.causes.flatMap((c) => c.frames)]) {
          assert.ok(Number.isSafeInteger(f.line) && f.line >= 1);
          assert.equal(f.inWorkspace, false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('takes bounded time on 1 MB bodies built to make scanners backtrack', () => {
    const mb = 1024 * 1024;
    const bodies: Array<[string, string | undefined]> = [
      ['<'.repeat(mb), 'text/html'],
      ['<pre'.repeat(mb / 4), 'text/html'],
      ['<textarea>'.repeat(mb / 10), undefined],
      ['&#'.repeat(mb / 2), 'text/html'],
      ['"'.repeat(mb), 'application/json'],
      ['{"a":'.repeat(mb / 5), 'application/json'],
      ['['.repeat(mb), 'application/json'],
      [`${'"stack":"at f (/a.js:1:2)\\n",'.repeat(mb / 30)}`, 'application/json'],
      ['Traceback (most recent call last):\n  File "/a.py", line 1, in f\n'.repeat(mb / 64), 'text/plain'],
      ['    at f (/a.js:1:2)<br>'.repeat(mb / 24), 'text/html'],
      ['x'.repeat(4 * mb), undefined],
    ];
    for (const [b, ct] of bodies) {
      const start = performance.now();
      traceFromResponseBody(b, ct);
      const ms = performance.now() - start;
      assert.ok(ms < 5000, `${JSON.stringify(b.slice(0, 20))}…: ${Math.round(ms)} ms`);
    }
    assert.ok(MAX_BODY_CHARS >= mb);
  });
});
