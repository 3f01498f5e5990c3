/**
 * The sandbox shares nothing with the workspace: a Flask app whose SQLite database sits in the
 * workspace (given by absolute path in its environment) is validated from the sandbox, and the
 * workspace's database is byte for byte as the smoke run left it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { repairOnce } from '../../server/src/engine/repair';
import { copyFieldApp, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

let ws: FieldWorkspace | undefined;
after(() => ws?.remove());

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test("validation runs the app on a copy of its data: the workspace's SQLite file is not written", async () => {
  ws = copyFieldApp('flask-notes', { port: await freePort() });
  const views = path.join(ws.dir, 'notes/notebooks.py');
  // An unused import of a module that is not installed, inside one handler: that request fails.
  writeFileSync(views, readFileSync(views, 'utf8').replace('def show(notebook_id):\n', 'def show(notebook_id):\n    import ipdb\n'));
  const db = path.join(ws.dir, '.data/notes.sqlite');
  let afterSmoke: string | undefined;
  const summary = await repairOnce({
    workspace: ws.dir,
    apply: 'none',
    progress: {
      // The smoke run is over once repairing starts: what the real app wrote is in the file by then.
      report: (m) => {
        if (afterSmoke === undefined && m.startsWith('Repairing')) afterSmoke = hash(db);
      },
    },
  });
  const rec = summary.records.find((r) => r.violation.scenario === 'show notebook');
  assert.ok(rec, summary.records.map((r) => r.violation.message).join('\n'));
  assert.equal(rec.plan?.operations[0].type, 'remove_unused');
  assert.equal(rec.validation?.status, 'passed', JSON.stringify(rec.validation?.steps));
  assert.ok(afterSmoke);
  assert.equal(hash(db), afterSmoke, 'the sandboxed app wrote into the workspace database');
});
