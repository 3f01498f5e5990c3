import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fixPlanSchema, type FixPlan, type Operation } from '../../server/src/engine/plan/schema';
import { routePathRule, routerNotIncludedRule, statusCodeRule } from '../../server/src/engine/plan/rules/routing';
import { includeRouter, setStatusCode, updateRoute } from '../../server/src/engine/patch/executors/code';
import type { NoPlan, Rule } from '../../server/src/engine/repair/types';
import { copyWorkspace, EXAMPLES, executorContext, FIXTURES, nodeCheck, planningContext, pyCompile, violation } from './routing-helpers';

const EXECUTORS = { include_router: includeRouter, set_status_code: setStatusCode, update_route: updateRoute } as const;

async function planWith(rule: Rule, workspace: string, v: Parameters<typeof violation>[0], config?: Record<string, unknown>): Promise<FixPlan> {
  const out = await rule.plan(await planningContext(workspace, violation(v), config));
  assert.ok(!('reason' in out), `expected a plan, got: ${'reason' in out ? (out as NoPlan).reason : ''}`);
  return fixPlanSchema.parse(out);
}

async function noPlanWith(rule: Rule, workspace: string, v: Parameters<typeof violation>[0]): Promise<NoPlan> {
  const out = await rule.plan(await planningContext(workspace, violation(v)));
  assert.ok('reason' in out, `expected no plan, got ${JSON.stringify(out)}`);
  return out as NoPlan;
}

/** Apply the plan's single operation to a temp copy of the workspace; returns before/after text and the file's path in the copy. */
async function applyToCopy(workspace: string, plan: FixPlan): Promise<{ before: string; after: string; full: string; dispose(): Promise<void> }> {
  assert.equal(plan.operations.length, 1);
  const op = plan.operations[0]! as Operation;
  const copy = await copyWorkspace(workspace);
  const ctx = await executorContext(copy.dir, op.file);
  const exec = EXECUTORS[op.type as keyof typeof EXECUTORS] as (o: Operation, c: typeof ctx) => string | Promise<string>;
  const after = await exec(op, ctx);
  const full = path.join(copy.dir, op.file);
  await writeFile(full, after);
  return { before: ctx.text, after, full, dispose: copy.dispose };
}

const SHOP = path.join(EXAMPLES, 'shop-api');
const TODO = path.join(EXAMPLES, 'todo-api-node');

test('shop-api: the reviews router is included in app/main.py (fault c)', async () => {
  const plan = await planWith(routerNotIncludedRule, SHOP, { scenario: 'review product', method: 'POST', path: '/products/{product_id}/reviews', expectedStatus: 201, actualStatus: 404 });
  assert.equal(plan.category, 'ROUTE');
  assert.deepEqual(plan.files, ['app/main.py']);
  assert.deepEqual(plan.operations[0]!.details, { framework: 'fastapi', module: 'app.routers.reviews', router: 'router' });
  const r = await applyToCopy(SHOP, plan);
  try {
    assert.match(r.after, /^from app\.routers import carts, customers, orders, products, reviews$/m);
    assert.match(r.after, /app\.include_router\(orders\.router\)\napp\.include_router\(reviews\.router\)\n/);
    const added = r.after.split('\n').filter((l) => !r.before.split('\n').includes(l));
    assert.equal(added.length, 2, added.join('\n'));
    await pyCompile(r.full);
    // Determinism: the same plan on the same files gives the same bytes.
    const again = await applyToCopy(SHOP, plan);
    assert.equal(again.after, r.after);
    await again.dispose();
  } finally {
    await r.dispose();
  }
  // The other route of the same router gets the same plan.
  const list = await planWith(routerNotIncludedRule, SHOP, { scenario: 'list reviews', method: 'GET', path: '/products/{product_id}/reviews', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(list.operations, plan.operations.map((o) => ({ ...o, evidence: list.operations[0]!.evidence })));
  // The example itself is untouched.
  assert.doesNotMatch(await readFile(path.join(SHOP, 'app/main.py'), 'utf8'), /reviews/);
});

test('todo-api-node: the tags router is mounted at /tags in src/app.js (fault c)', async () => {
  const plan = await planWith(routerNotIncludedRule, TODO, { scenario: 'create tag', method: 'POST', path: '/tags', expectedStatus: 201, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { framework: 'express', module: './routes/tags', router: 'default', mountPath: '/tags' });
  const r = await applyToCopy(TODO, plan);
  try {
    assert.match(r.after, /const todosRouter = require\('\.\/routes\/todos'\);\nconst tagsRouter = require\('\.\/routes\/tags'\);\n/);
    assert.match(r.after, /  app\.use\('\/lists\/:listId\/todos', todosRouter\);\n  app\.use\('\/tags', tagsRouter\);\n\n  app\.use\(notFound\);/);
    await nodeCheck(r.full);
    // Once mounted, the rule has nothing more to do, and the executor refuses a second mount.
    const dir = path.dirname(path.dirname(r.full));
    const again = await noPlanWith(routerNotIncludedRule, dir, { scenario: 'create tag', method: 'POST', path: '/tags', expectedStatus: 201, actualStatus: 404 });
    assert.equal(again.code, 'not_applicable');
    await assert.rejects(async () => includeRouter(plan.operations[0] as never, await executorContext(dir, 'src/app.js')), /already mounted/);
  } finally {
    await r.dispose();
  }
});

test('shop-api: add address answers 201 (fault d): only the number changes', async () => {
  const plan = await planWith(statusCodeRule, SHOP, {
    scenario: 'add address',
    method: 'POST',
    path: '/customers/{customer_id}/addresses',
    expectedStatus: 201,
    actualStatus: 200,
    location: { file: 'app/routers/customers.py', line: 37, column: 1 },
    locationKind: 'handler',
  });
  assert.equal(plan.category, 'STATUS_CODE');
  assert.deepEqual(plan.operations[0]!.details, { method: 'POST', path: '/customers/{customer_id}/addresses', from: 200, to: 201, line: 36 });
  const r = await applyToCopy(SHOP, plan);
  try {
    assert.equal(r.after, r.before.replace('AddressOut, status_code=200)', 'AddressOut, status_code=201)'));
    await pyCompile(r.full);
  } finally {
    await r.dispose();
  }
  // Without a handler location, the handler is found from the route.
  const found = await planWith(statusCodeRule, SHOP, { scenario: 'add address', method: 'POST', path: '/customers/{customer_id}/addresses', expectedStatus: 201, actualStatus: 200 });
  assert.deepEqual(found.operations[0]!.details, plan.operations[0]!.details);
});

test('todo-api-node: comment on todo answers 201 (fault d): res.json( becomes res.status(201).json(', async () => {
  const plan = await planWith(statusCodeRule, TODO, {
    scenario: 'comment on todo',
    method: 'POST',
    path: '/lists/{list_id}/todos/{todo_id}/comments',
    expectedStatus: 201,
    actualStatus: 200,
    location: { file: 'src/routes/todos.js', line: 44, column: 1 },
    locationKind: 'handler',
  });
  const r = await applyToCopy(TODO, plan);
  try {
    assert.equal(r.after, r.before.replace('  res.json(comment);', '  res.status(201).json(comment);'));
    assert.match(r.after, /res\.status\(400\)\.json\(\{ error: 'text is required' \}\)/, 'the deliberate 400 is left alone');
    await nodeCheck(r.full);
  } finally {
    await r.dispose();
  }
});

test('the status rule never turns an error into a success', async () => {
  const five = await noPlanWith(statusCodeRule, SHOP, { method: 'POST', path: '/orders/{order_id}/pay', expectedStatus: 200, actualStatus: 500 });
  assert.equal(five.code, 'not_applicable');
  const four = await noPlanWith(statusCodeRule, TODO, { method: 'POST', path: '/lists/{list_id}/todos/{todo_id}/comments', expectedStatus: 201, actualStatus: 400 });
  assert.match(four.reason, /never a 5xx or a deliberate 4xx/);
});

test('the logic faults (shop-api order total, todo-api-node list stats) get no plan from any routing rule, with a reason', async () => {
  const cases = [
    [SHOP, { scenario: 'order total', method: 'GET', path: '/orders/{order_id}', expectedStatus: 200, actualStatus: 200, message: 'GET /orders/{order_id} → 200 (expected 200): expected total = 37.5, got 12.5', locationKind: 'handler' as const, location: { file: 'app/routers/orders.py', line: 34 } }],
    [TODO, { scenario: 'list stats', method: 'GET', path: '/lists/{list_id}/stats', expectedStatus: 200, actualStatus: 200, message: 'GET /lists/{list_id}/stats → 200 (expected 200): expected open = 2, got 1', locationKind: 'handler' as const, location: { file: 'src/routes/lists.js', line: 37 } }],
  ] as const;
  for (const [ws, v] of cases) {
    for (const rule of [routerNotIncludedRule, statusCodeRule, routePathRule]) {
      const np = await noPlanWith(rule, ws, v);
      assert.equal(np.code, 'no_rule', `${rule.id}: ${np.reason}`);
      assert.match(np.reason, /logic error no rule can fix/);
    }
  }
});

test('route path rule: a 404 on a router that is never included is not a path problem', async () => {
  const np = await noPlanWith(routePathRule, SHOP, { method: 'POST', path: '/products/{product_id}/reviews', expectedStatus: 201, actualStatus: 404 });
  assert.match(np.reason, /never included/);
  const missing = await noPlanWith(routePathRule, TODO, { method: 'POST', path: '/tags', expectedStatus: 201, actualStatus: 404 });
  assert.equal(missing.code, 'not_applicable');
  // A 404 from a handler (missing resource) on a declared, included route: not routing at all.
  const handler = await noPlanWith(routerNotIncludedRule, SHOP, { method: 'GET', path: '/products/{product_id}', expectedStatus: 200, actualStatus: 404 });
  assert.match(handler.reason, /comes from the handler/);
});

// ---------------------------------------------------------------- fixtures

const FASTAPI = path.join(FIXTURES, 'fastapi-multiline');
const EXPRESS = path.join(FIXTURES, 'express-chained');
const FLASK = path.join(FIXTURES, 'flask-bp');

test('route path: a typo in a multi-line decorator is corrected, keeping the parameter name', async () => {
  const plan = await planWith(routePathRule, FASTAPI, { method: 'GET', path: '/items/{id}/details', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { method: 'GET', from: '/{item_id}/detials', to: '/{item_id}/details', line: 6 });
  const r = await applyToCopy(FASTAPI, plan);
  try {
    assert.equal(r.after, r.before.replace('"/{item_id}/detials"', '"/{item_id}/details"'));
    await pyCompile(r.full);
  } finally {
    await r.dispose();
  }
});

test('route path: a missing segment and an extra segment', async () => {
  const extra = await planWith(routePathRule, FASTAPI, { method: 'GET', path: '/users/{user_id}/profile', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(extra.operations[0]!.details, { method: 'GET', from: '/{user_id}/profile/full', to: '/{user_id}/profile', line: 6 });
  const missing = await planWith(routePathRule, EXPRESS, { method: 'POST', path: '/api/users', expectedStatus: 201, actualStatus: 404 });
  assert.deepEqual(missing.operations[0]!.details, { method: 'POST', from: '/user', to: '/users', line: 16 });
  // A different parameter name is not a difference; a different parameter position is not "small".
  const same = await noPlanWith(routePathRule, FASTAPI, { method: 'GET', path: '/items/{x}/detials', expectedStatus: 200, actualStatus: 404 });
  assert.match(same.reason, /declared as written/);
  const far = await noPlanWith(routePathRule, FASTAPI, { method: 'GET', path: '/warehouses/{id}/stock', expectedStatus: 200, actualStatus: 404 });
  assert.equal(far.code, 'not_applicable');
});

test('route path on a chained Express .route() in a CRLF file keeps CRLF and every other byte', async () => {
  const plan = await planWith(routePathRule, EXPRESS, { method: 'PUT', path: '/api/user/{id}', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { method: 'PUT', from: '/users/:userId', to: '/user/:userId', line: 7 });
  const r = await applyToCopy(EXPRESS, plan);
  try {
    assert.equal(r.after, r.before.replace("route('/users/:userId')", "route('/user/:userId')"));
    assert.equal(r.after.split('\r\n').length, r.before.split('\r\n').length);
    await nodeCheck(r.full);
  } finally {
    await r.dispose();
  }
});

test('include router: parenthesised imports, multi-line include calls, CRLF Express, Flask blueprints', async () => {
  const fa = await planWith(routerNotIncludedRule, FASTAPI, { method: 'GET', path: '/orders/{id}', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(fa.operations[0]!.details, { framework: 'fastapi', module: 'svc.api.orders', router: 'router' });
  let r = await applyToCopy(FASTAPI, fa);
  try {
    assert.match(r.after, /from svc\.api import \(\n    items,\n    orders,\n    users,\n\)/);
    assert.match(r.after, /    application\.include_router\(users\.router\)\n    application\.include_router\(orders\.router\)\n$/);
    await pyCompile(r.full);
  } finally {
    await r.dispose();
  }
  const ex = await planWith(routerNotIncludedRule, EXPRESS, { method: 'GET', path: '/invoices', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(ex.operations[0]!.details, { framework: 'express', module: './routes/invoices', router: 'default', mountPath: '/invoices' });
  r = await applyToCopy(EXPRESS, ex);
  try {
    assert.ok(r.after.includes("const usersRouter = require('./routes/users');\r\nconst invoicesRouter = require('./routes/invoices');\r\n"));
    assert.ok(r.after.includes("app.use('/api', usersRouter);\r\napp.use('/invoices', invoicesRouter);\r\n"));
    assert.doesNotMatch(r.after.replace(/\r\n/g, ''), /\n/, 'no bare LF in a CRLF file');
    await nodeCheck(r.full);
  } finally {
    await r.dispose();
  }
  const fl = await planWith(routerNotIncludedRule, FLASK, { method: 'POST', path: '/admin/stats', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(fl.operations[0]!.details, { framework: 'flask', module: 'web.admin', router: 'bp' });
  assert.deepEqual(fl.files, ['web/__init__.py']);
  r = await applyToCopy(FLASK, fl);
  try {
    assert.match(r.after, /^from web import admin, pages$/m);
    assert.match(r.after, /    app\.register_blueprint\(pages\.bp\)\n    app\.register_blueprint\(admin\.bp\)\n/);
    await pyCompile(r.full);
  } finally {
    await r.dispose();
  }
});

test('status code: a status constant and a decorator with no status', async () => {
  const ws = await copyWorkspace(FASTAPI);
  try {
    const named = await planWith(statusCodeRule, ws.dir, { method: 'PUT', path: '/items/{item_id}', expectedStatus: 201, actualStatus: 200 });
    let ctx = await executorContext(ws.dir, 'svc/api/items.py');
    let after = await setStatusCode(named.operations[0] as never, ctx);
    assert.equal(after, ctx.text.replace('status.HTTP_200_OK', 'status.HTTP_201_CREATED'));
    const none = await planWith(statusCodeRule, ws.dir, { method: 'POST', path: '/items', expectedStatus: 201, actualStatus: 200 });
    after = await setStatusCode(none.operations[0] as never, ctx);
    assert.equal(after, ctx.text.replace('    "",\n    response_model=dict,\n)', '    "",\n    response_model=dict,\n    status_code=201,\n)'));
    await writeFile(path.join(ws.dir, 'svc/api/items.py'), after);
    await pyCompile(path.join(ws.dir, 'svc/api/items.py'));
    // The executor checks what it replaces.
    ctx = await executorContext(ws.dir, 'svc/api/items.py');
    await assert.rejects(async () => setStatusCode(none.operations[0] as never, ctx), /declares status_code=201, not 200/);
  } finally {
    await ws.dispose();
  }
});
