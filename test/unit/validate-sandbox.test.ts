import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTwoFilesPatch } from 'diff';
import { checkApplies, checkRelativePath, createSandbox, overallStatus, replacePort, copySources, withEarlierSteps } from '../../server/src/engine/validate';
import type { Patch } from '../../server/src/engine/contracts';
import type { Scenario } from '../../server/src/engine/model';

/** The sandbox on real folders: the view holds the patched files, links elsewhere; the workspace is untouched. */

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function workspaceOf(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'validate-ws-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, e.name);
      h.update(path.relative(dir, full) + '\0');
      if (e.isDirectory()) walk(full);
      else h.update(readFileSync(full));
    }
  };
  walk(dir);
  return h.digest('hex');
}

describe('sandbox', () => {
  test('the view replaces the changed files, shares no file the app could write, and the workspace is untouched', async () => {
    const ws = workspaceOf({
      'app/main.py': 'main\n', 'app/routers/orders.py': 'old\n', 'app/routers/carts.py': 'carts\n', 'README.md': 'hi\n', 'lib/x.py': 'x\n',
      'app.db': 'SQLite format 3\u0000rows', 'instance/notes.sqlite': 'SQLite format 3\u0000', 'data/store.json': '{"n":1}', 'node_modules/pkg/index.js': 'module.exports = 1;\n',
    });
    const before = hashTree(ws);
    const sb = await createSandbox({ workspace: ws, files: [{ file: 'app/routers/orders.py', after: 'new\n' }, { file: 'app/new/created.py', after: 'created\n' }] });
    try {
      assert.ok(!sb.root.startsWith(ws));
      assert.equal(readFileSync(sb.pathOf('app/routers/orders.py'), 'utf8'), 'new\n');
      const view = await sb.view();
      assert.equal(readFileSync(path.join(view, 'app/routers/orders.py'), 'utf8'), 'new\n');
      assert.equal(readFileSync(path.join(view, 'app/new/created.py'), 'utf8'), 'created\n');
      assert.equal(readFileSync(path.join(view, 'app/routers/carts.py'), 'utf8'), 'carts\n');
      // Every folder is the view's own, so files the app creates land in the view.
      assert.ok(lstatSync(path.join(view, 'app')).isDirectory());
      assert.ok(lstatSync(path.join(view, 'lib')).isDirectory());
      // Code is hard-linked (no copy, and no symbolic link for Node to resolve back to the workspace).
      assert.equal(statSync(path.join(view, 'app/routers/carts.py')).ino, statSync(path.join(ws, 'app/routers/carts.py')).ino);
      assert.ok(lstatSync(path.join(view, 'app/routers/carts.py')).isFile());
      assert.notEqual(statSync(path.join(view, 'app/routers/orders.py')).ino, statSync(path.join(ws, 'app/routers/orders.py')).ino);
      // Data is copied: what the sandboxed app writes stays in the view.
      for (const data of ['app.db', 'instance/notes.sqlite', 'data/store.json']) {
        assert.notEqual(statSync(path.join(view, data)).ino, statSync(path.join(ws, data)).ino, data);
        writeFileSync(path.join(view, data), 'written by the sandboxed app');
      }
      writeFileSync(path.join(view, 'instance/new.log'), 'created by the sandboxed app');
      assert.equal(existsSync(path.join(ws, 'instance/new.log')), false);
      // Installed dependencies are linked whole.
      assert.equal(readlinkSync(path.join(view, 'node_modules')), path.join(ws, 'node_modules'));
      assert.equal(await sb.view(), view, 'made once');
    } finally {
      await sb.dispose();
    }
    assert.equal(existsSync(sb.root), false, 'removed afterwards');
    assert.equal(hashTree(ws), before, 'the workspace is byte for byte as it was');
  });

  test('kept for debugging when asked', async () => {
    const ws = workspaceOf({ 'a.py': 'a\n' });
    const sb = await createSandbox({ workspace: ws, files: [{ file: 'a.py', after: 'b\n' }], keep: true });
    await sb.dispose();
    assert.ok(existsSync(sb.root));
    rmSync(sb.root, { recursive: true });
  });

  test('paths that leave the workspace are refused before anything is written', async () => {
    const ws = workspaceOf({ 'a.py': 'a\n' });
    for (const bad of ['../x.py', '/etc/passwd', 'a/../../x', 'a\\b.py', '', './a.py', 'a//b.py']) {
      assert.throws(() => checkRelativePath(bad), /UnsafePathError|workspace|empty|backslashes|absolute|normalised/, bad);
      await assert.rejects(createSandbox({ workspace: ws, files: [{ file: bad, after: 'x' }] }), bad);
    }
  });

  test('a 10,000-file workspace: the view links code instead of copying it', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) files[`pkg${i % 100}/mod${i}.py`] = `x = ${i}\n`;
    const ws = workspaceOf(files);
    const before = hashTree(ws);
    const started = performance.now();
    const sb = await createSandbox({ workspace: ws, files: [{ file: 'pkg1/mod1.py', after: 'x = -1\n' }, { file: 'pkg2/mod2.py', after: 'x = -2\n' }] });
    const view = await sb.view();
    const ms = performance.now() - started;
    // Every source is a hard link to its original: no bytes are copied for code.
    let linked = 0;
    for (let i = 0; i < 10_000; i += 97) {
      const f = `pkg${i % 100}/mod${i}.py`;
      if (f === 'pkg1/mod1.py' || f === 'pkg2/mod2.py') continue;
      assert.equal(statSync(path.join(view, f)).ino, statSync(path.join(ws, f)).ino, f);
      linked++;
    }
    assert.ok(linked > 100);
    assert.equal(readFileSync(path.join(view, 'pkg1/mod1.py'), 'utf8'), 'x = -1\n');
    assert.equal(readFileSync(path.join(view, 'pkg3/mod3.py'), 'utf8'), 'x = 3\n');
    await sb.dispose();
    assert.equal(hashTree(ws), before);
    assert.ok(ms < 10_000, `set-up took ${ms} ms`); // the budget (1 s) is measured by bench/sandbox.bench.ts
  });
});

function patchFor(file: string, before: string | null, after: string): Patch {
  const diff = createTwoFilesPatch(`a/${file}`, `b/${file}`, before ?? '', after);
  return { files: [{ file, before, after, diff, added: 1, removed: 0 }], diff, stats: { files: 1, added: 1, removed: 0, bytes: 0 } };
}

describe('apply step', () => {
  test('applies when the workspace matches `before` and the diff gives `after`', async () => {
    const ws = workspaceOf({ 'a.py': 'import os\n\nprint(os)\n' });
    const r = await checkApplies(ws, patchFor('a.py', 'import os\n\nprint(os)\n', 'import os\nimport uuid\n\nprint(os)\n'));
    assert.equal(r.ok, true, r.output);
  });
  test('CRLF files and files without a final newline apply byte for byte', async () => {
    const text = 'a = 1\r\nb = 2';
    const ws = workspaceOf({ 'a.py': text });
    const r = await checkApplies(ws, patchFor('a.py', text, 'a = 1\r\nc = 3\r\nb = 2'));
    assert.equal(r.ok, true, r.output);
  });
  test('a created file applies only when it does not exist yet', async () => {
    const ws = workspaceOf({ 'a.py': 'a\n' });
    assert.equal((await checkApplies(ws, patchFor('b.py', null, 'b\n'))).ok, true);
    const r = await checkApplies(ws, patchFor('a.py', null, 'b\n'));
    assert.equal(r.ok, false);
    assert.match(r.output, /a\.py: the patch creates it, but it exists/);
  });
  test('a file changed since the patch was made is refused, with the first differing line', async () => {
    const ws = workspaceOf({ 'a.py': 'one\ntwo\nTHREE\n' });
    const r = await checkApplies(ws, patchFor('a.py', 'one\ntwo\nthree\n', 'one\ntwo\nthree\nfour\n'));
    assert.equal(r.ok, false);
    assert.match(r.output, /^a\.py:3: changed since the patch was made/);
  });
  test('a diff that does not give `after` is refused', async () => {
    const ws = workspaceOf({ 'a.py': 'one\n' });
    const p = patchFor('a.py', 'one\n', 'one\ntwo\n');
    p.files[0] = { ...p.files[0], after: 'one\nthree\n' };
    const r = await checkApplies(ws, p);
    assert.equal(r.ok, false);
    assert.match(r.output, /a\.py:2: the unified diff gives a different text/);
  });
  test('a path outside the workspace is refused', async () => {
    const ws = workspaceOf({ 'a.py': 'one\n' });
    const r = await checkApplies(ws, patchFor('../a.py', 'one\n', 'two\n'));
    assert.equal(r.ok, false);
    assert.match(r.output, /not a normalised path inside the workspace/);
  });
});

describe('helpers', () => {
  test('replacePort changes the port number only where it stands alone', () => {
    assert.equal(replacePort('uvicorn app.main:app --host 127.0.0.1 --port 8000', 8000, 41234), 'uvicorn app.main:app --host 127.0.0.1 --port 41234');
    assert.equal(replacePort('--bind=0.0.0.0:8000 --workers 18000 v1.8000', 8000, 9), '--bind=0.0.0.0:9 --workers 18000 v1.8000');
  });
  test('COPY and ADD sources', () => {
    assert.deepEqual(copySources('FROM x\nCOPY requirements.txt .\nCOPY --chown=1:1 app ./app\nCOPY --from=build /out /out\nADD ["a b", "c"]\n'), ['requirements.txt', 'app', 'a b']);
  });
  test('overall status', () => {
    const s = (apply: string, parse: string, checks = 'skipped', scenarios = 'skipped') =>
      overallStatus(
        ([['apply', apply], ['parse', parse], ['checks', checks], ['scenarios', scenarios]] as const).map(([name, status]) => ({ name, status: status as 'passed', output: '', durationMs: 0 })),
      );
    // Applied and parsed, but the scenarios did not run: checked, never "validated".
    assert.equal(s('passed', 'passed'), 'checked');
    assert.equal(s('passed', 'passed', 'passed'), 'checked');
    assert.equal(s('passed', 'passed', 'skipped', 'passed'), 'passed');
    assert.equal(s('passed', 'passed', 'passed', 'passed'), 'passed');
    assert.equal(s('passed', 'passed', 'passed', 'failed'), 'failed');
    assert.equal(s('failed', 'skipped'), 'failed');
    assert.equal(s('passed', 'skipped'), 'skipped');
  });
  test('chains keep their earlier steps', () => {
    const sc = (id: string, chain: string | undefined, order: number) => ({ id, chain, order }) as Scenario;
    const all = [sc('a', 'c', 0), sc('b', 'c', 1), sc('x', 'c', 2), sc('h', undefined, 0)];
    assert.deepEqual(withEarlierSteps(all, new Set(['b'])).map((s) => s.id), ['a', 'b']);
  });
});
