/**
 * The embedded pattern store: the store contract, plus what only a file can get wrong: a writer
 * killed mid-write (the file stays readable, at most that record is lost, the next write is whole),
 * two writers at once (nothing lost), records from older versions with fields missing (read with
 * fallbacks), lines that are not records (reported, never fatal), and 100,000 attempts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';
import { attempt, patternStoreContract } from './pattern-store-contract';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function file(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'patterns-'));
  dirs.push(d);
  return path.join(d, 'patterns', 'patterns.jsonl');
}

const WRITER = path.join(__dirname, '..', 'setup', 'patternWriter.ts');
function writer(target: string, count: number, tag: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, target, String(count), tag], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done, started: () => out.includes('started') };
}

describe('the embedded pattern store', () => {
  patternStoreContract('embedded', () => EmbeddedPatternStore.open(file()));

  test('a store is read back by a new process as it was left; opening one makes nothing on disk', async () => {
    const f = file();
    await (await EmbeddedPatternStore.open(f)).list();
    assert.equal(existsSync(path.dirname(f)), false, 'reading leaves the workspace as it is');
    const a = await EmbeddedPatternStore.open(f);
    for (let i = 0; i < 3; i++) await a.record(attempt());
    const p = (await a.record(attempt({ outcome: 'failure' })));
    const b = await EmbeddedPatternStore.open(f);
    const [q] = (await b.list()).patterns;
    assert.deepEqual(q, p);
  });

  test('a workspace store is opened once per process and follows its file, also when it is removed', async () => {
    const ws = path.dirname(path.dirname(file()));
    const a = await EmbeddedPatternStore.forWorkspace(ws);
    assert.equal(await EmbeddedPatternStore.forWorkspace(ws), a, 'one instance per workspace');
    await a.record(attempt());
    rmSync(path.join(ws, '.smoke-repair'), { recursive: true, force: true });
    assert.deepEqual((await a.list()).patterns, [], 'the removed file is read again from the start');
    assert.equal((await a.record(attempt())).attempts, 1);
  });

  test('a line cut short by a killed writer is skipped and reported; the next write is whole', async () => {
    const f = file();
    const a = await EmbeddedPatternStore.open(f);
    await a.record(attempt());
    appendFileSync(f, '{"kind":"attempt","v":1,"at":1,"signature":{"exceptionClass":"NameE');
    await a.record(attempt());
    const b = await EmbeddedPatternStore.open(f);
    const { patterns, problems } = await b.list();
    assert.equal(patterns[0]!.attempts, 2, 'only the cut record is lost');
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /patterns\.jsonl:2: not a whole JSON line \(a write cut short\?\), skipped$/);
  });

  test('a writer process killed while it writes leaves a readable store', async () => {
    const f = file();
    const w = writer(f, 100_000, 'killed');
    const deadline = Date.now() + 60_000;
    while (!w.started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    w.child.kill('SIGKILL');
    const r = await w.done;
    assert.equal(r.signal, 'SIGKILL', r.err);
    const store = await EmbeddedPatternStore.open(f);
    const { patterns, problems } = await store.list();
    const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
    assert.ok(patterns[0]!.attempts >= lines - 1 && patterns[0]!.attempts > 0, `${patterns[0]!.attempts} attempts read of ${lines} lines`);
    assert.ok(problems.length <= 1, problems.join('\n'));
    const after = await store.record(attempt({ endpoint: 'GET /killed/{}', edit: { op: 'add_import', name: '{0}', writer: 'killed' }, fixType: 'add_import' }));
    assert.ok(after.attempts >= 1);
  });

  test('two writers at once (the editor and the command line) lose nothing', async () => {
    const f = file();
    const [a, b] = [writer(f, 150, 'cli'), writer(f, 150, 'editor')];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.err);
    assert.equal(rb.code, 0, rb.err);
    const { patterns, problems } = await (await EmbeddedPatternStore.open(f)).list();
    assert.deepEqual(problems, []);
    assert.deepEqual(patterns.map((p) => [(p.edit as { writer: string }).writer, p.attempts]).sort(), [['cli', 150], ['editor', 150]]);
  });

  test('records of older versions and other writers: fields missing take their fallbacks; what is not a record is reported', async () => {
    const f = file();
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(
      f,
      [
        // An attempt from an older writer: no v, at, fixType, planner, source or roles; a status as text.
        JSON.stringify({ kind: 'attempt', signature: { exceptionClass: 'NameError', endpoint: 'GET /a/{}', status: 'x' }, edit: { old: true }, outcome: 'success' }),
        // An anti-pattern without severity, occurrences or confidence.
        JSON.stringify({ kind: 'anti', wrong: 'x == None', language: 'python' }),
        JSON.stringify({ kind: 'attempt', signature: {}, edit: {} }),
        JSON.stringify({ kind: 'mystery' }),
        '',
      ].join('\n'),
    );
    const { patterns, antiPatterns, problems } = await (await EmbeddedPatternStore.open(f)).list();
    assert.equal(patterns.length, 1);
    assert.deepEqual([patterns[0]!.fixType, patterns[0]!.planner, patterns[0]!.sources, patterns[0]!.signature.status], ['unknown', 'unknown', ['tool'], 0]);
    assert.deepEqual([antiPatterns[0]!.severity, antiPatterns[0]!.occurrences, antiPatterns[0]!.confidence], ['medium', 1, 0.5]);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /:3: outcome: /);
    assert.match(problems[1]!, /:4: kind: /);
  });

  test('100,000 attempts: read on open, looked up by class and endpoint or by shape', async () => {
    const f = file();
    mkdirSync(path.dirname(f), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const e = attempt({ endpoint: `GET /r${i % 1000}/{}`, cls: `E${i % 50}`, edit: { op: i % 200 }, outcome: i % 7 === 0 ? 'failure' : 'success', at: i });
      lines.push(JSON.stringify({ kind: 'attempt', v: 1, roles: [], ...e }));
    }
    writeFileSync(f, `${lines.join('\n')}\n`);
    const store = await EmbeddedPatternStore.open(f);
    const found = store.lookupCached({ exceptionClass: 'E7', endpoint: 'GET /r7/{}', messageShape: "name '{}' is not defined", failureType: 'RUNTIME', status: 500 });
    assert.ok(found.length > 0);
    assert.ok(found.every((p) => p.signature.exceptionClass === 'E7'));
    const { patterns } = await store.list();
    assert.equal(patterns.reduce((n, p) => n + p.attempts, 0), 100_000);
  });
});
