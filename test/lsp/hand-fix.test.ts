/**
 * A person's fix, seen by the real language server over stdio (test/field/fastapi-tasks as a
 * process): a smoke run fails after `crud` went missing from a router; the file is edited back as a
 * person would; the next run passes and the server asks whether to learn the fix; answering
 * "Learn This Fix" records a pattern from the source `person`; the question is asked once.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyEdits } from '../../bench/corpus/faults';
import { plannedFaults } from '../../bench/corpus/runner';
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';
import { LEARN } from '../../server/src/lsp/handFixes';
import { copyFieldApp, type FieldWorkspace } from '../setup/field';
import { buildServer, LspEditor } from '../setup/lspEditor';
import { freePort } from '../setup/net';

describe('a hand fix in the editor', { timeout: 10 * 60_000 }, () => {
  let ws: FieldWorkspace;
  let editor: LspEditor;
  const asked: Array<{ message: string; actions: Array<{ title: string }> }> = [];

  before(async () => {
    buildServer();
    ws = copyFieldApp('fastapi-tasks', { port: await freePort() });
    editor = new LspEditor({ untilMs: 3 * 60_000, env: { ...process.env, SMOKE_REPAIR_USER_DIR: 'none' } });
    editor.conn.onRequest('window/showMessageRequest', (p: { message: string; actions: Array<{ title: string }> }) => {
      asked.push(p);
      return { title: LEARN };
    });
    await editor.initialize(ws.dir);
  });
  after(async () => {
    await editor?.close();
    ws?.remove();
  });

  it('is asked about once after the run that passes, and learned from `person` when the answer is yes', async () => {
    const fault = plannedFaults({ apps: ['fastapi-tasks'] }).find((f) => f.kind === 'remove-import' && f.runtime === 'process' && f.file === 'app/routers/tasks.py' && /remove `crud`/.test(f.summary));
    assert.ok(fault);
    const file = path.join(ws.dir, fault.file);
    const original = readFileSync(file, 'utf8');
    applyEdits(ws.dir, fault.edits);
    const failing = await editor.runSmoke();
    assert.ok(failing.ok && failing.violations > 0, JSON.stringify(failing));
    writeFileSync(file, original);
    const passing = await editor.runSmoke();
    assert.ok(passing.ok && passing.violations === 0, JSON.stringify(passing));
    const question = await editor.until(() => asked[0], 'the question about the hand fix');
    assert.match(question.message, /^Smoke Repair: ".+" pass(es)? after your edit of app\/routers\/tasks\.py \(import crud\)\. Learn this fix/);
    assert.deepEqual(question.actions.map((a) => a.title), [LEARN, "Don't Learn"]);
    const store = await EmbeddedPatternStore.forWorkspace(ws.dir);
    const pattern = await editor.until(async () => (await store.list()).patterns[0], 'the learned pattern');
    assert.deepEqual([pattern.sources, pattern.fixType, pattern.planner], [['person'], 'add_import', 'person']);
    // Another passing run asks nothing more.
    await editor.runSmoke();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(asked.length, 1);
  });
});
