/**
 * The stores of a workspace together: the workspace's own, the user's (shared by every workspace of
 * that user) and their merge; a patterns file exported, reviewed, imported (once, however often);
 * a bad file named by line with nothing taken; and the `patterns` command's actions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { exportPatterns, importPatterns, PatternFileError, readPatternFile } from '../../server/src/engine/learn/exchange';
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';
import { frameworkOf, LayeredPatternStore, patternStoreFor, userStoreFile } from '../../server/src/engine/learn/stores';
import { runCli } from '../setup/cli';
import { attempt, patternStoreContract } from './pattern-store-contract';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function dir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'stores-'));
  dirs.push(d);
  return d;
}
const q = { exceptionClass: 'NameError', endpoint: 'GET /items/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 };

describe('the stores of a workspace', () => {
  patternStoreContract('layered (workspace + user)', async () => {
    const d = dir();
    return new LayeredPatternStore([
      { layer: 'workspace', store: await EmbeddedPatternStore.open(path.join(d, 'ws.jsonl')) },
      { layer: 'user', store: await EmbeddedPatternStore.open(path.join(d, 'user.jsonl')) },
    ]);
  });

  test("the user's store: a fix learned in one workspace is found from another of the same user, and not by another user", async () => {
    const user = dir();
    const other = dir();
    const env = { SMOKE_REPAIR_USER_DIR: user } as NodeJS.ProcessEnv;
    assert.equal(userStoreFile(env), path.join(user, 'patterns', 'patterns.jsonl'));
    assert.equal(userStoreFile({ SMOKE_REPAIR_USER_DIR: 'none' }), undefined);
    assert.match(userStoreFile({ HOME: '/home/x' }) ?? '', /smoke-repair[\\/]patterns[\\/]patterns\.jsonl$/);
    const saved = process.env.SMOKE_REPAIR_USER_DIR;
    try {
      process.env.SMOKE_REPAIR_USER_DIR = user;
      const a = await patternStoreFor(dir());
      const learned = await a.record(attempt());
      const b = await patternStoreFor(dir());
      const [found] = await b.lookup(q);
      assert.equal(found?.key, learned.key);
      assert.deepEqual(found?.layers, ['user']);
      // The workspace's own learning off the user's store: `learning.userStore: false`.
      assert.deepEqual(await (await patternStoreFor(dir(), { userStore: false })).lookup(q), []);
      process.env.SMOKE_REPAIR_USER_DIR = other;
      assert.deepEqual(await (await patternStoreFor(dir())).lookup(q), [], "another user's store knows nothing of it");
      // Both layers hold it: one pattern, the larger count, both layers named.
      process.env.SMOKE_REPAIR_USER_DIR = user;
      const ws = dir();
      const c = await patternStoreFor(ws);
      await c.record(attempt());
      const [both] = await c.lookup(q);
      assert.deepEqual([both?.attempts, both?.layers], [2, ['workspace', 'user']]);
      const { patterns } = await c.list();
      assert.equal(patterns.length, 1);
    } finally {
      if (saved === undefined) delete process.env.SMOKE_REPAIR_USER_DIR;
      else process.env.SMOKE_REPAIR_USER_DIR = saved;
    }
  });

  test('a user store that cannot be written never stops the workspace store; its problem is listed', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'blocker'), 'a file where the store wants a folder');
    const store = new LayeredPatternStore([
      { layer: 'workspace', store: await EmbeddedPatternStore.open(path.join(d, 'ws.jsonl')) },
      { layer: 'user', store: await EmbeddedPatternStore.open(path.join(d, 'blocker', 'patterns.jsonl')) },
    ]);
    const p = await store.record(attempt());
    assert.equal(p.attempts, 1);
    const { patterns, problems } = await store.list();
    assert.equal(patterns.length, 1);
    assert.match(problems.join('\n'), /user pattern store \(embedded\): record failed/);
  });
});

describe("the workspace's framework", () => {
  test('read from its manifests and kept with each attempt that does not name one', async () => {
    const cases: Array<[Record<string, string>, string | undefined]> = [
      [{ 'requirements.txt': 'uvicorn\nFastAPI==0.115\n' }, 'fastapi'],
      [{ 'pyproject.toml': '[project]\ndependencies = [\n  "flask>=3",\n]\n' }, 'flask'],
      [{ 'package.json': '{"dependencies": {"express": "^4.21.0", "pino": "^9"}}' }, 'express'],
      [{ 'package.json': '{"dependencies": {"@nestjs/core": "^10", "express": "^4"}}' }, 'nestjs'],
      [{ 'README.md': 'express yourself' }, undefined],
    ];
    for (const [files, want] of cases) {
      const d = dir();
      for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
      assert.equal(await frameworkOf(d), want, JSON.stringify(files));
    }
    const d = dir();
    writeFileSync(path.join(d, 'requirements.txt'), 'flask\n');
    const store = await patternStoreFor(d, { userStore: false });
    const p = await store.record(attempt());
    assert.equal(p.signature.framework, 'fastapi', 'an attempt that names its framework keeps it');
    const bare = attempt();
    delete (bare.signature as { framework?: string }).framework;
    assert.equal((await store.record({ ...bare, edit: { other: 1 } })).signature.framework, 'flask');
  });
});

describe('a patterns file', () => {
  test('exported, imported into another workspace once however often, and read back the same', async () => {
    const from = await EmbeddedPatternStore.open(path.join(dir(), 'a.jsonl'));
    await from.record(attempt());
    await from.record(attempt({ outcome: 'failure' }));
    await from.recordAntiPattern({ wrong: 'except:', correct: 'except Exception:', language: 'python', severity: 'low', occurrences: 1, confidence: 0.7 });
    const file = path.join(dir(), 'team-patterns.jsonl');
    const out = await exportPatterns(from, file);
    assert.deepEqual([out.events.length, out.patterns, out.antiPatterns], [3, 1, 1]);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 4, 'a header and one line per event');
    assert.equal(JSON.parse(lines[0]!).format, 'smoke-repair-patterns');
    const to = await EmbeddedPatternStore.open(path.join(dir(), 'b.jsonl'));
    const first = await importPatterns(to, file);
    assert.deepEqual([first.added, first.skipped], [3, 0]);
    const again = await importPatterns(to, file);
    assert.deepEqual([again.added, again.skipped], [0, 3]);
    const [p] = (await to.list()).patterns;
    assert.deepEqual([p?.attempts, p?.successes, p?.failures], [2, 1, 1]);
    // Exported from the store that imported it: the same events, the same ids.
    const back = path.join(dir(), 'back.jsonl');
    await exportPatterns(to, back);
    assert.deepEqual(readFileSync(back, 'utf8'), readFileSync(file, 'utf8'));
  });

  test('a bad file is an error naming FILE:LINE, and nothing is taken', async () => {
    const from = await EmbeddedPatternStore.open(path.join(dir(), 'a.jsonl'));
    await from.record(attempt());
    await from.record(attempt({ endpoint: 'GET /b/{}' }));
    const file = path.join(dir(), 'p.jsonl');
    await exportPatterns(from, file);
    const good = readFileSync(file, 'utf8').split('\n');
    const cases: Array<[string, RegExp]> = [
      [[good[0], good[1], '{"kind": "attempt", "signature": {', good[2]].join('\n'), /p\.jsonl:3: not a JSON line/],
      [[good[0], good[1], '{"kind": "attempt", "outcome": "maybe"}'].join('\n'), /p\.jsonl:3: not a pattern event: .*outcome/],
      [good.slice(1).join('\n'), /p\.jsonl:1: not a patterns file/],
      [[good[0]!.replace('"version":1', '"version":7'), good[1]].join('\n'), /p\.jsonl:1: patterns file version 7/],
      ['', /empty/],
    ];
    for (const [text, error] of cases) {
      writeFileSync(file, text);
      const to = await EmbeddedPatternStore.open(path.join(dir(), 'b.jsonl'));
      await assert.rejects(importPatterns(to, file), (err: Error) => err instanceof PatternFileError && error.test(err.message), error.source);
      assert.deepEqual((await to.list()).patterns, [], 'nothing taken');
    }
    await assert.rejects(readPatternFile(path.join(dir(), 'missing.jsonl')), /missing\.jsonl: cannot read it \(ENOENT\)/);
  });
});

describe('smoke-repair patterns', () => {
  test('lists, exports, imports, promotes, demotes and forgets; errors are usage errors with the remedy', async () => {
    const user = dir();
    const env = { SMOKE_REPAIR_USER_DIR: user };
    const a = dir();
    const store = await EmbeddedPatternStore.forWorkspace(a);
    const p = await store.record(attempt());
    const list = await runCli(['patterns', '--workspace', a, '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout);
    assert.deepEqual(listed.stores, ['workspace', 'user']);
    assert.equal(listed.patterns[0].key, p.key);
    const file = path.join(dir(), 'team.jsonl');
    const exported = await runCli(['patterns', 'export', file, '--workspace', a], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported 1 event \(1 fix pattern, 0 anti-patterns\)/);
    const b = dir();
    const imported = await runCli(['patterns', 'import', file, '--workspace', b], env);
    assert.match(imported.stdout, /1 new event, 0 already known/);
    const twice = await runCli(['patterns', 'import', file, '--workspace', b], env);
    assert.match(twice.stdout, /0 new events, 1 already known/);
    const promoted = await runCli(['patterns', 'promote', p.key.slice(0, 8), '--workspace', b, '--by', 'alice'], env);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, new RegExp(`${p.key} promoted by alice`));
    const shown = JSON.parse((await runCli(['patterns', '--workspace', b, '--json'], env)).stdout);
    assert.equal(shown.patterns[0].promoted, true);
    assert.match((await runCli(['patterns', '--workspace', b], env)).stdout, /★ add_import for NameError/);
    assert.equal((await runCli(['patterns', 'demote', p.key, '--workspace', b], env)).code, 0);
    assert.equal((await runCli(['patterns', 'forget', p.key, '--workspace', b], env)).code, 0);
    assert.equal(JSON.parse((await runCli(['patterns', '--workspace', b, '--json'], { SMOKE_REPAIR_USER_DIR: 'none' })).stdout).patterns.length, 0);
    const unknown = await runCli(['patterns', 'promote', 'fp-nope', '--workspace', b], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no fix pattern "fp-nope" \(`smoke-repair patterns` lists them\)/);
    const typo = await runCli(['patterns', 'exprot', file], env);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no action "exprot"; did you mean "export"\?/);
    const noFile = await runCli(['patterns', 'import'], env);
    assert.match(noFile.stderr, /patterns import needs a FILE/);
    writeFileSync(file, 'not json\n');
    const bad = await runCli(['patterns', 'import', file, '--workspace', b], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /team\.jsonl:1: not a JSON line/);
  });
});
