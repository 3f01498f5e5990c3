import { strict as assert } from 'node:assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig, parseConfigText } from '../../server/src/engine/config';
import { scenariosFromConfig } from '../../server/src/engine/smoke/scenarios';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'config');
const example = path.join(import.meta.dirname, '..', '..', 'examples', 'shop-api');

function errorsOf(text: string) {
  const r = parseConfigText(text, 'smoke-repair.yaml');
  assert.equal(r.ok, false, 'expected the configuration to be rejected');
  if (r.ok) throw new Error('unreachable');
  return r.errors.map((e) => ({ line: e.line, column: e.column, message: e.message, remedy: e.remedy }));
}

describe('loadConfig', () => {
  test('a valid file loads with defaults and the line of each scenario', async () => {
    const r = await loadConfig(fixtures, 'valid.yaml');
    assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.format()).join('\n'));
    assert.equal(r.config.smoke.concurrency, 4);
    assert.equal(r.config.smoke.timeoutMs, 10_000);
    assert.equal(r.config.app.healthTimeoutMs, 30_000);
    assert.deepEqual(r.scenarioLines, [12, 20, 26]);
    assert.equal(r.config.scenarios[0].request.method, 'POST');
    assert.equal(r.file, path.join(fixtures, 'valid.yaml'));
  });

  test('the example project configuration loads', async (t) => {
    const r = await loadConfig(example).catch(() => undefined);
    if (!r || (!r.ok && /no configuration file/.test(r.errors[0].message))) return t.skip('examples/shop-api is not there');
    assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.format()).join('\n'));
    assert.ok(r.config.scenarios.length > 5);
  });

  test('a missing file names the path and where to read how to write one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cfg-'));
    const r = await loadConfig(dir);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.errors[0].message, new RegExp(`no configuration file at ${path.join(dir, 'smoke-repair.yaml').replace(/[/.]/g, '\\$&')}`));
    assert.match(r.errors[0].remedy ?? '', /docs\/configuration\.md/);
  });

  test('a file read from disk reports errors with its absolute path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cfg-'));
    await writeFile(path.join(dir, 'smoke-repair.yaml'), 'app:\n  baseUrl: nope\n');
    const r = await loadConfig(dir);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.errors[0].file, path.join(dir, 'smoke-repair.yaml'));
    assert.equal(r.errors[0].line, 2);
  });
});

describe('parseConfigText errors are located', () => {
  test('a bad status value: at the value, in plain words', () => {
    const errs = errorsOf('app: {}\nscenarios:\n  - name: a\n    request: { method: GET, path: /a }\n  - name: b\n    request: { method: GET, path: /b }\n  - name: c\n    request: { method: GET, path: /c }\n    expect:\n      status: "20x"\n');
    assert.deepEqual(errs, [{ line: 10, column: 15, message: 'scenarios[2].expect.status: expected a number between 100 and 599 (or a list of them), got "20x"', remedy: undefined }]);
  });

  test('an unknown key: at the key, with the likely intended one', () => {
    const errs = errorsOf('app:\n  baseUrl: http://127.0.0.1:8000\n  helth: /healthz\n');
    assert.deepEqual(errs, [{ line: 3, column: 3, message: 'app: unknown key "helth"', remedy: 'did you mean "health"?' }]);
  });

  test('an unknown key without a close match lists the allowed keys', () => {
    const [e] = errorsOf('app: {}\nsmoke:\n  parallelism: 3\n');
    assert.equal(e.line, 3);
    assert.match(e.remedy ?? '', /keys allowed here: concurrency, timeoutMs, retries, pinTraces/);
  });

  test('a missing key: at the parent mapping', () => {
    const errs = errorsOf('app: {}\nscenarios:\n  - request:\n      method: GET\n      path: /x\n');
    assert.equal(errs.length, 1);
    assert.deepEqual([errs[0].line, errs[0].column], [3, 5]);
    assert.equal(errs[0].message, 'scenarios[0]: missing key "name" (expected a text)');
  });

  test('a missing top-level section: at line 1', () => {
    const errs = errorsOf('scenarios: []\n');
    assert.equal(errs[0].message, '(top level): missing key "app" (expected a mapping (indented `key: value` lines))');
    assert.equal(errs[0].line, 1);
  });

  test('wrong method, path without slash, bad URL, out-of-range numbers, quoted numbers', () => {
    const errs = errorsOf(
      [
        'app:',
        '  baseUrl: ftp://host', // 2
        'smoke:',
        '  concurrency: 0', // 4
        '  timeoutMs: "500"', // 5
        'scenarios:',
        '  - name: x',
        '    request:',
        '      method: GOT', // 9
        '      path: carts', // 10
      ].join('\n'),
    );
    const byLine = Object.fromEntries(errs.map((e) => [e.line, e]));
    assert.match(byLine[2].message, /app\.baseUrl: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/host"/);
    assert.equal(byLine[4].message, 'smoke.concurrency: expected a number at least 1, got 0');
    assert.equal(byLine[5].message, 'smoke.timeoutMs: expected a number, got "500"');
    assert.equal(byLine[5].remedy, 'write 500 without quotes');
    assert.match(byLine[9].message, /scenarios\[0\]\.request\.method: expected one of "GET", .*got "GOT"/);
    assert.equal(byLine[9].remedy, 'did you mean "GET"?');
    assert.equal(byLine[10].message, 'scenarios[0].request.path: expected a text starting with "/", got "carts"');
    assert.equal(byLine[10].remedy, 'write "/carts"');
    assert.equal(byLine[10].column, 13);
  });

  test('a bad variable name in save: at the key', () => {
    const [e] = errorsOf('app: {}\nscenarios:\n  - name: x\n    request: { method: GET, path: /x }\n    save:\n      1st: id\n');
    assert.deepEqual([e.line, e.column], [6, 7]);
    assert.match(e.message, /scenarios\[0\]\.save: "1st" is not a valid key \(a variable name is letters, digits and _\)/);
  });

  test('docker needs a container or a service', () => {
    const [e] = errorsOf('app:\n  docker:\n    project: shop\n');
    assert.equal(e.line, 3);
    assert.match(e.message, /app\.docker: docker needs `container` or `service`/);
  });

  test('YAML syntax errors: tabs, duplicate keys, unquoted braces', () => {
    const [tab] = errorsOf('app:\n\tbaseUrl: http://x\n');
    assert.equal(tab.line, 2);
    assert.match(tab.message, /^YAML syntax: /);
    assert.equal(tab.remedy, 'indent with spaces, not tabs');
    const [dup] = errorsOf('app: {}\napp: {}\n');
    assert.equal(dup.line, 2);
    assert.equal(dup.remedy, 'keep one of the two keys');
    const braces = errorsOf('app: {}\nscenarios:\n  - name: x\n    request: { method: GET, path: /a/{id} }\n');
    assert.equal(braces[0].line, 4);
    assert.match(braces[0].remedy ?? '', /put the value in quotes/);
    assert.ok(braces.length <= 5);
  });

  test('a document that is not a mapping', () => {
    const [e] = errorsOf('- just\n- a list\n');
    assert.match(e.message, /expected a mapping of settings .*got a list/);
  });
});

describe('scenarios from the file', () => {
  test('ids are slugs, deduplicated; sources carry lines; saved variables chain later users', async () => {
    const text = [
      'app: {}',
      'scenarios:',
      '  - name: Create Cart!', // 3
      '    request: { method: POST, path: /carts }',
      '    save: { cart_id: id }',
      '  - name: health', // 6
      '    request: { method: GET, path: /health }',
      '  - name: create cart', // 8
      '    request: { method: GET, path: "/carts/{cart_id}" }',
      '  - name: other',
      '    chain: mine',
      '    request: { method: GET, path: /x }',
    ].join('\n');
    const r = parseConfigText(text, '/ws/smoke-repair.yaml');
    assert.ok(r.ok);
    const list = scenariosFromConfig(r.config, 'smoke-repair.yaml', r.scenarioLines);
    assert.deepEqual(list.map((s) => s.id), ['create-cart', 'health', 'create-cart-2', 'other']);
    assert.deepEqual(list.map((s) => (s.source.kind === 'file' ? s.source.line : 0)), [3, 6, 8, 10]);
    assert.equal(list[0].chain, 'flow:create-cart');
    assert.equal(list[2].chain, 'flow:create-cart');
    assert.deepEqual([list[0].order, list[2].order], [0, 1]);
    assert.equal(list[1].chain, undefined);
    assert.equal(list[3].chain, 'mine');
    assert.deepEqual(list[0].expectStatus, [200]);
  });
});

describe('parseConfigText never throws', () => {
  const valid = `version: 1\napp:\n  baseUrl: http://127.0.0.1:8000\nsmoke:\n  concurrency: 2\nscenarios:\n  - name: a\n    request: { method: GET, path: /a }\n    expect: { status: 200, json: { x: 1 } }\n    save: { v: id }\n`;

  test('random YAML-ish text', () => {
    const alphabet = fc.constantFrom(...'ab: -\n\t{}[]"\'#&*!|>%@`,?0123456789.'.split(''), 'app', 'scenarios', 'name', 'request', '  ', '\n  - ');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 200 }).map((a) => a.join('')), (text) => {
        const r = parseConfigText(text, 'f.yaml');
        if (!r.ok) for (const e of r.errors) assert.ok(e.line >= 1 && e.column >= 1 && e.message.length > 0);
      }),
      { numRuns: 1500 },
    );
  });

  test('mutated valid configurations', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 6 }), (edits) => {
        let text = valid;
        for (const [pos, kind, s] of edits) {
          const at = pos % (text.length + 1);
          if (kind === 0) text = text.slice(0, at) + s + text.slice(at);
          else if (kind === 1) text = text.slice(0, at) + text.slice(at + s.length + 1);
          else if (kind === 2) text = text.slice(0, at) + '\n' + text.slice(at);
          else if (kind === 3) text = text.slice(0, at) + ' ' + text.slice(at);
          else if (kind === 4) text = text.replace(/\d+/, s || '"x"');
          else if (kind === 5) text = text.slice(0, at) + '{' + text.slice(at);
          else text = text.slice(0, at) + '*a &a ' + text.slice(at);
        }
        const r = parseConfigText(text, 'f.yaml');
        if (!r.ok) for (const e of r.errors) assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.message.length > 0);
      }),
      { numRuns: 1500 },
    );
  });

  test('hostile inputs: alias bombs, huge numbers, deep nesting, non-string keys', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    for (const text of [bomb, 'app: {}\nsmoke: { concurrency: 1e400 }\n', '['.repeat(5000), 'app:\n  ? [a, b]\n  : c\n', '', '---\n---\n', '\u0000\u0001']) {
      const r = parseConfigText(text, 'f.yaml');
      assert.equal(typeof r.ok, 'boolean');
    }
  });
});
