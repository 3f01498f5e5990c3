/**
 * Approvals through the real language server over stdio, on a copy of the Node example in Docker
 * whose smoke-repair.yaml holds every fix for a person (`loop.approve: none`): the loop writes
 * nothing and the server says which fixes wait; the approvals request lists them with why; an
 * approval's diff opens; approving one records the OS user and applies it at once (the scenario
 * passes afterwards); rejecting another keeps its file; deciding twice or a bad argument is a
 * clear answer, never a crash.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ApprovalsChangedNotification, ApprovalsRequest, DecideApprovalCommand, RecordDiffRequest, StartRepairLoopCommand } from '../../server/src/protocol';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { buildServer, LspEditor } from '../setup/lspEditor';
import { freePort } from '../setup/net';

describe('approvals in the editor', { timeout: 20 * 60_000 }, () => {
  let copy: ExampleCopy;
  let editor: LspEditor;
  const notified: ApprovalsChangedNotification.Params[] = [];

  before(async () => {
    buildServer();
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
    appendFileSync(path.join(copy.dir, 'smoke-repair.yaml'), '\nloop:\n  approve: none\n');
    editor = new LspEditor({ untilMs: 10 * 60_000 });
    editor.conn.onNotification(ApprovalsChangedNotification.method, (p: ApprovalsChangedNotification.Params) => void notified.push(p));
    await editor.initialize(copy.dir);
  });
  after(async () => {
    await editor?.close();
    copy?.stop();
  });

  it('the loop holds every fix, says which wait, and a person approves one and rejects another', async () => {
    const folderUri = pathToFileURL(copy.dir).href;
    const lists = readFileSync(path.join(copy.dir, 'src/routes/lists.js'), 'utf8');
    const todos = readFileSync(path.join(copy.dir, 'src/routes/todos.js'), 'utf8');
    const empty = ApprovalsRequest.resultSchema.parse(await editor.conn.sendRequest(ApprovalsRequest.method, { folderUri }));
    assert.deepEqual(empty.approvals, []);

    const loop = StartRepairLoopCommand.resultSchema.parse(await editor.command(StartRepairLoopCommand.id, [{ folderUri, maxIterations: 2 }]));
    assert.ok(loop.ok, JSON.stringify(loop));
    assert.equal(loop.applied, 0);
    assert.equal(loop.stopReason, 'plateau');
    assert.equal(readFileSync(path.join(copy.dir, 'src/routes/todos.js'), 'utf8'), todos, 'nothing written while fixes wait');
    await editor.until(() => notified.some((n) => n.opened.length > 0), 'the approvals-changed notification');
    const opened = notified.flatMap((n) => n.opened);

    const listed = ApprovalsRequest.resultSchema.parse(await editor.conn.sendRequest(ApprovalsRequest.method, { folderUri }));
    assert.deepEqual(listed.problems, []);
    assert.deepEqual(listed.approvals.map((a) => a.id).sort(), opened.map((a) => a.id).sort());
    assert.ok(listed.approvals.length >= 3, JSON.stringify(listed.approvals.map((a) => a.scenario)));
    assert.ok(listed.approvals.every((a) => a.status === 'pending' && a.why === 'hold-all' && a.validation === 'passed'));

    const comment = listed.approvals.find((a) => a.scenario === 'comment on todo')!;
    const rename = listed.approvals.find((a) => a.scenario === 'rename list')!;
    const diff = RecordDiffRequest.resultSchema.parse(await editor.conn.sendRequest(RecordDiffRequest.method, { folderUri, approvalId: comment.id }));
    assert.match(diff.diff, /^\+.*status\(201\)/m);
    await assert.rejects(editor.conn.sendRequest(RecordDiffRequest.method, { folderUri, approvalId: 'apr-nope' }), /no approval "apr-nope"/);
    await assert.rejects(editor.conn.sendRequest(RecordDiffRequest.method, { folderUri }), /give recordId or approvalId/);

    const approved = DecideApprovalCommand.resultSchema.parse(await editor.command(DecideApprovalCommand.id, [{ folderUri, approvalId: comment.id, decision: 'approved' }]));
    assert.ok(approved.ok, JSON.stringify(approved));
    assert.equal(approved.approval.status, 'applied');
    assert.equal(approved.approval.decision?.by, userInfo().username);
    assert.match(approved.detail, /^applied: approved by /);
    assert.ok(approved.passRateAfter !== undefined && approved.passRateAfter > loop.passRateEnd, JSON.stringify(approved));
    assert.match(readFileSync(path.join(copy.dir, 'src/routes/todos.js'), 'utf8'), /status\(201\)/);

    const rejected = DecideApprovalCommand.resultSchema.parse(await editor.command(DecideApprovalCommand.id, [{ folderUri, approvalId: rename.id, decision: 'rejected', note: 'not this way' }]));
    assert.ok(rejected.ok && rejected.approval.status === 'rejected' && rejected.approval.decision?.note === 'not this way', JSON.stringify(rejected));
    assert.equal(readFileSync(path.join(copy.dir, 'src/routes/lists.js'), 'utf8'), lists);

    const twice = DecideApprovalCommand.resultSchema.parse(await editor.command(DecideApprovalCommand.id, [{ folderUri, approvalId: rename.id, decision: 'approved' }]));
    assert.ok(!twice.ok && /is rejected by .*: only a pending approval can be approved/.test(twice.message), JSON.stringify(twice));
    await assert.rejects(editor.command(DecideApprovalCommand.id, [{ approvalId: comment.id, decision: 'maybe' }]), /smokeRepair\.decideApproval: invalid arguments/);

    const left = ApprovalsRequest.resultSchema.parse(await editor.conn.sendRequest(ApprovalsRequest.method, { folderUri }));
    assert.ok(!left.approvals.some((a) => a.id === comment.id || a.id === rename.id), 'decided approvals leave the pending list');
    const all = ApprovalsRequest.resultSchema.parse(await editor.conn.sendRequest(ApprovalsRequest.method, { folderUri, all: true }));
    assert.equal(all.approvals.find((a) => a.id === comment.id)?.status, 'applied');
  });
});
