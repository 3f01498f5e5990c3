import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { antiPatternPlanner, createAntiPatternPlanner, loadCatalog } from '../../server/src/engine/plan/antipatterns';
import { BUILTIN_CATALOG } from '../../server/src/engine/plan/antipatterns/catalog';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';
import { replacePattern } from '../../server/src/engine/patch/executors/code';
import { copyWorkspace, EXAMPLES, executorContext, nodeCheck, nodeTrace, planningContext, pyCompile, pythonTrace, violation } from './routing-helpers';

const SHOP = path.join(EXAMPLES, 'shop-api');
const TODO = path.join(EXAMPLES, 'todo-api-node');

test('the built-in catalog validates; a bad entry is reported with its place', () => {
  assert.ok(loadCatalog().length >= 9);
  assert.throws(() => loadCatalog([...BUILTIN_CATALOG, { ...BUILTIN_CATALOG[0], extra: 1 }]), /\[9\]: .*extra/s);
  assert.throws(() => loadCatalog([{ ...BUILTIN_CATALOG[0], wrong: { regex: '(' } }]), /\[0\.wrong\.regex\]: not a regular expression/);
  assert.throws(() => loadCatalog([BUILTIN_CATALOG[0], BUILTIN_CATALOG[0]]), /listed twice/);
  assert.throws(() => loadCatalog([{ ...BUILTIN_CATALOG[0], confidence: 2 }]), /\[0\.confidence\]/);
});

test('shop-api fault e: data["price"] becomes product.price (the catalogue row), and the file still compiles', async () => {
  const v = violation({
    scenario: 'add item',
    method: 'POST',
    path: '/carts/{cart_id}/items',
    expectedStatus: 201,
    actualStatus: 500,
    trace: pythonTrace('KeyError', "'price'", 'app/routers/carts.py', 46, 'add_item'),
    locationKind: 'frame',
    location: { file: 'app/routers/carts.py', line: 46 },
  });
  const out = await antiPatternPlanner.plan(await planningContext(SHOP, v));
  assert.ok(out.ok, JSON.stringify(out));
  const plan = fixPlanSchema.parse(out.plans[0]);
  assert.equal(plan.category, 'ANTI_PATTERN');
  assert.deepEqual(plan.operations[0]!.details, { pattern: 'py-payload-key-from-row', find: 'data["price"]', replace: 'product.price' });
  assert.ok(plan.operations[0]!.evidence.some((e) => /product is a Product row/.test(e)));
  assert.ok(plan.operations[0]!.evidence.some((e) => /price is optional in CartItemIn/.test(e)));
  const copy = await copyWorkspace(SHOP);
  try {
    const ctx = await executorContext(copy.dir, 'app/routers/carts.py');
    const after = await replacePattern(plan.operations[0] as never, ctx);
    assert.equal(after, ctx.text.replace('unit_price=data["price"],', 'unit_price=product.price,'));
    await writeFile(path.join(copy.dir, 'app/routers/carts.py'), after);
    await pyCompile(path.join(copy.dir, 'app/routers/carts.py'));
  } finally {
    await copy.dispose();
  }
  // A KeyError on a key no loaded row has: no plan.
  const other = await antiPatternPlanner.plan(await planningContext(SHOP, { ...v, trace: pythonTrace('KeyError', "'quantity'", 'app/routers/carts.py', 45, 'add_item') }));
  assert.equal(other.ok, false);
});

test('the logic faults and traceless failures get no plan, with a reason', async () => {
  const total = violation({ scenario: 'order total', method: 'GET', path: '/orders/{order_id}', expectedStatus: 200, actualStatus: 200, message: 'GET /orders/{order_id} → 200 (expected 200): expected total = 37.5, got 12.5' });
  const a = await antiPatternPlanner.plan(await planningContext(SHOP, total));
  assert.ok(!a.ok && a.noPlan.code === 'no_rule' && /logic error/.test(a.noPlan.reason));
  const stats = violation({ scenario: 'list stats', method: 'GET', path: '/lists/{list_id}/stats', expectedStatus: 200, actualStatus: 200, message: 'GET /lists/{list_id}/stats → 200 (expected 200): expected open = 2, got 1' });
  const b = await antiPatternPlanner.plan(await planningContext(TODO, stats));
  assert.ok(!b.ok && /logic error/.test(b.noPlan.reason));
  // A NameError (fault a) is not an anti-pattern.
  const name = violation({ method: 'POST', path: '/orders/{order_id}/pay', expectedStatus: 200, actualStatus: 500, trace: pythonTrace('NameError', "name 'uuid' is not defined", 'app/routers/orders.py', 43, 'pay_order') });
  const c = await antiPatternPlanner.plan(await planningContext(SHOP, name));
  assert.ok(!c.ok && /no catalog entry for NameError/.test(c.noPlan.reason));
});

async function planOn(files: Record<string, string>, trace: ReturnType<typeof pythonTrace>) {
  const { mkdtemp, mkdir, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'antipattern-'));
  for (const [f, t] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), t);
  }
  const v = violation({ method: 'GET', path: '/x', expectedStatus: 200, actualStatus: 500, trace });
  const out = await createAntiPatternPlanner().plan(await planningContext(dir, v));
  return { out, dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

test('entries without an exception match anywhere in the failing function, and the results parse', async () => {
  const py = [
    'from datetime import datetime, timezone',
    '',
    'def handler(items=[]):',
    '    stamp = datetime.utcnow()',
    '    if stamp == None:',
    '        return 1',
    '    raise ValueError("boom")',
    '',
    'def other():',
    '    return datetime.utcnow()',
    '',
  ].join('\r\n');
  const r = await planOn({ 'app/h.py': py }, pythonTrace('ValueError', 'boom', 'app/h.py', 7, 'handler'));
  try {
    assert.ok(r.out.ok, JSON.stringify(r.out));
    const byId = new Map(r.out.plans.map((p) => [(p.operations[0]!.details as { pattern: string }).pattern, p.operations[0]!]));
    assert.deepEqual([...byId.keys()].sort(), ['py-eq-none', 'py-mutable-default', 'py-utcnow-imported']);
    // utcnow occurs twice in the file: the whole line is the snippet.
    assert.deepEqual(byId.get('py-utcnow-imported')!.details, { pattern: 'py-utcnow-imported', find: '    stamp = datetime.utcnow()', replace: '    stamp = datetime.now(timezone.utc)' });
    assert.deepEqual(byId.get('py-eq-none')!.details, { pattern: 'py-eq-none', find: 'stamp == None', replace: 'stamp is None' });
    const md = byId.get('py-mutable-default')!;
    assert.equal((md.details as { replace: string }).replace, 'def handler(items=None):\r\n    if items is None:\r\n        items = []');
    for (const op of r.out.plans.map((p) => p.operations[0]!)) {
      const ctx = await executorContext(r.dir, 'app/h.py');
      const after = await replacePattern(op as never, ctx);
      await writeFile(path.join(r.dir, 'app/h.py'), after);
      await pyCompile(path.join(r.dir, 'app/h.py'));
      await writeFile(path.join(r.dir, 'app/h.py'), ctx.text);
    }
  } finally {
    await r.dispose();
  }
});

test('Express entries: res.send(JSON.stringify(x)), a missing await, loose null checks', async () => {
  const js = [
    "'use strict';",
    'async function loadUser(id) { return { id }; }',
    "router.get('/u/:id', async (req, res) => {",
    '  if (req.query.x == null) {',
    '    res.send(JSON.stringify({ a: 1 }));',
    '    return;',
    '  }',
    '  res.json(loadUser(req.params.id));',
    '  throw new TypeError("x");',
    '});',
    '',
  ].join('\n');
  const r = await planOn({ 'src/u.js': js }, nodeTrace('TypeError', 'x', 'src/u.js', 9));
  try {
    assert.ok(r.out.ok, JSON.stringify(r.out));
    const ops = r.out.plans.map((p) => p.operations[0]!.details as { pattern: string; find: string; replace: string });
    assert.deepEqual(ops.map((o) => o.pattern), ['js-send-json-stringify', 'js-missing-await', 'js-loose-null-check']);
    assert.equal(ops[0]!.replace, 'res.json({ a: 1 })');
    assert.equal(ops[1]!.replace, 'res.json(await loadUser(');
    assert.equal(ops[2]!.replace, '(req.query.x === null || req.query.x === undefined)');
    for (const op of r.out.plans.map((p) => p.operations[0]!)) {
      const ctx = await executorContext(r.dir, 'src/u.js');
      await writeFile(path.join(r.dir, 'src/u.js'), await replacePattern(op as never, ctx));
      await nodeCheck(path.join(r.dir, 'src/u.js'));
      await writeFile(path.join(r.dir, 'src/u.js'), ctx.text);
    }
  } finally {
    await r.dispose();
  }
});
