/**
 * Approvals on disk: a held fix is asked once, a newer fix for the same failure supersedes it, a
 * decision names who and when and cannot be made twice, a rejected fix is not asked again, and an
 * approved fix is applied only as the diff the person saw (a file changed since makes it stale).
 * The whole path through a real app (repair → approve → apply → smoke) is in
 * test/integration/approvals.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  APPROVALS_DIR,
  ApprovalError,
  approvalCounts,
  approvedFixes,
  approverName,
  decideApproval,
  findApproval,
  listApprovals,
  openApproval,
  settleApproval,
} from '../../server/src/engine/approvals';
import { sha256 } from '../../server/src/engine/files/hash';
import { generatePatch } from '../../server/src/engine/patch';
import { parsePlan } from '../../server/src/engine/plan';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';
import type { PlannedFix, RepairRecord } from '../../server/src/engine/contracts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function workspace(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'approvals-'));
  dirs.push(d);
  writeFileSync(path.join(d, 'app.py'), 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/id")\ndef new_id():\n    return {"id": str(uuid.uuid4())}\n');
  return d;
}

async function held(dir: string, module = 'uuid', violationId = 'new-id:500') {
  const parsed = parsePlan({
    root_cause: `NameError: name '${module}' is not defined`,
    category: 'IMPORT',
    confidence: 0.9,
    files: ['app.py'],
    operations: [{ type: 'add_import', file: 'app.py', rationale: 'the handler reads it', details: { name: module, module, style: 'module' } }],
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const read = workspaceReader(dir);
  const fix: PlannedFix = { id: `fix-${module}`, violationId, planner: 'rules', plan: parsed.plan, base: { 'app.py': sha256((await read('app.py'))!) }, createdAt: Date.now() };
  const patch = await generatePatch(parsed.plan, read, undefined, { workspace: dir });
  const record: RepairRecord = {
    id: `run-1-0${module.length}`,
    createdAt: Date.now(),
    violation: { id: violationId, scenario: 'new id', method: 'GET', path: '/id', expectedStatus: 200, actualStatus: 500, failureType: 'RUNTIME', strategy: 'IMPORT', message: 'GET /id → 500 (expected 200): NameError', exceptionClass: 'NameError' },
    planner: 'rules',
    plan: parsed.plan,
    patchPolicy: { allowed: true, dangerScore: 35, label: 'needs-review', reasons: ['+25 a router included anew'] },
    applied: false,
    reason: 'needs review (danger score 35): not applied without a person\'s yes',
    passRateBefore: 0.5,
    timings: {},
  };
  return { fix, patch, record };
}

describe('approvals', () => {
  test('asked once; a newer fix for the same failure supersedes the old; counted by status', async () => {
    const dir = workspace();
    const h = await held(dir);
    const first = await openApproval(dir, { ...h, why: 'needs-review', validation: { status: 'passed', summary: '' }, loopId: 'loop-1' });
    assert.equal(first.opened, true);
    assert.match(first.approval.id, /^apr-\d{8}T\d{6}-[0-9a-f]{6}$/);
    const again = await openApproval(dir, { ...h, why: 'needs-review', validation: { status: 'passed', summary: '' }, loopId: 'loop-1' });
    assert.equal(again.opened, false);
    assert.equal(again.approval.id, first.approval.id);
    const other = await held(dir, 'secrets');
    const second = await openApproval(dir, { ...other, why: 'needs-review', validation: { status: 'passed', summary: '' }, loopId: 'loop-1' });
    assert.equal(second.opened, true);
    const { approvals, problems } = await listApprovals(dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(approvals.map((a) => [a.id, a.status, a.supersededBy]), [
      [first.approval.id, 'superseded', second.approval.id],
      [second.approval.id, 'pending', undefined],
    ]);
    assert.deepEqual(approvalCounts(approvals, 'loop-1'), { superseded: 1, pending: 1 });
    assert.deepEqual(approvalCounts(approvals, 'loop-2'), {});
  });

  test('a decision names who and when, is found by a unique start of the id, and is made once', async () => {
    const dir = workspace();
    const { approval } = await openApproval(dir, { ...(await held(dir)), why: 'security', validation: { status: 'passed', summary: '' } });
    const before = Date.now();
    const decided = await decideApproval(dir, approval.id.slice(0, -2), 'approved', approverName('alice'), '  looked at the guard ');
    assert.equal(decided.status, 'approved');
    assert.equal(decided.decision!.by, 'alice');
    assert.equal(decided.decision!.note, 'looked at the guard');
    assert.ok(decided.decision!.at >= before);
    assert.deepEqual(await findApproval(dir, approval.id), decided, 'the decision is on disk');
    await assert.rejects(decideApproval(dir, approval.id, 'rejected', 'bob'), (e: Error) => e instanceof ApprovalError && /is approved by alice at \d{4}-.*only a pending approval can be rejected/.test(e.message));
    await assert.rejects(decideApproval(dir, 'apr-nope', 'approved', 'bob'), (e: Error) => e instanceof ApprovalError && /no approval "apr-nope" in \.smoke-repair\/approvals \(none is pending\)/.test(e.message));
    assert.ok(approverName().length > 0, 'the operating-system user by default');
  });

  test('a rejected fix is not asked again; another fix for the same failure is', async () => {
    const dir = workspace();
    const h = await held(dir);
    const { approval } = await openApproval(dir, { ...h, why: 'needs-review', validation: { status: 'passed', summary: '' } });
    await decideApproval(dir, approval.id, 'rejected', 'bob', 'wrong module');
    const again = await openApproval(dir, { ...h, why: 'needs-review', validation: { status: 'passed', summary: '' } });
    assert.equal(again.opened, false);
    assert.equal(again.approval.status, 'rejected');
    const other = await openApproval(dir, { ...(await held(dir, 'secrets')), why: 'needs-review', validation: { status: 'passed', summary: '' } });
    assert.equal(other.opened, true);
  });

  test('an approved fix comes back as the very patch approved; after a change to its file it is stale, never applied in another form', async () => {
    const dir = workspace();
    const h = await held(dir);
    const { approval } = await openApproval(dir, { ...h, why: 'checked', validation: { status: 'checked', summary: 'the scenarios were not run' } });
    assert.deepEqual(await approvedFixes(dir, workspaceReader(dir)), [], 'nothing approved yet');
    await decideApproval(dir, approval.id, 'approved', 'alice');
    const [ready] = await approvedFixes(dir, workspaceReader(dir));
    assert.ok(ready && 'patch' in ready, JSON.stringify(ready));
    assert.equal(ready.patch.diff, h.patch.diff);
    assert.deepEqual(ready.fix.base, h.fix.base);

    // Someone edits the line the fix would go above: the plan makes another diff now.
    writeFileSync(path.join(dir, 'app.py'), readFileSync(path.join(dir, 'app.py'), 'utf8').replace('from fastapi import FastAPI\n', 'import os\nfrom fastapi import FastAPI\n'));
    const [stale] = await approvedFixes(dir, workspaceReader(dir));
    assert.ok(stale && 'stale' in stale, JSON.stringify(stale));
    assert.match(stale.stale, /changed since it was approved/);
    const settled = await settleApproval(dir, stale.approval, { applied: false, detail: `not applied: ${stale.stale}` });
    assert.equal(settled.status, 'stale');
    assert.deepEqual(await approvedFixes(dir, workspaceReader(dir)), [], 'a settled approval is not taken again');
  });

  test('a file that is not an approval is named, and the others still read', async () => {
    const dir = workspace();
    await openApproval(dir, { ...(await held(dir)), why: 'hold-all', validation: { status: 'passed', summary: '' } });
    writeFileSync(path.join(dir, APPROVALS_DIR, 'apr-broken.json'), '{"version": 1, "id": "apr-broken"');
    writeFileSync(path.join(dir, APPROVALS_DIR, 'apr-old.json'), JSON.stringify({ version: 1, id: 'apr-old', status: 'pending' }));
    const { approvals, problems } = await listApprovals(dir);
    assert.equal(approvals.length, 1);
    assert.deepEqual(problems.map((p) => path.basename(p.file)).sort(), ['apr-broken.json', 'apr-old.json']);
    assert.match(problems.find((p) => p.file.endsWith('apr-broken.json'))!.error, /not valid JSON/);
    assert.equal(readdirSync(path.join(dir, APPROVALS_DIR)).length, 3, 'nothing is deleted');
  });
});
