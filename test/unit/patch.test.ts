import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { applyPatch } from 'diff';
import { generatePatch, reversePatch, type ExecutorMap } from '../../server/src/engine/patch';
import { parsePlan, type FixPlan } from '../../server/src/engine/plan';
import { PatchError } from '../../server/src/engine/contracts';

/** Small executors for the generator's own tests: exact find/replace, and an import line on top. */
export const TEST_EXECUTORS: ExecutorMap = {
  modify_code: (op, ctx) => {
    const at = ctx.text.indexOf(op.details.find);
    if (at < 0 || ctx.text.indexOf(op.details.find, at + 1) >= 0) throw new PatchError(`"${op.details.find}" must occur exactly once`, ctx.file, -1);
    return ctx.text.slice(0, at) + op.details.replace + ctx.text.slice(at + op.details.find.length);
  },
  add_import: (op, ctx) => {
    const eol = ctx.text.includes('\r\n') ? '\r\n' : '\n';
    return `import ${op.details.module}${eol}${ctx.text}`;
  },
};

export function mustParse(input: unknown): FixPlan {
  const r = parsePlan(input);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.plan;
}

const modify = (file: string, find: string, replace: string) => ({ type: 'modify_code', file, rationale: 'fix', details: { find, replace } });
export const SAMPLE_FILES: Record<string, string> = {
  'app/routers/orders.py': 'from fastapi import APIRouter\r\n\r\nrouter = APIRouter()\r\n\r\n\r\ndef pay():\r\n    return {"ref": uuid.uuid4().hex}\r\n',
  'app/total.py': 'def total(items):\n    return sum(i.price for i in items)',
  'b.js': 'const a = 1;\nmodule.exports = { a };\n',
};
export const SAMPLE_PLAN = {
  root_cause: 'several small things',
  category: 'LOGIC',
  confidence: 0.9,
  files: ['b.js', 'app/total.py', 'app/routers/orders.py'],
  operations: [
    { type: 'add_import', file: 'app/routers/orders.py', rationale: 'uuid', details: { name: 'uuid', module: 'uuid', style: 'module' } },
    modify('b.js', 'const a = 1;', 'const a = 2;'),
    modify('app/total.py', 'i.price for', 'i.price * i.quantity for'),
    modify('app/routers/orders.py', 'def pay():', 'def pay() -> dict:'),
  ],
};
const reader = (files: Record<string, string | undefined>) => async (f: string) => files[f];

// The determinism test imports this file from a second process, which must not run the tests again.
if (!process.env.SMOKE_REPAIR_PATCH_PRINT) describe('generatePatch', () => {
  test('files in sorted order, operations in plan order, raw line endings kept, stats', async () => {
    const patch = await generatePatch(mustParse(SAMPLE_PLAN), reader(SAMPLE_FILES), TEST_EXECUTORS);
    assert.deepEqual(patch.files.map((f) => f.file), ['app/routers/orders.py', 'app/total.py', 'b.js']);
    const orders = patch.files[0];
    assert.equal(orders.after, 'import uuid\r\nfrom fastapi import APIRouter\r\n\r\nrouter = APIRouter()\r\n\r\n\r\ndef pay() -> dict:\r\n    return {"ref": uuid.uuid4().hex}\r\n');
    assert.match(orders.diff, /^--- a\/app\/routers\/orders\.py\n\+\+\+ b\/app\/routers\/orders\.py\n@@ /);
    assert.ok(!patch.diff.includes('===='), 'no separator lines');
    // No final newline kept as it was.
    assert.equal(patch.files[1].after, 'def total(items):\n    return sum(i.price * i.quantity for i in items)');
    assert.match(patch.files[1].diff, /\\ No newline at end of file/);
    assert.deepEqual(patch.stats, { files: 3, added: 4, removed: 3, bytes: Buffer.byteLength(patch.diff) });
    // Every file diff applies to its before text and gives its after text.
    for (const f of patch.files) assert.equal(applyPatch(f.before ?? '', f.diff), f.after);
  });

  test('a file created by the patch diffs from /dev/null; its reverse deletes it', async () => {
    const plan = mustParse({
      root_cause: 'x', category: 'IMPORT', confidence: 1, files: ['pkg/new.py'],
      operations: [{ type: 'add_import', file: 'pkg/new.py', rationale: 'r', details: { name: 'os', module: 'os', style: 'module' } }],
    });
    const patch = await generatePatch(plan, reader({}), TEST_EXECUTORS);
    assert.equal(patch.files[0].before, null);
    assert.match(patch.diff, /^--- \/dev\/null\n\+\+\+ b\/pkg\/new\.py\n/);
    const rev = reversePatch(patch);
    assert.match(rev.diff, /^--- a\/pkg\/new\.py\n\+\+\+ \/dev\/null\n/);
    assert.deepEqual([rev.stats.added, rev.stats.removed], [0, 1]);
  });

  test('reversePatch undoes every file', async () => {
    const patch = await generatePatch(mustParse(SAMPLE_PLAN), reader(SAMPLE_FILES), TEST_EXECUTORS);
    const rev = reversePatch(patch);
    for (const f of rev.files) assert.equal(applyPatch(f.before ?? '', f.diff), SAMPLE_FILES[f.file]);
    assert.deepEqual([rev.stats.added, rev.stats.removed], [patch.stats.removed, patch.stats.added]);
  });

  test('a failing operation is a PatchError naming its index and file', async () => {
    const plan = mustParse({ ...SAMPLE_PLAN, operations: [...SAMPLE_PLAN.operations, modify('b.js', 'nowhere', 'x')] });
    await assert.rejects(generatePatch(plan, reader(SAMPLE_FILES), TEST_EXECUTORS), (err: unknown) => {
      assert.ok(err instanceof PatchError);
      assert.equal(err.operationIndex, 4);
      assert.equal(err.file, 'b.js');
      assert.match(err.message, /^operation 4 \(modify_code\) on b\.js: "nowhere" must occur exactly once/);
      return true;
    });
  });

  test('an operation without an executor, or one that changes nothing, is refused', async () => {
    const plan = mustParse({ ...SAMPLE_PLAN, operations: [{ type: 'set_status_code', file: 'b.js', rationale: 'r', details: { method: 'POST', path: '/x', from: 200, to: 201 } }] });
    await assert.rejects(generatePatch(plan, reader(SAMPLE_FILES), TEST_EXECUTORS), /no executor for operation type "set_status_code"/);
    const noop = mustParse({ ...SAMPLE_PLAN, operations: [modify('b.js', 'const a = 1;', 'const a = 1;')] });
    await assert.rejects(generatePatch(noop, reader(SAMPLE_FILES), TEST_EXECUTORS), /operation 0 \(modify_code\) on b\.js: the operation changes nothing/);
  });

  test('deterministic: the same plan on the same files twice, and in another node process, gives the same bytes', async () => {
    const plan = mustParse(SAMPLE_PLAN);
    const one = await generatePatch(plan, reader(SAMPLE_FILES), TEST_EXECUTORS);
    const two = await generatePatch(mustParse(JSON.parse(JSON.stringify(SAMPLE_PLAN))), reader({ ...SAMPLE_FILES }), TEST_EXECUTORS);
    assert.equal(two.diff, one.diff);
    assert.deepEqual(two, one);

    const dir = mkdtempSync(path.join(tmpdir(), 'patch-determinism-'));
    const script = path.join(dir, 'print.ts');
    writeFileSync(
      script,
      `import { generatePatch } from ${JSON.stringify(path.resolve(__dirname, '../../server/src/engine/patch'))};\n` +
        `import { TEST_EXECUTORS, SAMPLE_PLAN, SAMPLE_FILES, mustParse } from ${JSON.stringify(path.resolve(__dirname, 'patch.test'))};\n` +
        `generatePatch(mustParse(SAMPLE_PLAN), async (f) => SAMPLE_FILES[f], TEST_EXECUTORS).then((p) => process.stdout.write(p.diff));\n`,
    );
    const run = () => spawnSync(process.execPath, ['--import', 'tsx', script], { timeout: 60_000, encoding: 'utf8', env: { ...process.env, SMOKE_REPAIR_PATCH_PRINT: '1', NODE_TEST_CONTEXT: undefined, TZ: 'Pacific/Chatham', LANG: 'C' } });
    const a = run();
    const b = run();
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, one.diff);
    assert.equal(b.stdout, one.diff);
  });
});

if (!process.env.SMOKE_REPAIR_PATCH_PRINT) describe('line numbers after an earlier fix', () => {
  test('mapLine moves lines through removals, insertions and replacements', async () => {
    const { mapLine } = await import('../../server/src/engine/repair/lineShift');
    const b = '1\n2\n3\n4\n5\n6\n';
    assert.equal(mapLine(b, '1\n2\n4\n5\n6\n', 5), 4);
    assert.equal(mapLine(b, '0\n1\n2\n3\n4\n5\n6\n', 5), 6);
    assert.equal(mapLine(b, '1\n2\nX\n4\n5\n6\n', 3), 3);
    assert.equal(mapLine(b, '1\n2\n3\n4\n5\n6\n7\n', 5), 5);
    assert.equal(mapLine(b, '1\n2\n4\n5\n6\n', 2), 2);
  });
});
