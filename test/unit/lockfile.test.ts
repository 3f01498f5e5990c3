import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { generatePatch } from '../../server/src/engine/patch';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'todo-api-node');

test('a dependency added to package.json brings package-lock.json along, as npm install would', async () => {
  const plan = fixPlanSchema.parse({
    root_cause: 'csv-stringify is required but not declared',
    category: 'DEPENDENCY',
    confidence: 0.9,
    files: ['package.json', 'package-lock.json'],
    operations: [
      { type: 'add_dependency', file: 'package.json', details: { name: 'csv-stringify', version: '^6.5.0' }, rationale: 'declare it' },
      { type: 'sync_lockfile', file: 'package-lock.json', details: { manager: 'npm' }, rationale: 'keep the lockfile in line' },
    ],
  });
  const read = async (f: string) => readFile(path.join(EXAMPLE, f), 'utf8').catch(() => undefined);
  const patch = await generatePatch(plan, read);
  assert.deepEqual(patch.files.map((f) => f.file), ['package-lock.json', 'package.json']);
  const lock = JSON.parse(patch.files[0].after);
  assert.equal(lock.packages[''].dependencies['csv-stringify'], '^6.5.0');
  assert.match(lock.packages['node_modules/csv-stringify'].version, /^6\./);
  // Everything the lockfile had stays: only entries are added.
  const before = JSON.parse(patch.files[0].before!);
  for (const key of Object.keys(before.packages)) assert.ok(key in lock.packages, `${key} kept`);
  // The example itself is untouched.
  assert.equal(await read('package-lock.json'), patch.files[0].before);
});

test('a lockfile with no package.json beside it is a located patch error', async () => {
  const plan = fixPlanSchema.parse({
    root_cause: 'x',
    category: 'DEPENDENCY',
    confidence: 0.9,
    files: ['sub/package-lock.json'],
    operations: [{ type: 'sync_lockfile', file: 'sub/package-lock.json', details: { manager: 'npm' }, rationale: 'r' }],
  });
  await assert.rejects(generatePatch(plan, async () => undefined), /sub\/package\.json does not exist/);
});
