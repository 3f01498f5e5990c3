/**
 * The missing-dependency rule on real traces (saved from smoke runs of the example apps) and the
 * example apps' real files: a plan for fault b of each app; no plan, with the reason, for an
 * unused import (shop-api fault f), the workspace's own module, the standard library, a relative
 * require, a package already declared, and look-alikes of popular packages.
 *
 * Run: node --import tsx --test test/unit/deps-rule.test.ts
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/src/engine/config';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { missingDependencyRule, missingModuleOf } from '../../server/src/engine/plan/rules/dependency';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';
import type { NoPlan, PlanningContext } from '../../server/src/engine/contracts';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';
import { listWorkspaceFiles } from '../../server/src/engine/traces/workspace-files';
import { addDependency } from '../../server/src/engine/patch/executors/dependency';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'manifests');
const temps: string[] = [];
after(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

function report(name: 'shop-api' | 'todo-api-node'): SmokeReport {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}-smoke.json`), 'utf8')) as SmokeReport;
}

/** A copy of an example app in a temp folder, to change files in. */
function copyOf(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'deps-rule-'));
  temps.push(dir);
  cpSync(path.join(ROOT, 'examples', name), dir, { recursive: true });
  return dir;
}

async function context(workspace: string, rep: SmokeReport, violation: Violation): Promise<PlanningContext> {
  const loaded = await loadConfig(workspace);
  assert.ok(loaded.ok);
  return {
    workspace,
    violation,
    report: { ...rep, workspace },
    config: loaded.config,
    files: await listWorkspaceFiles(workspace),
    read: workspaceReader(workspace),
  };
}

function violation(rep: SmokeReport, id: string, message?: string): Violation {
  const v = rep.violations.find((x) => x.id === id);
  assert.ok(v, `violation ${id} in the fixture`);
  const copy = structuredClone(v);
  if (message !== undefined && copy.trace) copy.trace.message = message;
  return copy;
}

const isNoPlan = (x: unknown): x is NoPlan => typeof x === 'object' && x !== null && 'code' in x && 'reason' in x;

describe('missing-dependency rule: plans', () => {
  test('shop-api fault b: slugify → python-slugify in requirements.txt, and the executor adds it', async () => {
    const ws = path.join(ROOT, 'examples', 'shop-api');
    const rep = report('shop-api');
    const ctx = await context(ws, rep, violation(rep, 'product-slug:500'));
    assert.equal(missingDependencyRule.applies(ctx), true);
    const started = performance.now();
    const out = await missingDependencyRule.plan(ctx);
    const ms = performance.now() - started;
    assert.ok(!isNoPlan(out), JSON.stringify(out));
    const plan = fixPlanSchema.parse(out);
    assert.equal(plan.category, 'DEPENDENCY');
    assert.deepEqual(plan.files, ['requirements.txt']);
    assert.equal(plan.operations.length, 1);
    const op = plan.operations[0];
    assert.equal(op.type, 'add_dependency');
    assert.deepEqual(op.type === 'add_dependency' && op.details, { name: 'python-slugify', importName: 'slugify' });
    assert.ok(plan.confidence >= 0.85);
    assert.ok(plan.evidence.some((e) => /^known-package: pypi rank \d+$/.test(e)));
    assert.ok(plan.evidence.includes('import-name-mapping: slugify → python-slugify'));
    assert.match(plan.root_cause, /app\/routers\/products\.py:41 imports 'slugify'/);
    const text = readFileSync(path.join(ws, 'requirements.txt'), 'utf8');
    const patched = await addDependency(op as Extract<typeof op, { type: 'add_dependency' }>, { workspace: ws, file: 'requirements.txt', text, exists: true, read: ctx.read });
    assert.equal(patched, text + 'python-slugify\n');
    process.stderr.write(`plan (shop-api product-slug): ${ms.toFixed(1)} ms\n`);
  });

  test('todo-api-node fault b: csv-stringify/sync → csv-stringify in package.json at the registry\'s newest version, lockfile kept in line', async () => {
    const ws = path.join(ROOT, 'examples', 'todo-api-node');
    const rep = report('todo-api-node');
    const ctx = await context(ws, rep, violation(rep, 'export-list-as-csv:500'));
    const out = await missingDependencyRule.plan(ctx);
    assert.ok(!isNoPlan(out), JSON.stringify(out));
    const plan = fixPlanSchema.parse(out);
    assert.deepEqual(plan.files, ['package-lock.json', 'package.json']);
    const [add, sync] = plan.operations;
    assert.equal(add.type, 'add_dependency');
    assert.ok(add.type === 'add_dependency');
    assert.equal(add.details.name, 'csv-stringify');
    assert.equal(add.details.importName, 'csv-stringify/sync');
    assert.match(add.details.version ?? '', /^\^\d+\.\d+\.\d+/);
    assert.deepEqual([sync.type, sync.file], ['sync_lockfile', 'package-lock.json']);
    assert.ok(plan.evidence.some((e) => /^version-from: the npm registry's newest csv-stringify is \d+\.\d+\.\d+/.test(e)));
    assert.ok(plan.evidence.some((e) => /^known-package: npm rank \d+$/.test(e)));
  });

  test('a version from package-lock.json gives a caret range', async () => {
    const ws = copyOf('todo-api-node');
    const lockFile = path.join(ws, 'package-lock.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.packages['node_modules/csv-stringify'] = { version: '6.5.2' };
    writeFileSync(lockFile, JSON.stringify(lock, null, 2));
    const rep = report('todo-api-node');
    const out = await missingDependencyRule.plan(await context(ws, rep, violation(rep, 'export-list-as-csv:500')));
    assert.ok(!isNoPlan(out));
    const op = out.operations[0];
    assert.equal(op.type === 'add_dependency' && op.details.version, '^6.5.2');
  });

  test('pyproject.toml that declares dependencies wins over requirements.txt in the same folder', async () => {
    const ws = copyOf('shop-api');
    writeFileSync(path.join(ws, 'pyproject.toml'), '[project]\nname = "shop"\nversion = "0"\ndependencies = [\n    "fastapi",\n]\n');
    const rep = report('shop-api');
    const out = await missingDependencyRule.plan(await context(ws, rep, violation(rep, 'product-slug:500')));
    assert.ok(!isNoPlan(out));
    assert.deepEqual(out.files, ['pyproject.toml']);
  });

  test('an unknown (not popular, not a look-alike) name: lower confidence and unknown-package evidence', async () => {
    const rep = report('shop-api');
    const ctx = await context(path.join(ROOT, 'examples', 'shop-api'), rep, violation(rep, 'product-slug:500', "No module named 'acme_pricing_rules'"));
    const out = await missingDependencyRule.plan(ctx);
    assert.ok(!isNoPlan(out), JSON.stringify(out));
    assert.ok(out.confidence <= 0.5);
    assert.ok(out.evidence?.includes('unknown-package: acme_pricing_rules'));
  });
});

describe('missing-dependency rule: not a dependency', () => {
  test('shop-api fault f: `import ipdb` never used in get_customer → no plan, left to the unused-import rule', async () => {
    const rep = report('shop-api');
    const ctx = await context(path.join(ROOT, 'examples', 'shop-api'), rep, violation(rep, 'get-customer:500'));
    assert.equal(missingDependencyRule.applies(ctx), true);
    const out = await missingDependencyRule.plan(ctx);
    assert.ok(isNoPlan(out));
    assert.equal(out.code, 'not_applicable');
    assert.match(out.reason, /`import ipdb` at app\/routers\/customers\.py:31 binds ipdb, never used in function get_customer/);
    assert.match(out.reason, /unused-import rule/);
  });

  test('the workspace\'s own module, the standard library, a relative require', async () => {
    const shop = report('shop-api');
    const ws = path.join(ROOT, 'examples', 'shop-api');
    let out = await missingDependencyRule.plan(await context(ws, shop, violation(shop, 'product-slug:500', "No module named 'app.services'")));
    assert.ok(isNoPlan(out) && out.code === 'not_applicable' && /workspace's own module/.test(out.reason), JSON.stringify(out));
    out = await missingDependencyRule.plan(await context(ws, shop, violation(shop, 'product-slug:500', "No module named 'tomllib'")));
    assert.ok(isNoPlan(out) && /standard library/.test(out.reason));
    const todo = report('todo-api-node');
    const tws = path.join(ROOT, 'examples', 'todo-api-node');
    out = await missingDependencyRule.plan(await context(tws, todo, violation(todo, 'export-list-as-csv:500', "Cannot find module '../csv'\nRequire stack:\n- /app/src/routes/lists.js")));
    assert.ok(isNoPlan(out) && /relative or absolute path/.test(out.reason));
    out = await missingDependencyRule.plan(await context(tws, todo, violation(todo, 'export-list-as-csv:500', "Cannot find module 'node:sqlite'")));
    assert.ok(isNoPlan(out) && /Node builtin/.test(out.reason));
  });

  test('already declared: the image or node_modules is stale → insufficient_evidence with the remedy', async () => {
    const shop = report('shop-api');
    const out = await missingDependencyRule.plan(await context(path.join(ROOT, 'examples', 'shop-api'), shop, violation(shop, 'product-slug:500', "No module named 'sqlalchemy'")));
    assert.ok(isNoPlan(out) && out.code === 'insufficient_evidence', JSON.stringify(out));
    assert.match(out.reason, /'SQLAlchemy' is declared \(requirements\.txt:3\) but not installed: rebuild the image/);
    const todo = report('todo-api-node');
    const n = await missingDependencyRule.plan(await context(path.join(ROOT, 'examples', 'todo-api-node'), todo, violation(todo, 'export-list-as-csv:500', "Cannot find module 'express/lib/router'")));
    assert.ok(isNoPlan(n) && n.code === 'insufficient_evidence' && /npm install/.test(n.reason), JSON.stringify(n));
  });

  test('look-alikes of popular packages are refused, naming the real one', async () => {
    const shop = report('shop-api');
    const ws = path.join(ROOT, 'examples', 'shop-api');
    for (const [module, real] of [
      ['reqeusts', 'requests'],
      ['python_dateutils', 'python-dateutil'],
    ]) {
      const out = await missingDependencyRule.plan(await context(ws, shop, violation(shop, 'product-slug:500', `No module named '${module}'`)));
      assert.ok(isNoPlan(out) && out.code === 'unsafe', JSON.stringify(out));
      assert.match(out.reason, new RegExp(`looks like the popular package '${real}'`));
    }
    const todo = report('todo-api-node');
    const out = await missingDependencyRule.plan(await context(path.join(ROOT, 'examples', 'todo-api-node'), todo, violation(todo, 'export-list-as-csv:500', "Cannot find module 'expresss'")));
    assert.ok(isNoPlan(out) && out.code === 'unsafe' && /'express'/.test(out.reason), JSON.stringify(out));
  });

  test('traces that are not about a missing module do not apply', async () => {
    const shop = report('shop-api');
    const ctx = await context(path.join(ROOT, 'examples', 'shop-api'), shop, violation(shop, 'pay-order:500'));
    assert.equal(missingDependencyRule.applies(ctx), false);
    assert.equal(missingModuleOf(undefined), undefined);
  });
});

test('a loader that fails before any app code runs (python -m flask without Flask): its one line is the trace, the importing file stands in for a frame', async () => {
  const { startupEvidence } = await import('../../server/src/engine/startup');
  const { createPathMapper } = await import('../../server/src/engine/traces/pathmap');
  const { AppStartFailure } = await import('../../server/src/engine/model');
  const dir = mkdtempSync(path.join(tmpdir(), 'deps-rule-'));
  temps.push(dir);
  writeFileSync(path.join(dir, 'requirements.txt'), 'gunicorn==23.0.0\n');
  writeFileSync(path.join(dir, 'app.py'), 'import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\n');
  writeFileSync(path.join(dir, 'smoke-repair.yaml'), 'app:\n  baseUrl: http://127.0.0.1:5000\nscenarios: []\n');
  const lines = [{ time: 1, stream: 'stderr' as const, text: '/usr/local/bin/python3: No module named flask' }];
  const failure = new AppStartFailure('the app exited', 'fix it', lines, 'exited with code 1', { startedAt: 0, endedAt: 1 });
  const files = await listWorkspaceFiles(dir);
  const { violation: v } = startupEvidence(failure, createPathMapper({ workspace: dir, files }), { describe: () => 'docker container app', kind: 'docker' }, dir);
  assert.equal(v.trace?.exceptionClass, 'ModuleNotFoundError');
  assert.equal(v.trace?.message, "No module named 'flask'");
  assert.deepEqual(v.trace?.frames, []);
  const ctx = await context(dir, { ...report('shop-api'), violations: [v], scenarios: [] }, v);
  const plan = await missingDependencyRule.plan(ctx);
  assert.ok(!('reason' in plan), JSON.stringify(plan));
  const parsed = fixPlanSchema.parse(plan);
  assert.equal(parsed.operations[0]!.file, 'requirements.txt');
  assert.equal((parsed.operations[0]!.details as { name: string }).name.toLowerCase(), 'flask');
  const all = [...parsed.evidence, ...parsed.operations[0]!.evidence, parsed.root_cause];
  assert.ok(all.some((e) => e.includes('app.py:3')), all.join('\n'));
});
