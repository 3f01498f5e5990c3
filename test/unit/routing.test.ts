import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixPlanSchema, type FixPlan, type Operation } from '../../server/src/engine/fixPlan';
import { GUARDS_MARKER, routePathRule, routerNotIncludedRule, SHARED_ROUTE_MARKER, statusCodeRule } from '../../server/src/engine/plan/rules/routing';
import { includeRouter, modifyCode, setStatusCode, updateRoute } from '../../server/src/engine/patch/executors/code';
import type { NoPlan, Rule } from '../../server/src/engine/contracts';
import { copyWorkspace, EXAMPLES, executorContext, FIXTURES, nodeCheck, planningContext, pyCompile, violation, workspaceOf, writeText, type PlanningOptions } from './routing-helpers';

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

// ---------------------------------------------------------------- apps written the way other people write them

const LIB = path.join(FIXTURES, 'express4-library');
const BOARDS = path.join(FIXTURES, 'express5-boards');
const SERVED = path.join(FIXTURES, 'fastapi-served');
const SHELF = path.join(FIXTURES, 'flask-shelf');
const SINGLE = path.join(FIXTURES, 'flask-single');
/** A configuration whose app is started by this command. */
const runs = (command: string) => ({ app: { process: { command } } });
const BLOG = path.join(FIXTURES, 'express-blog');

async function ruleOutcome(rule: Rule, workspace: string, v: Parameters<typeof violation>[0], config: Record<string, unknown> = {}, opts: PlanningOptions = {}): Promise<FixPlan | NoPlan> {
  const out = await rule.plan(await planningContext(workspace, violation(v), config, opts));
  return 'reason' in out ? (out as NoPlan) : fixPlanSchema.parse(out);
}

async function planOf(rule: Rule, workspace: string, v: Parameters<typeof violation>[0], config: Record<string, unknown> = {}, opts: PlanningOptions = {}): Promise<FixPlan> {
  const out = await ruleOutcome(rule, workspace, v, config, opts);
  assert.ok(!('reason' in out), `expected a plan, got: ${'reason' in out ? out.reason : ''}`);
  return out as FixPlan;
}

async function refusalOf(rule: Rule, workspace: string, v: Parameters<typeof violation>[0], config: Record<string, unknown> = {}, opts: PlanningOptions = {}): Promise<NoPlan> {
  const out = await ruleOutcome(rule, workspace, v, config, opts);
  assert.ok('reason' in out, `expected no plan, got ${JSON.stringify(out)}`);
  return out as NoPlan;
}

/** Apply a one-operation plan of any code type to a copy; check the file still parses. */
async function applied(workspace: string, plan: FixPlan): Promise<{ before: string; after: string }> {
  assert.equal(plan.operations.length, 1);
  const op = plan.operations[0]! as Operation;
  const copy = await copyWorkspace(workspace);
  try {
    const ctx = await executorContext(copy.dir, op.file);
    const exec = { ...EXECUTORS, modify_code: modifyCode }[op.type as keyof typeof EXECUTORS | 'modify_code'] as (o: Operation, c: typeof ctx) => string | Promise<string>;
    const after = await exec(op, ctx);
    const full = await writeText(copy.dir, op.file, after);
    if (op.file.endsWith('.py')) await pyCompile(full);
    else await nodeCheck(full);
    return { before: ctx.text, after };
  } finally {
    await copy.dispose();
  }
}

test('Flask status: a tuple return gets its status changed; a return without one gets it added; never a status_code in a Flask decorator', async () => {
  const cfg = runs('flask --app shelf run');
  const tuple = await planOf(statusCodeRule, SHELF, { scenario: 'create book', method: 'POST', path: '/api/books/', expectedStatus: 201, actualStatus: 200 }, cfg);
  assert.equal(tuple.category, 'STATUS_CODE');
  assert.deepEqual(tuple.files, ['shelf/books.py']);
  let r = await applied(SHELF, tuple);
  assert.equal(r.after, r.before.replace('    return book, 200\n', '    return book, 201\n'));

  const bare = await planOf(statusCodeRule, SHELF, { scenario: 'lend', method: 'POST', path: '/api/books/{book_id}/loans', expectedStatus: 201, actualStatus: 200 }, cfg);
  r = await applied(SHELF, bare);
  assert.equal(r.after, r.before.replace('    return jsonify(loan)\n', '    return jsonify(loan), 201\n'));
  assert.doesNotMatch(JSON.stringify(bare.operations), /status_code/);

  // HTTPStatus names stay names.
  const named = await planOf(statusCodeRule, SHELF, { scenario: 'delete book', method: 'DELETE', path: '/api/books/{book_id}', expectedStatus: 204, actualStatus: 200 }, cfg);
  r = await applied(SHELF, named);
  assert.equal(r.after, r.before.replace('return "", HTTPStatus.OK', 'return "", HTTPStatus.NO_CONTENT'));
});

test('Flask status: a view serving GET and POST changes only the POST branch; a nested function is not the view', async () => {
  const post = await planOf(statusCodeRule, SHELF, { scenario: 'join', method: 'POST', path: '/members/', expectedStatus: 201, actualStatus: 202 });
  let r = await applied(SHELF, post);
  assert.equal(r.after, r.before.replace('return jsonify(member), 202', 'return jsonify(member), 201'));
  assert.match(r.after, /^    return jsonify\(MEMBERS\)$/m, 'the GET answer is left alone');

  const card = await planOf(statusCodeRule, SHELF, { scenario: 'card', method: 'GET', path: '/members/{name}/card', expectedStatus: 203, actualStatus: 200 });
  r = await applied(SHELF, card);
  assert.equal(r.after, r.before.replace('    return jsonify(render(name))\n', '    return jsonify(render(name)), 203\n'));
  assert.match(r.after, /return \{"card": n\}, 200/, "the nested helper's return is not the view's");

  // One return answers GET and PUT alike: giving it PUT's status would change GET's.
  const both = await refusalOf(statusCodeRule, SHELF, { method: 'PUT', path: '/members/{name}/badge', expectedStatus: 201, actualStatus: 200 });
  assert.equal(both.code, 'unsafe');
  assert.match(both.reason, /also answers GET/);

  // The status answered matches no return of the view: it sets it elsewhere; no guess.
  const other = await refusalOf(statusCodeRule, SHELF, { method: 'POST', path: '/members/', expectedStatus: 201, actualStatus: 200 });
  assert.equal(other.code, 'insufficient_evidence');
  assert.match(other.reason, /returns 200 for POST from 0 places/);
});

test('Flask status in a one-module app: a multi-line tuple and converters', async () => {
  const plan = await planOf(statusCodeRule, SINGLE, { scenario: 'restock', method: 'POST', path: '/items/{sku}/restock', expectedStatus: 200, actualStatus: 202 }, runs('python -m flask --app inventory run'));
  const r = await applied(SINGLE, plan);
  assert.equal(r.after, r.before.replace('        202,\n    )', '        200,\n    )'));
  const item = await planOf(statusCodeRule, SINGLE, { scenario: 'get item', method: 'GET', path: '/items/SKU-1042', expectedStatus: 203, actualStatus: 200 });
  assert.match((item.operations[0]!.details as { find: string }).find, /return jsonify\(ITEMS\.get\(sku\)\)/);
});

test('FastAPI status: the module the run command serves, never a look-alike it does not', async () => {
  const v = { scenario: 'create user', method: 'POST', path: '/users/', expectedStatus: 201, actualStatus: 200 } as const;
  const main = await planOf(statusCodeRule, SERVED, v, runs('uvicorn sql_app.main:app --port 8000'));
  assert.deepEqual(main.files, ['sql_app/main.py']);
  assert.deepEqual(main.operations[0]!.details, { method: 'POST', path: '/users/', from: 200, to: 201, line: 11 });
  assert.ok(main.operations[0]!.evidence.some((e) => /uvicorn sql_app\.main:app.*serves sql_app\/main\.py:6/.test(e)), main.operations[0]!.evidence.join('\n'));
  // The image's CMD says the same through gunicorn's uvicorn worker.
  const docker = await planOf(statusCodeRule, SERVED, v, { app: { docker: { service: 'api' } } });
  assert.deepEqual(docker.files, ['sql_app/main.py']);
  const alt = await planOf(statusCodeRule, SERVED, v, runs('gunicorn -k uvicorn.workers.UvicornWorker sql_app.alt_main:app'));
  assert.deepEqual(alt.files, ['sql_app/alt_main.py']);
  // Nothing tells which app runs: no file is picked.
  const unsure = await refusalOf(statusCodeRule, SERVED, v, {}, { hide: /Dockerfile|compose/ });
  assert.equal(unsure.code, 'insufficient_evidence');
  assert.match(unsure.reason, /sql_app\/alt_main\.py:19.*sql_app\/main\.py:12|sql_app\/main\.py:12.*sql_app\/alt_main\.py:19/);
  // A router included with prefix=settings.API_PREFIX and a trailing-slash route.
  const item = await planOf(statusCodeRule, SERVED, { scenario: 'create item', method: 'POST', path: '/api/v1/items/', expectedStatus: 201, actualStatus: 200 }, runs('uvicorn sql_app.main:app'));
  assert.deepEqual(item.operations[0]!.details, { method: 'POST', path: '/api/v1/items/', from: 200, to: 201, line: 22 });
  const r = await applied(SERVED, item);
  assert.equal(r.after, r.before.replace('@router.post("/")', '@router.post("/", status_code=201)'));
});

test('Express status: a .route() chain, a handler defined in another module, a router loaded with import() in a loop', async () => {
  const chain = await planOf(statusCodeRule, LIB, { scenario: 'add book', method: 'POST', path: '/books', expectedStatus: 201, actualStatus: 200 });
  assert.deepEqual(chain.operations[0]!.details, { method: 'POST', path: '/books', from: 200, to: 201, line: 15 });
  let r = await applied(LIB, chain);
  assert.equal(r.after, r.before.replace('    res.json(book);\n  });\n\nrouter\n', '    res.status(201).json(book);\n  });\n\nrouter\n'));
  assert.match(r.after, /res\.status\(400\)\.json\(\{ error: 'title is required' \}\)/, 'the deliberate 400 is left alone');

  const named = await planOf(statusCodeRule, LIB, { scenario: 'add author', method: 'POST', path: '/api/v1/authors', expectedStatus: 201, actualStatus: 200 });
  assert.deepEqual(named.files, ['lib/authors.js']);
  r = await applied(LIB, named);
  assert.equal(r.after, r.before.replace('res.status(200).json(author)', 'res.status(201).json(author)'));

  const dynamic = await planOf(statusCodeRule, BOARDS, { scenario: 'add card', method: 'POST', path: '/boards/{board_id}/cards', expectedStatus: 201, actualStatus: 200 });
  assert.deepEqual(dynamic.files, ['src/routes/cards.js']);
  r = await applied(BOARDS, dynamic);
  assert.equal(r.after, r.before.replace('  res.json(card);', '  res.status(201).json(card);'));
});

test('routers mounted at run time, in nested chains or only in an app that does not run: included where it counts, never twice', async () => {
  // A router mounted by a loop over the routes folder is mounted: a 404 there comes from the handler.
  const dynamic = await refusalOf(routerNotIncludedRule, BOARDS, { method: 'GET', path: '/boards/{board_id}', expectedStatus: 200, actualStatus: 404 });
  assert.match(dynamic.reason, /src\/routes\/boards\.js:16 .*included below the mount computed at src\/app\.js:20/);
  const nested = await refusalOf(routerNotIncludedRule, LIB, { method: 'GET', path: '/books/{book_id}/reviews/{review_id}', expectedStatus: 200, actualStatus: 404 });
  assert.match(nested.reason, /routes\/reviews\.js:10 and its router is included/);
  // The body says a record is missing: the handler answered.
  const record = await refusalOf(routerNotIncludedRule, SERVED, { method: 'GET', path: '/api/v1/items/{item_id}', expectedStatus: 200, actualStatus: 404, response: { status: 404, bodyExcerpt: '{"detail":"Item not found"}' } });
  assert.match(record.reason, /comes from the handler.*Item not found/);

  // Included only in alt_main.py, which the run command does not start.
  const tags = await planOf(routerNotIncludedRule, SERVED, { scenario: 'tags', method: 'GET', path: '/api/v1/tags/', expectedStatus: 200, actualStatus: 404 }, runs('uvicorn sql_app.main:app'));
  assert.deepEqual(tags.files, ['sql_app/main.py']);
  assert.deepEqual(tags.operations[0]!.details, { framework: 'fastapi', module: '.routers.tags', router: 'router', mountPath: '/api/v1' });
  assert.ok(tags.operations[0]!.evidence.some((e) => /only in sql_app\/alt_main\.py:5/.test(e)));
  const r = await applied(SERVED, tags);
  assert.match(r.after, /^from \.routers import items, tags$/m);
  assert.match(r.after, /app\.include_router\(items\.router, prefix=settings\.API_PREFIX\)\napp\.include_router\(tags\.router, prefix="\/api\/v1"\)\n/);
});

test('a blueprint mounted under a parameter gets the parameter in Flask syntax, never a value the request used', async () => {
  const plan = await planOf(routerNotIncludedRule, SHELF, { scenario: 'review', method: 'POST', path: '/api/books/{book_id}/reviews/', expectedStatus: 201, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { framework: 'flask', module: 'shelf.reviews', router: 'bp', mountPath: '/api/books/<book_id>/reviews' });
  const r = await applied(SHELF, plan);
  assert.match(r.after, /    app\.register_blueprint\(members\.bp\)\n    app\.register_blueprint\(reviews\.bp, url_prefix="\/api\/books\/<book_id>\/reviews"\)\n/);
  const concrete = await refusalOf(routerNotIncludedRule, SHELF, { method: 'POST', path: '/api/books/42/reviews/', expectedStatus: 201, actualStatus: 404 });
  assert.equal(concrete.code, 'insufficient_evidence');
  assert.match(concrete.reason, /"42", a value the request filled in/);
  // A value the router's own parameter takes needs no mount path: nothing of the request is written.
  const shop = await planOf(routerNotIncludedRule, SHOP, { method: 'POST', path: '/products/7/reviews', expectedStatus: 201, actualStatus: 404 });
  assert.deepEqual(shop.operations[0]!.details, { framework: 'fastapi', module: 'app.routers.reviews', router: 'router' });
});

test('route path: never a literal where the request held a value', async () => {
  // A list route and a request for one post: the id is a value, not a missing word of the path.
  for (const p of ['/posts/1', '/posts/{post_id}']) {
    const np = await refusalOf(routePathRule, BLOG, { method: 'GET', path: p, expectedStatus: 200, actualStatus: 404 });
    assert.equal(np.code, 'not_applicable', np.reason);
    const flask = await refusalOf(routePathRule, SINGLE, { method: 'GET', path: p, expectedStatus: 200, actualStatus: 404 });
    assert.equal(flask.code, 'not_applicable', flask.reason);
  }
  // A slug does not look like a value, but the OpenAPI document says it is one, and so does the
  // app's own /posts/:postId/comments, which takes a parameter right there.
  const slug = await refusalOf(routePathRule, BLOG, { method: 'GET', path: '/posts/hello-world', expectedStatus: 200, actualStatus: 404 }, { openapi: { location: 'openapi.json' } });
  assert.equal(slug.code, 'not_applicable');
  const sibling = await refusalOf(routePathRule, BLOG, { method: 'GET', path: '/posts/hello-world', expectedStatus: 200, actualStatus: 404 });
  assert.match(sibling.reason, /no declared GET route is a small edit of literal text away/);
  // FastAPI: "/users/" is not rewritten to "/users/rick/": /users/{user_id} answers it, the 404 is the handler's.
  const rick = await refusalOf(routePathRule, SERVED, { method: 'GET', path: '/users/rick/', expectedStatus: 200, actualStatus: 404 }, runs('uvicorn sql_app.main:app'));
  assert.match(rick.reason, /declared as written at sql_app\/main\.py:21/);
  const record = await refusalOf(routePathRule, BLOG, { method: 'GET', path: '/posts/{post_id}/comments', expectedStatus: 200, actualStatus: 404, response: { status: 404, bodyExcerpt: '{"error":"Post not found"}' } });
  assert.match(record.reason, /comes from the handler/);
});

test('route path: a typo in literal text is fixed keeping the route own parameter syntax', async () => {
  const flask = await planOf(routePathRule, SINGLE, { scenario: 'history', method: 'GET', path: '/item/{item_id}/history', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(flask.operations[0]!.details, { method: 'GET', from: '/item/<int:item_id>/histroy', to: '/item/<int:item_id>/history', line: 36 });
  const r = await applied(SINGLE, flask);
  assert.equal(r.after, r.before.replace('"/item/<int:item_id>/histroy"', '"/item/<int:item_id>/history"'));
});

test('route path: a route another passing scenario uses is never moved; one shared by other methods is marked', async () => {
  // The scenario has the typo; the route is right, and "list comments" passes through it.
  const v = { scenario: 'recent comments', method: 'GET', path: '/posts/{post_id}/coments', expectedStatus: 200, actualStatus: 404 } as const;
  const unsafe = await refusalOf(routePathRule, BLOG, v, {}, { scenarios: [{ name: 'list comments', method: 'GET', path: '/posts/{id}/comments' }] });
  assert.equal(unsafe.code, 'unsafe');
  assert.match(unsafe.reason, /would break GET \/posts\/\{id\}\/comments \("list comments"\)/);
  // With that scenario failing, nothing passing depends on the route.
  const plan = await planOf(routePathRule, BLOG, v, {}, { scenarios: [{ name: 'list comments', method: 'GET', path: '/posts/{id}/comments', ok: false }] });
  assert.deepEqual(plan.operations[0]!.details, { method: 'GET', from: '/posts/:postId/comments', to: '/posts/:postId/coments', line: 16 });

  // A .route() chain: moving PUT's literal moves GET with it.
  const put = { scenario: 'rename user', method: 'PUT', path: '/api/user/{id}', expectedStatus: 200, actualStatus: 404 } as const;
  const shared = await planOf(routePathRule, EXPRESS, put);
  const op = shared.operations[0]!;
  assert.ok(op.evidence.some((e) => e.startsWith(`${SHARED_ROUTE_MARKER} "/users/:userId" also declares GET`)), op.evidence.join('\n'));
  assert.ok(shared.confidence <= 0.5);
  // GET on the same path fails too: moving it is what the run asks for, no mark.
  const both = await planOf(routePathRule, EXPRESS, put, {}, { scenarios: [{ name: 'get user', method: 'GET', path: '/api/user/{id}', ok: false }] });
  assert.ok(!both.operations[0]!.evidence.some((e) => e.startsWith(SHARED_ROUTE_MARKER)), both.operations[0]!.evidence.join('\n'));
  assert.ok(both.operations[0]!.evidence.some((e) => /GET \/api\/user\/\{id\} fails the same way \("get user"\)/.test(e)));
  const broken = await refusalOf(routePathRule, EXPRESS, put, {}, { scenarios: [{ name: 'get user', method: 'GET', path: '/api/users/{user_id}' }] });
  assert.equal(broken.code, 'unsafe');
  assert.match(broken.reason, /would break GET \/api\/users\/\{user_id\} \("get user"\)/);
});

test('Express: a router mounted anew goes after the body parser and loggers, before the not-found and error handlers', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mount-order-'));
  await mkdir(path.join(dir, 'src/routes'), { recursive: true });
  await writeFile(path.join(dir, 'src/routes/orders.js'), "'use strict';\nconst { Router } = require('express');\nconst router = Router();\nrouter.post('/', (req, res) => res.status(201).json(req.body));\nmodule.exports = router;\n");
  await writeFile(
    path.join(dir, 'src/app.js'),
    [
      "'use strict';",
      '',
      "const express = require('express');",
      "const pinoHttp = require('pino-http');",
      '',
      'const app = express();',
      '',
      'app.use(pinoHttp({ logger: console }));',
      'app.use(express.json());',
      '',
      "app.get('/healthz', (req, res) => res.send('ok'));",
      '',
      'app.use((req, res) => {',
      "  res.status(404).json({ error: 'not found' });",
      '});',
      '',
      'module.exports = app;',
      '',
    ].join('\n'),
  );
  const op = { type: 'include_router', file: 'src/app.js', rationale: 'r', evidence: ['e'], details: { framework: 'express', module: './routes/orders', router: 'default', mountPath: '/orders' } };
  const after = await includeRouter(op as never, await executorContext(dir, 'src/app.js'));
  assert.match(after, /app\.use\(express\.json\(\)\);\napp\.use\('\/orders', orders\);\n/);
  assert.ok(after.indexOf("app.use('/orders', orders)") < after.indexOf('app.use((req, res) => {'));
  assert.match(after, /const orders = require\('\.\/routes\/orders'\);/);
});

test('Express ES modules: a router mounted anew is imported with its .js, as Node requires', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mount-esm-'));
  await mkdir(path.join(dir, 'src/routes'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  await writeFile(path.join(dir, 'src/routes/events.js'), "import { Router } from 'express';\nconst router = Router();\nrouter.get('/', (req, res) => res.json([]));\nexport default router;\n");
  await writeFile(path.join(dir, 'src/app.js'), "import express from 'express';\n\nexport const app = express();\napp.use(express.json());\n");
  const op = { type: 'include_router', file: 'src/app.js', rationale: 'r', evidence: ['e'], details: { framework: 'express', module: './routes/events', router: 'default', mountPath: '/events' } };
  const after = await includeRouter(op as never, await executorContext(dir, 'src/app.js'));
  assert.match(after, /^import events from '\.\/routes\/events\.js';$/m);
  assert.match(after, /app\.use\('\/events', events\);/);
});

test('route path: a typo in a mount path or router prefix is fixed there, every route below moving with it', async () => {
  // FastAPI: the prefix at include_router, then the one on the APIRouter.
  const fastapi = await workspaceOf({
    'app/__init__.py': '',
    'app/main.py': 'from fastapi import FastAPI\n\nfrom app.routers import heroes\n\napp = FastAPI()\napp.include_router(heroes.router, prefix="/api/v1")\n\n\n@app.get("/")\ndef root():\n    return {"ok": True}\n',
    'app/routers/__init__.py': '',
    'app/routers/heroes.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/hero", tags=["heroes"])\n\n\n@router.get("/")\ndef list_heroes():\n    return []\n\n\n@router.post("/", status_code=201)\ndef create_hero():\n    return {}\n',
  });
  const prefix = await planOf(routePathRule, fastapi, { scenario: 'list heroes', method: 'GET', path: '/api/v1/heroes/', expectedStatus: 200, actualStatus: 404 }, {}, { scenarios: [{ name: 'root', method: 'GET', path: '/' }] });
  assert.deepEqual(prefix.operations[0]!.details, { method: 'GET', from: '/hero', to: '/heroes', line: 3, target: 'mount' });
  assert.deepEqual(prefix.files, ['app/routers/heroes.py']);
  let r = await applied(fastapi, prefix);
  assert.equal(r.after, r.before.replace('prefix="/hero"', 'prefix="/heroes"'));
  const mount = await planOf(routePathRule, fastapi, { scenario: 'list heroes', method: 'GET', path: '/api/v2/hero/', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(mount.operations[0]!.details, { method: 'GET', from: '/api/v1', to: '/api/v2', line: 6, target: 'mount' });
  r = await applied(fastapi, mount);
  assert.equal(r.after, r.before.replace('prefix="/api/v1"', 'prefix="/api/v2"'));
  // Another passing scenario goes through the prefix: it is never moved.
  const unsafe = await refusalOf(routePathRule, fastapi, { scenario: 'list heroes', method: 'GET', path: '/api/v1/heroes/', expectedStatus: 200, actualStatus: 404 }, {}, { scenarios: [{ name: 'create hero', method: 'POST', path: '/api/v1/hero/' }] });
  assert.equal(unsafe.code, 'unsafe');
  assert.match(unsafe.reason, /router prefix "\/hero" at app\/routers\/heroes\.py:3 would break POST \/api\/v1\/hero\/ \("create hero"\)/);

  // Flask: register_blueprint's url_prefix takes the place of the blueprint's own.
  const flask = await workspaceOf({
    'notes/__init__.py': 'from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    from . import notes\n\n    app.register_blueprint(notes.bp, url_prefix="/api/note")\n    return app\n',
    'notes/notes.py': 'from flask import Blueprint, jsonify\n\nbp = Blueprint("notes", __name__, url_prefix="/ignored")\n\n\n@bp.get("/<int:note_id>")\ndef get_note(note_id):\n    return jsonify(id=note_id)\n',
  });
  const bp = await planOf(routePathRule, flask, { scenario: 'get note', method: 'GET', path: '/api/notes/{note_id}', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(bp.operations[0]!.details, { method: 'GET', from: '/api/note', to: '/api/notes', line: 8, target: 'mount' });
  r = await applied(flask, bp);
  assert.equal(r.after, r.before.replace('url_prefix="/api/note"', 'url_prefix="/api/notes"'));

  // Express: a router mounted on a router mounted on the app; the literal in between is the one that differs.
  const express = await workspaceOf({
    'src/app.js': "const express = require('express');\nconst routes = require('./routes/v1');\n\nconst app = express();\napp.use(express.json());\napp.use('/v1', routes);\nmodule.exports = app;\n",
    'src/routes/v1/index.js': "const express = require('express');\nconst userRoute = require('./user.route');\n\nconst router = express.Router();\nrouter.use( '/user' , userRoute);\nmodule.exports = router;\n",
    'src/routes/v1/user.route.js': "const express = require('express');\n\nconst router = express.Router();\nrouter.get('/', (req, res) => res.json([]));\nrouter.get('/:userId', (req, res) => res.json({ id: req.params.userId }));\nmodule.exports = router;\n",
  });
  const use = await planOf(routePathRule, express, { scenario: 'get user', method: 'GET', path: '/v1/users/{user_id}', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(use.operations[0]!.details, { method: 'GET', from: '/user', to: '/users', line: 5, target: 'mount' });
  assert.deepEqual(use.files, ['src/routes/v1/index.js']);
  r = await applied(express, use);
  assert.equal(r.after, r.before.replace("router.use( '/user' ,", "router.use( '/users' ,"));
  // The boilerplates' list of { path, route } mounted in a loop: the element's path is the literal to change.
  const list = await workspaceOf({
    'src/app.js': "const express = require('express');\nconst routes = require('./routes/v1');\n\nconst app = express();\napp.use('/v1', routes);\nmodule.exports = app;\n",
    'src/routes/v1/index.js': "const express = require('express');\nconst userRoute = require('./user.route');\nconst teamRoute = require('./team.route');\n\nconst router = express.Router();\n\nconst defaultRoutes = [\n  {\n    path: '/user',\n    route: userRoute,\n  },\n  { path: '/teams', route: teamRoute },\n];\n\ndefaultRoutes.forEach((route) => {\n  router.use(route.path, route.route);\n});\n\nmodule.exports = router;\n",
    'src/routes/v1/user.route.js': "const express = require('express');\n\nconst router = express.Router();\nrouter.route('/:userId').get((req, res) => res.json({}));\nmodule.exports = router;\n",
    'src/routes/v1/team.route.js': "const express = require('express');\n\nconst router = express.Router();\nrouter.route('/').get((req, res) => res.json([]));\nmodule.exports = router;\n",
  });
  const element = await planOf(routePathRule, list, { scenario: 'get user', method: 'GET', path: '/v1/users/{user_id}', expectedStatus: 200, actualStatus: 404 }, {}, { scenarios: [{ name: 'teams', method: 'GET', path: '/v1/teams' }] });
  assert.deepEqual(element.operations[0]!.details, { method: 'GET', from: '/user', to: '/users', line: 9, target: 'mount' });
  r = await applied(list, element);
  assert.equal(r.after, r.before.replace("path: '/user',", "path: '/users',"));

  // 405: the path is declared, for another method only; the route of this method is the misspelt one.
  const single = await workspaceOf({
    'app.py': 'from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n@app.get("/item")\ndef list_items():\n    return jsonify([])\n\n\n@app.post("/items")\ndef create_item():\n    return jsonify({}), 201\n',
  });
  const m405 = await planOf(routePathRule, single, { scenario: 'list items', method: 'GET', path: '/items', expectedStatus: 200, actualStatus: 405 });
  assert.deepEqual(m405.operations[0]!.details, { method: 'GET', from: '/item', to: '/items', line: 6 });
  assert.match(m405.root_cause, /answers 405/);
  // The executor names what is missing when the file changed under the plan.
  const gone = { ...use.operations[0]!, details: { ...use.operations[0]!.details, from: '/members' } } as Operation;
  const ctx = await executorContext(express, 'src/routes/v1/index.js');
  assert.throws(() => updateRoute(gone as never, ctx), /no mount path or router prefix "\/members" is written at src\/routes\/v1\/index\.js:5/);
});

test('status code: a FastAPI handler that raises HTTPException on its error path still gets its decorator changed', async () => {
  const dir = await workspaceOf({
    'app/__init__.py': '',
    'app/main.py': 'from fastapi import FastAPI, HTTPException, status\n\napp = FastAPI()\n\n\n@app.post("/tasks/", status_code=status.HTTP_200_OK)\ndef create_task(title: str):\n    if not title:\n        raise HTTPException(\n            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, detail="title required"\n        )\n    return {"title": title}\n\n\n@app.post("/other/", status_code=200)\ndef other(response):\n    response.status_code = 202\n    return {}\n',
  });
  const plan = await planOf(statusCodeRule, dir, { scenario: 'create task', method: 'POST', path: '/tasks/', expectedStatus: 201, actualStatus: 200 });
  assert.equal((plan.operations[0]!.details as { line?: number }).line, 6);
  const r = await applied(dir, plan);
  assert.match(r.after, /@app\.post\("\/tasks\/", status_code=status\.HTTP_201_CREATED\)/);
  // A success status set in the body is still the handler's own doing.
  const own = await refusalOf(statusCodeRule, dir, { scenario: 'other', method: 'POST', path: '/other/', expectedStatus: 201, actualStatus: 200 });
  assert.match(own.reason, /sets a status itself/);
});

test('a router included anew without the guards its siblings are included with goes to a person', async () => {
  const dir = await workspaceOf({
    'app/__init__.py': '',
    'app/deps.py': 'def verify_key():\n    pass\n',
    'app/main.py': 'from fastapi import Depends, FastAPI\n\nfrom app.deps import verify_key\nfrom app.routers import projects\n\napp = FastAPI()\napp.include_router(projects.router, prefix="/projects", dependencies=[Depends(verify_key)])\n',
    'app/routers/__init__.py': '',
    'app/routers/projects.py': 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get("/")\ndef list_projects():\n    return []\n',
    'app/routers/tasks.py': 'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/tasks")\n\n\n@router.get("/")\ndef list_tasks():\n    return []\n',
  });
  const plan = await planOf(routerNotIncludedRule, dir, { scenario: 'list tasks', method: 'GET', path: '/tasks/', expectedStatus: 200, actualStatus: 404 });
  const marker = plan.operations[0]!.evidence.find((e) => e.startsWith(GUARDS_MARKER));
  assert.ok(marker, plan.operations[0]!.evidence.join('\n'));
  assert.match(marker, /app\/main\.py:7: `app\.include_router\(projects\.router, prefix="\/projects", dependencies=\[Depends\(verify_key\)\]\)`/);
  const { planScore } = await import('../../server/src/engine/policy/score');
  const parts = planScore({ ...fixPlanSchema.parse(plan), id: 'p', violationId: 'v', planner: 'rules' } as never);
  assert.ok(parts.some((p) => p.points === 25 && /without the guards its siblings have/.test(p.reason)), JSON.stringify(parts));
});

test("a router whose routes are '/' and '/:name' is mounted below the word the request names, not at '/' with the word as a parameter", async () => {
  const dir = await workspaceOf({
    'app.js': "var express = require('express');\nvar bookmarksRouter = require('./routes/bookmarks');\nvar tagsRouter = require('./routes/tags');\n\nvar app = express();\napp.use('/bookmarks', bookmarksRouter);\n\nmodule.exports = app;\n",
    'routes/bookmarks.js': "var express = require('express');\nvar router = express.Router();\nrouter.get('/', function (req, res) { res.json([]); });\nmodule.exports = router;\n",
    'routes/tags.js': "var express = require('express');\nvar router = express.Router();\nrouter.get('/', function (req, res) { res.json({}); });\nrouter.get('/:name', function (req, res) { res.json({ tag: req.params.name }); });\nmodule.exports = router;\n",
  });
  const plan = await planOf(routerNotIncludedRule, dir, { scenario: 'tag counts', method: 'GET', path: '/tags', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { framework: 'express', module: './routes/tags', router: 'default', mountPath: '/tags' });
});

test('a router that only mounts other routers (routes/v1/index.js) is the one mounted when the app lost it', async () => {
  const dir = await workspaceOf({
    'src/app.js': "const express = require('express');\nconst routes = require('./routes/v1');\n\nconst app = express();\napp.use(express.json());\n\nmodule.exports = app;\n",
    'src/routes/v1/index.js': "const express = require('express');\nconst userRoute = require('./user.route');\nconst healthRoute = require('./health.route');\n\nconst router = express.Router();\n\nconst defaultRoutes = [{ path: '/users', route: userRoute }];\n\nrouter.use('/health', healthRoute);\ndefaultRoutes.forEach((route) => {\n  router.use(route.path, route.route);\n});\n\nmodule.exports = router;\n",
    'src/routes/v1/user.route.js': "const express = require('express');\n\nconst router = express.Router();\nrouter.route('/:userId').get((req, res) => res.json({}));\nmodule.exports = router;\n",
    'src/routes/v1/health.route.js': "const express = require('express');\n\nconst router = express.Router();\nrouter.get('/', (req, res) => res.json({ ok: true }));\nmodule.exports = router;\n",
  });
  const plan = await planOf(routerNotIncludedRule, dir, { scenario: 'get user', method: 'GET', path: '/v1/users/{user_id}', expectedStatus: 200, actualStatus: 404 });
  assert.deepEqual(plan.operations[0]!.details, { framework: 'express', module: './routes/v1', router: 'default', mountPath: '/v1' });
  assert.match(plan.root_cause, /src\/routes\/v1\/index\.js defines an Express router `router` \(line 5\) with 2 routes/);
  const r = await applied(dir, plan);
  assert.match(r.after, /app\.use\('\/v1', routes\);/);
});

test('status code: an Express controller wrapped by catchAsync, re-exported by an index, answering with a named status constant', async () => {
  const dir = await workspaceOf({
    'src/app.js': "const express = require('express');\nconst teamRoute = require('./routes/team.route');\n\nconst app = express();\napp.use(express.json());\napp.use('/teams', teamRoute);\nmodule.exports = app;\n",
    'src/routes/team.route.js': "const express = require('express');\nconst { teamController } = require('../controllers');\n\nconst router = express.Router();\nrouter.post('/', teamController.createTeam);\nmodule.exports = router;\n",
    'src/controllers/index.js': "module.exports.teamController = require('./team.controller');\n",
    'src/controllers/team.controller.js': "const httpStatus = require('../utils/httpStatus');\nconst catchAsync = require('../utils/catchAsync');\n\nconst createTeam = catchAsync(async (req, res) => {\n  if (!req.body.name) {\n    res.status(httpStatus.BAD_REQUEST).send({ message: 'name required' });\n    return;\n  }\n  res.status(httpStatus.OK).send({ id: 1 });\n});\n\nmodule.exports = { createTeam };\n",
    'src/utils/httpStatus.js': 'module.exports = { OK: 200, CREATED: 201, BAD_REQUEST: 400 };\n',
    'src/utils/catchAsync.js': 'module.exports = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);\n',
  });
  const plan = await planOf(statusCodeRule, dir, { scenario: 'create team', method: 'POST', path: '/teams', expectedStatus: 201, actualStatus: 200 });
  assert.equal(plan.operations[0]!.file, 'src/controllers/team.controller.js');
  assert.equal((plan.operations[0]!.details as { line?: number }).line, 9);
  assert.match(plan.operations[0]!.rationale, /res\.status\(httpStatus\.CREATED\)/);
  const r = await applied(dir, plan);
  assert.equal(r.after, r.before.replace('res.status(httpStatus.OK)', 'res.status(httpStatus.CREATED)'));
});
