/**
 * The missing-dependency rule on live smoke runs of both example apps in Docker: fault b of each
 * becomes an add_dependency plan on the app's manifest, and fault f of shop-api (an unused import
 * of a module that is not installed) gets no plan. Nothing in the examples is changed.
 *
 * Run: node --import tsx --test test/integration/deps-live.test.ts
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/src/engine/config';
import { runSmoke } from '../../server/src/engine/run';
import { missingDependencyRule } from '../../server/src/engine/plan/rules/dependency';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';
import type { PlanningContext } from '../../server/src/engine/contracts';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';
import type { SmokeReport } from '../../server/src/engine/model';
import { listWorkspaceFiles } from '../../server/src/engine/traces/workspace-files';
import { ensureExampleUp, exampleDetails, type ExampleName } from '../setup/docker';

async function contextFor(name: ExampleName, report: SmokeReport, violationId: string): Promise<PlanningContext> {
  const workspace = exampleDetails(name).dir;
  const violation = report.violations.find((v) => v.id === violationId);
  assert.ok(violation, `${violationId} among ${report.violations.map((v) => v.id).join(', ')}`);
  const loaded = await loadConfig(workspace);
  assert.ok(loaded.ok);
  return {
    workspace,
    violation,
    report,
    config: loaded.config,
    files: await listWorkspaceFiles(workspace),
    read: workspaceReader(workspace),
  };
}

describe('missing-dependency rule on live smoke runs', { timeout: 20 * 60_000 }, () => {
  const reports = new Map<ExampleName, SmokeReport>();
  before(async () => {
    for (const name of ['shop-api', 'todo-api-node'] as const) {
      await ensureExampleUp(name);
      reports.set(name, await runSmoke({ workspace: exampleDetails(name).dir }));
    }
  });

  test('shop-api: python-slugify into requirements.txt; ipdb left to the unused-import rule', async () => {
    const report = reports.get('shop-api')!;
    const started = performance.now();
    const out = await missingDependencyRule.plan(await contextFor('shop-api', report, 'product-slug:500'));
    process.stderr.write(`plan shop-api product-slug: ${(performance.now() - started).toFixed(1)} ms\n`);
    const plan = fixPlanSchema.parse(out);
    assert.deepEqual(plan.files, ['requirements.txt']);
    assert.equal(plan.operations[0].type === 'add_dependency' && plan.operations[0].details.name, 'python-slugify');
    const f = await missingDependencyRule.plan(await contextFor('shop-api', report, 'get-customer:500'));
    assert.ok('code' in f && f.code === 'not_applicable' && /unused-import rule/.test(f.reason), JSON.stringify(f));
  });

  test('todo-api-node: csv-stringify into package.json, with package-lock.json kept in line', async () => {
    const report = reports.get('todo-api-node')!;
    const out = await missingDependencyRule.plan(await contextFor('todo-api-node', report, 'export-list-as-csv:500'));
    const plan = fixPlanSchema.parse(out);
    assert.deepEqual(plan.files, ['package-lock.json', 'package.json']);
    assert.equal(plan.operations[1].type, 'sync_lockfile');
    assert.equal(plan.operations[0].type === 'add_dependency' && plan.operations[0].details.name, 'csv-stringify');
  });
});
