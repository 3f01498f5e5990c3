import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { changesToWorkspaceEdit, type EditCapabilities } from '../../server/src/lsp/workspaceEdits';

const all: EditCapabilities = { documentChanges: true, changeAnnotations: true, create: true, delete: true };
const review = { label: 'Smoke Repair: add import (needs review)', description: 'touches an auth module', needsConfirmation: true };

function folder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'smoke-edits-'));
  writeFileSync(path.join(dir, 'app.py'), 'def f():\n    return uuid.uuid4()\n');
  return dir;
}

test('a fix that needs review carries its confirmation annotation on every edit', () => {
  const dir = folder();
  const built = changesToWorkspaceEdit(dir, [{ file: 'app.py', before: 'def f():\n    return uuid.uuid4()\n', after: 'import uuid\n\ndef f():\n    return uuid.uuid4()\n' }], () => undefined, all, { annotation: review });
  assert.ok(built.ok);
  assert.deepEqual(Object.values(built.edit.changeAnnotations ?? {}), [review]);
  const edits = built.edit.documentChanges!.flatMap((c) => ('edits' in c ? c.edits : []));
  assert.ok(edits.length > 0 && edits.every((e) => 'annotationId' in e));
});

test('an editor that cannot ask for a confirmation gets no edit for a fix that needs review, and is told why', () => {
  const dir = folder();
  for (const caps of [{ ...all, changeAnnotations: false }, { ...all, documentChanges: false }]) {
    const built = changesToWorkspaceEdit(dir, [{ file: 'app.py', before: 'def f():\n    return uuid.uuid4()\n', after: 'import uuid\n' }], () => undefined, caps, { annotation: review });
    assert.equal(built.ok, false);
    assert.match(!built.ok ? built.message : '', /needs review.*cannot ask for a confirmation.*Preview fix/);
  }
  // A safe fix needs no confirmation: the same editor gets its edit.
  assert.equal(changesToWorkspaceEdit(dir, [{ file: 'app.py', before: 'def f():\n    return uuid.uuid4()\n', after: 'import uuid\n' }], () => undefined, { ...all, changeAnnotations: false }).ok, true);
});
