import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { closePythonHelpers, PythonAnalysisError, runPythonAst, type PythonAstOutput } from '../../server/src/engine/imports/python-ast';

/**
 * The long-lived Python analysis helper, with real interpreters. Each test runs python3 through
 * its own wrapper script, which logs the pid of every helper it starts and, while a `slow` file
 * sits next to it, starts a python3 that never answers instead.
 */

const ROOT = join(__dirname, '..', '..');
const MODULE = join(ROOT, 'server', 'src', 'engine', 'imports', 'python-ast.ts');
let tmp = '';

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'py-helper-'));
});
after(async () => {
  await closePythonHelpers();
  rmSync(tmp, { recursive: true, force: true });
});

interface Wrapper {
  python: string;
  /** The pids the wrapper started, in order. */
  starts: () => number[];
  slow: (on: boolean) => void;
}

let wrappers = 0;
function wrapper(): Wrapper {
  const dir = join(tmp, `w${++wrappers}`);
  execFileSync('mkdir', ['-p', dir]);
  const python = join(dir, 'python');
  const log = join(dir, 'starts');
  const slow = join(dir, 'slow');
  writeFileSync(
    python,
    ['#!/bin/sh', `echo $$ >> '${log}'`, `if [ -e '${slow}' ]; then exec python3 -I -S -c 'import time; time.sleep(60)'; fi`, 'exec python3 "$@"', ''].join('\n'),
  );
  chmodSync(python, 0o755);
  return {
    python,
    starts: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []),
    slow: (on) => (on ? writeFileSync(slow, '') : existsSync(slow) && unlinkSync(slow)),
  };
}

/** Whether a process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function importedModules(out: PythonAstOutput): string[] {
  assert.ok(out.ok, JSON.stringify(out));
  return out.imports.flatMap((i) => i.names.map((n) => `${n.name}:${n.used}`));
}

test('many calls, one after the other and at once, are answered by one helper process', async () => {
  const w = wrapper();
  for (let i = 0; i < 30; i++) {
    assert.deepEqual(importedModules(await runPythonAst(`import os, m${i}\nm${i}.run()\n`, { python: w.python })), ['os:false', `m${i}:true`]);
  }
  await Promise.all(Array.from({ length: 30 }, () => runPythonAst('import json\n', { python: w.python })));
  assert.equal(w.starts().length, 1, `helpers started: ${w.starts().join(', ')}`);
  assert.ok(alive(w.starts()[0]!));
});

test('concurrent calls each get their own answer, syntax errors among them', async () => {
  const w = wrapper();
  const sources = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? `${'\n'.repeat(i)}def f(:\n` : `import m${i}\nfrom p${i} import q${i} as r\nr\n`));
  const answers = await Promise.all(sources.map((s) => runPythonAst(s, { python: w.python })));
  answers.forEach((out, i) => {
    if (i % 7 === 3) {
      assert.ok(!out.ok);
      assert.equal(out.line, i + 1, `call ${i}`);
    } else {
      assert.deepEqual(importedModules(out), [`m${i}:false`, `q${i}:true`], `call ${i}`);
    }
  });
  assert.equal(w.starts().length, 1);
});

test('a syntax error is a located answer, and the helper keeps serving', async () => {
  const w = wrapper();
  const source = 'import os\n\nx = [1,\n  2 +\ndef f(:\n    pass\n';
  // Where Python itself locates it.
  const expected = execFileSync(
    'python3',
    ['-c', 'import ast, sys\ntry:\n    ast.parse(sys.stdin.read())\nexcept SyntaxError as e:\n    print(e.msg, e.lineno, e.offset, sep="|")'],
    { input: source, encoding: 'utf8' },
  )
    .trim()
    .split('|');
  const out = await runPythonAst(source, { python: w.python });
  assert.deepEqual(out, { ok: false, message: expected[0], line: Number(expected[1]), column: Number(expected[2]) });
  assert.deepEqual(importedModules(await runPythonAst('import os\nos\n', { python: w.python })), ['os:true']);
  assert.equal(w.starts().length, 1);
});

test('a helper killed during a call fails that call clearly; the next call starts a new helper', async () => {
  const w = wrapper();
  await runPythonAst('import os\n', { python: w.python });
  const [first] = w.starts();
  // Seconds of work for the analysis, so the call is still pending when the helper is killed.
  const big = `import os\n${Array.from({ length: 20_000 }, (_, i) => `def f${i}(a, b=os.path):\n    return [x for x in a if x(b)]\n`).join('')}`;
  const pending = runPythonAst(big, { python: w.python });
  await new Promise((r) => setTimeout(r, 150));
  process.kill(first!, 'SIGKILL');
  await assert.rejects(pending, (err: unknown) => {
    assert.ok(err instanceof PythonAnalysisError);
    assert.match(err.message, new RegExp(`^${w.python} was stopped \\(SIGKILL\\) before it could analyse imports.*the next call starts it again`));
    return true;
  });
  assert.deepEqual(importedModules(await runPythonAst('import os\nos\n', { python: w.python })), ['os:true']);
  assert.equal(w.starts().length, 2);

  // Killed while idle: the next call does not go to the dead process.
  const second = w.starts()[1]!;
  process.kill(second, 'SIGKILL');
  await until('the killed helper is gone', () => !alive(second));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(importedModules(await runPythonAst('import sys\n', { python: w.python })), ['sys:false']);
  assert.equal(w.starts().length, 3);
});

test('a missing interpreter fails with an error naming it and the remedy, every time', async () => {
  const python = join(tmp, 'no-such-dir', 'python3');
  for (let i = 0; i < 2; i++) {
    await assert.rejects(runPythonAst('import os\n', { python }), (err: unknown) => {
      assert.ok(err instanceof PythonAnalysisError);
      assert.equal(err.message, `cannot run ${python} to analyse imports: spawn ${python} ENOENT; install Python 3, or set SMOKE_REPAIR_PYTHON to an interpreter's path`);
      return true;
    });
  }
});

test('a call over its time limit is rejected, the helper is replaced, the next call works', async () => {
  const w = wrapper();
  w.slow(true);
  const started = Date.now();
  await assert.rejects(runPythonAst('import os\n', { python: w.python, timeoutMs: 400 }), (err: unknown) => {
    assert.ok(err instanceof PythonAnalysisError);
    assert.equal(err.message, `${w.python} took longer than 400 ms to analyse imports; it was stopped and starts afresh on the next call`);
    return true;
  });
  assert.ok(Date.now() - started < 3000);
  const stuck = w.starts()[0]!;
  await until('the stuck helper is killed', () => !alive(stuck));
  w.slow(false);
  assert.deepEqual(importedModules(await runPythonAst('import os\nos\n', { python: w.python, timeoutMs: 400 })), ['os:true']);
  assert.equal(w.starts().length, 2);
});

test('calls pending behind one that times out are answered by the replacement helper', async () => {
  const w = wrapper();
  w.slow(true);
  const late = runPythonAst('import os\n', { python: w.python, timeoutMs: 300 });
  const patient = runPythonAst('import json\njson\n', { python: w.python, timeoutMs: 10_000 });
  await until('the slow helper starts', () => w.starts().length === 1);
  w.slow(false);
  await assert.rejects(late, PythonAnalysisError);
  assert.deepEqual(importedModules(await patient), ['json:true']);
  assert.equal(w.starts().length, 2);
});

test('an idle helper exits after its idle time; the next call starts another', async () => {
  const w = wrapper();
  await runPythonAst('import os\n', { python: w.python, idleMs: 200 });
  const [pid] = w.starts();
  await until('the idle helper exits', () => !alive(pid!));
  assert.deepEqual(importedModules(await runPythonAst('import os\n', { python: w.python })), ['os:false']);
  assert.equal(w.starts().length, 2);
});

test('closePythonHelpers ends the helpers; the next call starts a new one', async () => {
  const w = wrapper();
  await runPythonAst('import os\n', { python: w.python });
  await closePythonHelpers();
  assert.ok(!alive(w.starts()[0]!));
  await runPythonAst('import os\n', { python: w.python });
  assert.equal(w.starts().length, 2);
});

test('a Node process that used the helper exits on its own, and the helper with it', async () => {
  const w = wrapper();
  const script = join(tmp, 'uses-helper.ts');
  // The last call is not awaited by anything: a pending call must keep Node alive until answered.
  writeFileSync(
    script,
    [
      `import { runPythonAst } from ${JSON.stringify(MODULE)};`,
      `const python = ${JSON.stringify(w.python)};`,
      'void (async () => {',
      "  for (let i = 0; i < 5; i++) await runPythonAst('import os\\n', { python });",
      "  void runPythonAst('import sys\\nsys\\n', { python }).then((out) => console.log(JSON.stringify(out.ok && out.imports[0]?.names[0]?.used)));",
      '})();',
      '',
    ].join('\n'),
  );
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  const took = Date.now() - started;
  assert.equal(code, 0, `exit ${code} after ${took} ms: ${err}`);
  assert.equal(out.trim(), 'true');
  // tsx's own start-up is most of it; the helper's 60 s idle time must not be.
  assert.ok(took < 10_000, `took ${took} ms`);
  assert.equal(w.starts().length, 1);
  await until('the helper exits after its parent', () => !alive(w.starts()[0]!));
});
