import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ApplyError, applyFix, listCheckpoints, rollback, sha256 } from '../../server/src/engine/apply';
import { generatePatch, type ExecutorMap } from '../../server/src/engine/patch';
import { parsePlan } from '../../server/src/engine/plan';
import { listRecords, writeRecord } from '../../server/src/engine/records';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';
import type { PlannedFix, RepairRecord } from '../../server/src/engine/contracts';

const EXECUTORS: ExecutorMap = {
  modify_code: (op, ctx) => {
    if (!ctx.text.includes(op.details.find)) throw new Error('not found');
    return ctx.text.replace(op.details.find, op.details.replace);
  },
  add_import: (op, ctx) => `import ${op.details.module}${ctx.text.includes('\r\n') ? '\r\n' : '\n'}${ctx.text}`,
};

function workspace(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'apply-'));
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), content);
  }
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === '.smoke-repair') continue;
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(path.join(dir, p)).toString('base64');
    }
  };
  walk('');
  return out;
}

async function planned(dir: string, operations: unknown[], files: string[]) {
  const r = parsePlan({ root_cause: 'r', category: 'LOGIC', confidence: 0.9, files, operations });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  const read = workspaceReader(dir);
  const base: Record<string, string | null> = {};
  for (const f of r.plan.files) {
    const t = await read(f);
    base[f] = t === undefined ? null : sha256(t);
  }
  const fix: PlannedFix = { id: 'fix-test', violationId: 'v:500', planner: 'rules', plan: r.plan, base, createdAt: 1 };
  return { fix, patch: await generatePatch(r.plan, read, EXECUTORS) };
}

const mod = (file: string, find: string, replace: string) => ({ type: 'modify_code', file, rationale: 'r', details: { find, replace } });
const imp = (file: string) => ({ type: 'add_import', file, rationale: 'r', details: { name: 'uuid', module: 'uuid', style: 'module' } });

describe('apply and rollback', () => {
  test('apply writes the patch, keeps CRLF and mode; rollback restores byte for byte and deletes created files', async () => {
    const dir = workspace({ 'app/a.py': 'x = 1\r\ny = 2\r\n', 'run.sh': '#!/bin/sh\necho hi\n' });
    chmodSync(path.join(dir, 'run.sh'), 0o755);
    const before = snapshot(dir);
    const { fix, patch } = await planned(dir, [mod('app/a.py', 'y = 2', 'y = 3'), mod('run.sh', 'echo hi', 'echo ho'), imp('app/new.py')], ['app/a.py', 'app/new.py', 'run.sh']);
    const cp = await applyFix({ workspace: dir, fix, patch });
    assert.equal(readFileSync(path.join(dir, 'app/a.py'), 'utf8'), 'x = 1\r\ny = 3\r\n');
    assert.equal(readFileSync(path.join(dir, 'app/new.py'), 'utf8'), 'import uuid\n');
    assert.equal(statSync(path.join(dir, 'run.sh')).mode & 0o777, 0o755);
    assert.ok(existsSync(path.join(dir, '.smoke-repair/checkpoints', `${cp.id}.json`)));
    assert.deepEqual(cp.files.map((f) => [f.file, f.before === null]), [['app/a.py', false], ['app/new.py', true], ['run.sh', false]]);
    assert.match(cp.reverseDiff, /\+\+\+ \/dev\/null/);

    const r = await rollback(dir);
    assert.equal(r.checkpoint.id, cp.id);
    assert.deepEqual(r.restored, ['app/a.py', 'run.sh']);
    assert.deepEqual(r.deleted, ['app/new.py']);
    assert.deepEqual(snapshot(dir), before);
    assert.equal(statSync(path.join(dir, 'run.sh')).mode & 0o777, 0o755);
    await assert.rejects(rollback(dir), /there is no checkpoint to roll back/);
    const listed = await listCheckpoints(dir);
    assert.equal(listed.checkpoints.length, 1);
    assert.ok(listed.checkpoints[0].rolledBackAt);
  });

  test('a file changed since the plan is refused and nothing is written', async () => {
    const dir = workspace({ 'a.py': 'a = 1\n', 'b.py': 'b = 1\n' });
    const { fix, patch } = await planned(dir, [mod('a.py', 'a = 1', 'a = 2'), mod('b.py', 'b = 1', 'b = 2')], ['a.py', 'b.py']);
    writeFileSync(path.join(dir, 'b.py'), 'b = 1\n# edited\n');
    const before = snapshot(dir);
    await assert.rejects(applyFix({ workspace: dir, fix, patch }), (err: unknown) => {
      assert.ok(err instanceof ApplyError);
      assert.equal(err.file, 'b.py');
      assert.equal(err.message, 'b.py changed since the plan was made; nothing was written (make the plan again)');
      return true;
    });
    assert.deepEqual(snapshot(dir), before);
    assert.equal((await listCheckpoints(dir)).checkpoints.length, 0);
  });

  test('a write failing midway puts back the files already written (real failure: a parent that is a file)', async () => {
    const dir = workspace({ 'a.py': 'a = 1\n', b: 'I am a file, not a folder\n' });
    const { fix, patch } = await planned(dir, [mod('a.py', 'a = 1', 'a = 2'), imp('b/c.py')], ['a.py', 'b/c.py']);
    const before = snapshot(dir);
    await assert.rejects(applyFix({ workspace: dir, fix, patch }), /could not write b\/c\.py: .*; the 1 file already written was restored/);
    assert.deepEqual(snapshot(dir), before);
    assert.equal((await listCheckpoints(dir)).checkpoints.length, 0, 'the checkpoint of a failed apply is dropped');
  });

  test('a failing writer on the third file restores the first two', async () => {
    const dir = workspace({ 'a.py': 'a\n', 'b.py': 'b\n', 'c.py': 'c\n' });
    const { fix, patch } = await planned(dir, ['a', 'b', 'c'].map((x) => mod(`${x}.py`, x, `${x}${x}`)), ['a.py', 'b.py', 'c.py']);
    const before = snapshot(dir);
    let n = 0;
    const write = async (abs: string, content: string) => {
      if (++n === 3) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      writeFileSync(abs, content);
    };
    await assert.rejects(applyFix({ workspace: dir, fix, patch, write }), /could not write c\.py: ENOSPC.*the 2 files already written were restored/);
    assert.deepEqual(snapshot(dir), before);
  });

  test('rollback refuses a file changed since the apply unless forced', async () => {
    const dir = workspace({ 'a.py': 'a = 1\n' });
    const before = snapshot(dir);
    const { fix, patch } = await planned(dir, [mod('a.py', 'a = 1', 'a = 2')], ['a.py']);
    const cp = await applyFix({ workspace: dir, fix, patch });
    writeFileSync(path.join(dir, 'a.py'), 'a = 2\nb = 3\n');
    await assert.rejects(rollback(dir, { checkpointId: cp.id }), /a\.py changed since checkpoint .* was applied .*Use --force/);
    assert.equal(readFileSync(path.join(dir, 'a.py'), 'utf8'), 'a = 2\nb = 3\n');
    await assert.rejects(rollback(dir, { checkpointId: 'cp-nope' }), /no checkpoint "cp-nope"/);
    await rollback(dir, { checkpointId: cp.id, force: true });
    assert.deepEqual(snapshot(dir), before);
  });

  test('a file outside the plan is refused', async () => {
    const dir = workspace({ 'a.py': 'a = 1\n' });
    const { fix, patch } = await planned(dir, [mod('a.py', 'a = 1', 'a = 2')], ['a.py']);
    const sneaky = { ...patch, files: [...patch.files, { ...patch.files[0], file: 'other.py' }] };
    await assert.rejects(applyFix({ workspace: dir, fix, patch: sneaky }), /other\.py is not one of the plan's files; nothing was written/);
    assert.equal(readFileSync(path.join(dir, 'a.py'), 'utf8'), 'a = 1\n');
  });
});

describe('records', () => {
  test('written atomically, read back validated; a corrupt file is reported, not fatal', async () => {
    const dir = workspace({});
    const record: RepairRecord = {
      id: 'run-1-01',
      createdAt: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
      violation: { id: 'a:500', scenario: 'a', method: 'GET', path: '/a', expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', message: 'm' },
      applied: false,
      reason: 'no plan',
      passRateBefore: 0.5,
      timings: { plan: 1.5 },
    };
    const file = await writeRecord(dir, record);
    assert.equal(path.basename(file), '20250102T030405006Z-run-1-01.json');
    writeFileSync(path.join(path.dirname(file), '20250102T030405007Z-bad.json'), '{"id": 3');
    writeFileSync(path.join(path.dirname(file), '20250102T030405008Z-worse.json'), '{"id": "x"}');
    const { records, problems } = await listRecords(dir);
    assert.deepEqual(records, [record]);
    assert.equal(problems.length, 2);
    assert.match(problems[0].error, /not valid JSON/);
    assert.match(problems[1].error, /createdAt/);
  });
});

describe('command line exit codes (plan, repair, rollback)', () => {
  const CLI = path.join(__dirname, '..', '..', 'bin', 'smoke-repair.js');
  const cli = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('rollback: 0 restored, 1 nothing to roll back or refused, 2 unknown checkpoint', async () => {
    const dir = workspace({ 'a.py': 'a = 1\n' });
    let r = cli(['rollback', '--workspace', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /there is no checkpoint to roll back/);
    const { fix, patch } = await planned(dir, [mod('a.py', 'a = 1', 'a = 2')], ['a.py']);
    const cp = await applyFix({ workspace: dir, fix, patch });
    writeFileSync(path.join(dir, 'a.py'), 'a = 3\n');
    r = cli(['rollback', '--workspace', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a\.py changed since checkpoint/);
    r = cli(['rollback', '--workspace', dir, '--checkpoint', 'cp-missing']);
    assert.equal(r.code, 2);
    r = cli(['rollback', '--workspace', dir, '--checkpoint', cp.id, '--force', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).restored, ['a.py']);
    assert.equal(readFileSync(path.join(dir, 'a.py'), 'utf8'), 'a = 1\n');
  });

  test('plan and repair: 2 for bad usage or configuration', () => {
    const dir = workspace({ 'smoke-repair.yaml': 'version: 1\napp:\n  baseUrl: 12\n' });
    let r = cli(['plan', '--workspace', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /smoke-repair\.yaml:3/);
    r = cli(['repair', '--workspace', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /repair needs --once/);
    r = cli(['repair', '--once', '--workspace', dir]);
    assert.equal(r.code, 2);
    r = cli(['plan', '--bogus']);
    assert.equal(r.code, 2);
  });
});
