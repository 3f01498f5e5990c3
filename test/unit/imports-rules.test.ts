import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { listWorkspaceFiles } from '../../server/src/engine/traces';
import type { Frame, Trace, Violation } from '../../server/src/engine/model';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';
import { missingImportRule, unusedImportRule } from '../../server/src/engine/plan/rules/imports';
import type { NoPlan, PlanningContext } from '../../server/src/engine/contracts';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';

const ROOT = join(__dirname, '..', '..');

function frame(file: string, line: number, fn: string, code?: string): Frame {
  return { file, rawFile: `/app/${file}`, line, function: fn, code, inWorkspace: true };
}

function violation(trace: Trace): Violation {
  return {
    id: 's:500', scenarioId: 's', scenario: 's', method: 'GET', path: '/x', expectedStatus: 200, actualStatus: 500,
    failureType: 'RUNTIME', strategy: 'SERVICE', retryable: false, signals: [], message: `${trace.exceptionClass}: ${trace.message}`,
    trace, locationKind: 'frame', logExcerpt: '', pinned: false, request: { method: 'GET', path: '/x' }, response: { status: 500, bodyExcerpt: '' },
    window: { startedAt: 0, endedAt: 0 },
  };
}

function trace(language: 'python' | 'node', exceptionClass: string, message: string, frames: Frame[]): Trace {
  const lib: Frame = { file: '/usr/lib/x', rawFile: '/usr/lib/x', line: 1, function: 'run', inWorkspace: false };
  return { language, exceptionClass, message, frames: language === 'python' ? [lib, ...frames] : [...frames, lib], causes: [], text: '' };
}

async function context(example: string, t: Trace, files?: string[]): Promise<PlanningContext> {
  const workspace = join(ROOT, 'examples', example);
  const listed = files ?? (await listWorkspaceFiles(workspace));
  return {
    workspace,
    violation: violation(t),
    report: {} as PlanningContext['report'],
    config: {} as PlanningContext['config'],
    files: listed,
    read: workspaceReader(workspace),
  };
}

const isNoPlan = (x: unknown): x is NoPlan => typeof (x as NoPlan).code === 'string' && !('operations' in (x as object));

test('unused-import: shop-api fault f (ModuleNotFoundError on a function-local import nothing uses)', async () => {
  const t = trace('python', 'ModuleNotFoundError', "No module named 'ipdb'", [frame('app/routers/customers.py', 31, 'get_customer', 'import ipdb')]);
  const ctx = await context('shop-api', t);
  assert.equal(unusedImportRule.applies(ctx), true);
  const out = await unusedImportRule.plan(ctx);
  assert.ok(!isNoPlan(out), JSON.stringify(out));
  const plan = fixPlanSchema.parse(out);
  assert.equal(plan.category, 'UNUSED_IMPORT');
  assert.deepEqual(plan.files, ['app/routers/customers.py']);
  assert.deepEqual(plan.operations[0].details, { names: ['ipdb'], line: 31 });
  assert.ok(plan.operations[0].evidence.some((e) => e.includes('ruff F401')));
  assert.equal(missingImportRule.applies(ctx), false);
});

test('unused-import yields NoPlan when the failing import is used (a dependency problem)', async () => {
  const py = trace('python', 'ModuleNotFoundError', "No module named 'slugify'", [frame('app/routers/products.py', 41, 'product_slug')]);
  const pyCtx = await context('shop-api', py);
  const pySource = (await pyCtx.read('app/routers/products.py'))!.split('\n');
  assert.match(pySource[40], /slugify/, 'line 41 imports slugify');
  const a = await unusedImportRule.plan(pyCtx);
  assert.ok(isNoPlan(a) && a.code === 'not_applicable' && /is used/.test(a.reason), JSON.stringify(a));
  const js = trace('node', 'Error', "Cannot find module 'csv-stringify/sync'", [frame('src/routes/lists.js', 45, 'router.get')]);
  const jsCtx = await context('todo-api-node', js);
  assert.equal(unusedImportRule.applies(jsCtx), true);
  const b = await unusedImportRule.plan(jsCtx);
  assert.ok(isNoPlan(b) && /stringify/.test(b.reason), JSON.stringify(b));
});

test('missing-import: shop-api fault a (NameError uuid) → import uuid', async () => {
  const t = trace('python', 'NameError', "name 'uuid' is not defined", [frame('app/routers/orders.py', 43, 'pay_order')]);
  const ctx = await context('shop-api', t);
  assert.equal(missingImportRule.applies(ctx), true);
  assert.equal(unusedImportRule.applies(ctx), false);
  const plan = fixPlanSchema.parse(await missingImportRule.plan(ctx));
  assert.equal(plan.category, 'IMPORT');
  assert.deepEqual(plan.operations[0].details, { name: 'uuid', module: 'uuid', style: 'module' });
  assert.ok(plan.confidence >= 0.75);
});

test('missing-import: todo-api-node fault a (ReferenceError normalizeTitle) → require("../text")', async () => {
  const t = trace('node', 'ReferenceError', 'normalizeTitle is not defined', [frame('src/routes/lists.js', 33, 'router.put')]);
  const ctx = await context('todo-api-node', t);
  const plan = fixPlanSchema.parse(await missingImportRule.plan(ctx));
  assert.deepEqual(plan.operations[0].details, { name: 'normalizeTitle', module: '../text', style: 'named' });
  // Other routes import it the same way, besides src/text.js exporting it: more than a definition found somewhere.
  assert.equal(plan.confidence, 0.85);
});

test('missing-import: framework names, workspace definitions, several candidates, none', async () => {
  const files = ['app/__init__.py', 'app/routers/__init__.py', 'app/routers/orders.py', 'app/text.py', 'app/other/__init__.py', 'app/other/text.py', 'requirements.txt'];
  const sources: Record<string, string> = {
    'app/__init__.py': '',
    'app/routers/__init__.py': '',
    'app/routers/orders.py': 'from fastapi import APIRouter\nfrom ..db import get_db\n\nrouter = APIRouter()\n',
    'app/text.py': 'def slug(s):\n    return s\n',
    'app/other/__init__.py': '',
    'app/other/text.py': 'slug = None\n',
    'requirements.txt': 'fastapi==0.115\n',
  };
  const make = (name: string): PlanningContext => ({
    workspace: '/nowhere',
    violation: violation(trace('python', 'NameError', `name '${name}' is not defined`, [frame('app/routers/orders.py', 4, 'f')])),
    report: {} as PlanningContext['report'],
    config: {} as PlanningContext['config'],
    files,
    read: async (f) => sources[f],
  });
  const http = fixPlanSchema.parse(await missingImportRule.plan(make('HTTPException')));
  assert.deepEqual(http.operations[0].details, { name: 'HTTPException', module: 'fastapi', style: 'named' });
  const slug = fixPlanSchema.parse(await missingImportRule.plan(make('slug')));
  // Relative style (the file uses `from ..db`), two definitions: deterministic pick, lowered confidence, both in evidence.
  assert.deepEqual(slug.operations[0].details, { name: 'slug', module: '..other.text', style: 'named' });
  assert.equal(slug.confidence, 0.65);
  assert.ok(slug.operations[0].evidence.some((e) => e.includes('..text')));
  const path = fixPlanSchema.parse(await missingImportRule.plan(make('Path')));
  assert.deepEqual(path.operations[0].details, { name: 'Path', module: 'fastapi', style: 'named' }, 'the imported framework wins over pathlib');
  const none = await missingImportRule.plan(make('frobnicate'));
  assert.ok(isNoPlan(none) && none.code === 'insufficient_evidence' && /nothing provides/.test(none.reason));
});
