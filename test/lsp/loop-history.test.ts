/**
 * The repair loop and the Repair History through the real language server over stdio, on a copy
 * of the Node example in Docker: Start Repair Loop runs with work-done progress and answers how it
 * ended; the server says the history changed; the history request pages the runs, newest first,
 * with iterations and fixes; a fix's diff can be opened; bad parameters are located errors.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HistoryChangedNotification, HistoryRequest, RecordDiffRequest, StartRepairLoopCommand } from '../../server/src/protocol';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { buildServer, LspEditor } from '../setup/lspEditor';
import { freePort } from '../setup/net';

describe('repair loop and history in the editor', { timeout: 20 * 60_000 }, () => {
  let copy: ExampleCopy;
  let editor: LspEditor;
  const changed: string[] = [];

  before(async () => {
    buildServer();
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
    editor = new LspEditor({ untilMs: 10 * 60_000 });
    editor.conn.onNotification(HistoryChangedNotification.method, (p: HistoryChangedNotification.Params) => void changed.push(p.folderUri));
    await editor.initialize(copy.dir);
  });
  after(async () => {
    await editor?.close();
    copy?.stop();
  });

  it('an empty history says so; bad parameters are refused with what was expected', async () => {
    const empty = HistoryRequest.resultSchema.parse(await editor.conn.sendRequest(HistoryRequest.method, {}));
    assert.deepEqual([empty.runs, empty.total], [[], 0]);
    await assert.rejects(editor.conn.sendRequest(HistoryRequest.method, { limit: 0 }), /smokeRepair\/history expects \{ folderUri\?, cursor\?, limit\? \}/);
    await assert.rejects(editor.conn.sendRequest(RecordDiffRequest.method, { recordId: 'run-nope-01' }), /record "run-nope-01" keeps no diff/);
    await assert.rejects(editor.command(StartRepairLoopCommand.id, [{ target: 2 }]), /smokeRepair\.startRepairLoop: invalid arguments/);
  });

  it('runs the loop with progress, then the history shows its iterations and fixes', async () => {
    const folderUri = pathToFileURL(copy.dir).href;
    const result = StartRepairLoopCommand.resultSchema.parse(await editor.command(StartRepairLoopCommand.id, [{ folderUri, maxIterations: 3 }]));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.stopReason, 'plateau');
    assert.ok(result.passRateEnd > result.passRateStart);
    assert.deepEqual(result.escalation.map((e) => e.scenario), ['list stats']);
    assert.ok(result.applied >= 4);
    await editor.until(() => changed.includes(folderUri), 'the history-changed notification');
    // Progress was reported, with the loop's own steps.
    const messages = editor.progress.map((p) => JSON.stringify(p.value)).join('\n');
    assert.match(messages, /"title":"Repair loop"/);
    assert.match(messages, /Iteration 1 of at most 3/);

    const page = HistoryRequest.resultSchema.parse(await editor.conn.sendRequest(HistoryRequest.method, { folderUri }));
    assert.equal(page.total, 1);
    const run = page.runs[0]!;
    assert.equal(run.kind, 'loop');
    assert.equal(run.id, result.loopId);
    assert.equal(run.stopReason, 'plateau');
    assert.equal(run.iterations.length, result.iterations);
    const first = run.iterations[0]!;
    assert.ok(first.passRateAfter > first.passRateBefore);
    const applied = first.fixes.filter((f) => f.applied);
    assert.ok(applied.length >= 4, JSON.stringify(first.fixes.map((f) => [f.title, f.reason])));
    assert.ok(applied.every((f) => f.validation === 'passed' && f.label === 'safe' && f.hasDiff), JSON.stringify(applied));
    const unfixed = run.iterations.flatMap((i) => i.fixes).find((f) => f.title.startsWith('list stats'));
    assert.ok(unfixed && !unfixed.applied && /no plan/.test(unfixed.reason), JSON.stringify(unfixed));

    const diff = RecordDiffRequest.resultSchema.parse(await editor.conn.sendRequest(RecordDiffRequest.method, { folderUri, recordId: applied[0]!.recordId }));
    assert.match(diff.diff, /^--- a\//m);
    assert.match(diff.diff, /^\+/m);

    // A second loop: the newest run comes first, and the history pages.
    const again = StartRepairLoopCommand.resultSchema.parse(await editor.command(StartRepairLoopCommand.id, [{ folderUri, maxIterations: 1 }]));
    assert.ok(again.ok && again.stopReason === 'plateau', JSON.stringify(again));
    const p1 = HistoryRequest.resultSchema.parse(await editor.conn.sendRequest(HistoryRequest.method, { folderUri, limit: 1 }));
    assert.deepEqual([p1.total, p1.runs.map((r) => r.id), p1.nextCursor], [2, [again.ok ? again.loopId : ''], 1]);
    const p2 = HistoryRequest.resultSchema.parse(await editor.conn.sendRequest(HistoryRequest.method, { folderUri, limit: 1, cursor: 1 }));
    assert.deepEqual([p2.runs.map((r) => r.id), p2.nextCursor], [[result.loopId], undefined]);
  });
});
