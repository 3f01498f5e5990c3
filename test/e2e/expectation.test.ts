/** What the end-to-end tests expect, read from an example's FAULTS.md (no editor needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectationFor, faultFor, markdownTables, parseExpectation } from './expectation';

const shopApi = path.resolve(__dirname, '..', '..', 'examples', 'shop-api');

test('shop-api: the KeyError fault, its scenario and 11 passed / 8 failed before repair', () => {
  const e = expectationFor(shopApi, 1000);
  assert.equal(e.file, 'app/routers/carts.py');
  assert.equal(e.line, 46);
  assert.equal(e.code, 'KeyError');
  assert.equal(e.scenario, 'add item');
  assert.ok(e.scenarios);
  assert.equal(e.scenarios.length, 19);
  assert.equal(e.scenarios.filter((s) => s.passed).length, 11);
  assert.deepEqual(e.scenarios.find((s) => s.name === 'add item'), { name: 'add item', passed: false });
  assert.deepEqual(e.scenarios.find((s) => s.name === 'add item with catalogue price'), { name: 'add item with catalogue price', passed: true });
  assert.match("POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'", new RegExp(e.message));
});

test('a workspace without FAULTS.md gets the documented defaults and no scenario table', () => {
  const e = expectationFor(mkdtempSync(path.join(tmpdir(), 'e2e-expect-')), 1000);
  assert.equal(e.file, 'app/routers/carts.py');
  assert.equal(e.line, undefined);
  assert.equal(e.scenario, 'add item');
  assert.equal(e.scenarios, undefined);
});

test('fault and outcome tables are read by their headers, in any column order', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'e2e-expect-'));
  writeFileSync(
    path.join(dir, 'FAULTS.md'),
    [
      '| failing scenario(s) | where | sees |',
      '|---|---|---|',
      "| buy, pay | `src/shop.py:7` | `KeyError: 'price'` |",
      '',
      '| scenario | before repair |',
      '|----------|---------------|',
      '| buy | **fail** (500) |',
      '| list | pass |',
      '| note without outcome | |',
    ].join('\n'),
  );
  const e = expectationFor(dir, 1000);
  assert.equal(e.file, 'src/shop.py');
  assert.equal(e.line, 7);
  assert.equal(e.scenario, 'buy');
  assert.deepEqual(e.scenarios, [
    { name: 'buy', passed: false },
    { name: 'list', passed: true },
  ]);
});

test('markdownTables needs a separator row; text between tables ends a table', () => {
  const tables = markdownTables('| a | b |\n| not a separator |\n\n| x |\n|:--|\n| `1` |\ntext\n| y |\n');
  assert.deepEqual(tables, [{ header: ['x'], rows: [['1']] }]);
});

test('parseExpectation names what is wrong', () => {
  assert.throws(() => parseExpectation(undefined), /is not set/);
  assert.throws(() => parseExpectation('{'), /not JSON/);
  assert.throws(() => parseExpectation('{"file":"a"}'), /message/);
});

test('shop-api: the missing-import fault the quick-fix test repairs', () => {
  const f = faultFor(shopApi, /NameError: name 'uuid'/);
  assert.equal(f.file, 'app/routers/orders.py');
  assert.equal(f.line, 43);
  assert.equal(f.scenario, 'pay order');
  assert.match(f.fix, /import uuid/);
  assert.throws(() => faultFor(shopApi, /no such fault/), /FAULTS\.md: no fault row matches \/no such fault\//);
  assert.throws(() => faultFor(mkdtempSync(path.join(tmpdir(), 'e2e-expect-')), /x/), /FAULTS\.md: not found/);
});
