import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../server/src/engine/config';
import { CommandLogSource, createLogSource, FileLogSource, LogSourceProblem, type LogSource } from '../../server/src/engine/logs';
import { LineSplitter, LineStore, MAX_LINE_CHARS } from '../../server/src/engine/logs/lines';
import type { LogLine } from '../../server/src/engine/model';
import { extractTracesFromLines } from '../../server/src/engine/traces';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const texts = (lines: LogLine[]) => lines.map((l) => l.text);

/** Polls `source.logs` over all time until `done` holds; fails with what was read after `ms`. */
async function readUntil(source: LogSource, done: (lines: LogLine[]) => boolean, ms = 4000): Promise<LogLine[]> {
  const end = Date.now() + ms;
  for (;;) {
    const lines = await source.logs(0, Number.MAX_SAFE_INTEGER);
    if (done(lines)) return lines;
    if (Date.now() > end) assert.fail(`timed out; read so far: ${JSON.stringify(texts(lines))}`);
    await sleep(20);
  }
}

/** Runs a child process to completion; rejects on a non-zero exit. */
function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${err}`))));
  });
}

/** Whether a process runs; a zombie (ended, waiting for a parent that may never reap it) does not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

let dir: string;
const open: LogSource[] = [];
function track<T extends LogSource>(s: T): T {
  open.push(s);
  return s;
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'log-sources-'));
});
after(async () => {
  await Promise.all(open.map((s) => s.dispose()));
  await rm(dir, { recursive: true, force: true });
});

describe('LineSplitter', () => {
  it('keeps a partial line until its newline and drops the CR of CRLF', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.write('alpha\r\nbe'), ['alpha']);
    assert.equal(s.hasPartial, true);
    assert.deepEqual(s.write('ta\r'), []);
    assert.deepEqual(s.write('\ngamma\n\n'), ['beta', 'gamma', '']);
    assert.equal(s.flush(), undefined);
  });

  it('cuts an endless line at the bound and drops the rest up to its newline', () => {
    const s = new LineSplitter();
    const chunk = 'x'.repeat(MAX_LINE_CHARS / 4);
    for (let i = 0; i < 10; i++) assert.deepEqual(s.write(chunk), []);
    const [long, next] = s.write('tail\nnext\n');
    assert.equal(long!.length, MAX_LINE_CHARS);
    assert.equal(next, 'next');
  });

  it('skips the tail of a line begun before it looked', () => {
    const s = new LineSplitter();
    s.skipToNextLine();
    assert.deepEqual(s.write('of an old line'), []);
    assert.deepEqual(s.write(' still\nfresh\n'), ['fresh']);
  });
});

describe('LineStore', () => {
  it('answers a time window and drops the oldest lines past its bounds', () => {
    const store = new LineStore(10, 1_000_000);
    for (let i = 0; i < 40; i++) store.push('stdout', `line ${i}`, 1000 + i);
    assert.ok(store.size <= 11, `kept ${store.size}`);
    const all = store.between(0, Infinity);
    assert.equal(all[all.length - 1]!.text, 'line 39');
    assert.ok(!all.some((l) => l.text === 'line 20'));
    assert.deepEqual(texts(store.between(1035, 1037)), ['line 35', 'line 36', 'line 37']);
  });

  it('bounds characters as well as lines', () => {
    const store = new LineStore(1000, 100);
    for (let i = 0; i < 10; i++) store.push('stderr', 'y'.repeat(30), i);
    assert.ok(store.size <= 3, `kept ${store.size}`);
    assert.deepEqual(store.tail(1), ['y'.repeat(30)]);
  });

  it('keeps arrival times in order when the clock steps back', () => {
    const store = new LineStore();
    store.push('stdout', 'a', 2000);
    store.push('stdout', 'b', 1500);
    assert.deepEqual(texts(store.between(2000, 2000)), ['a', 'b']);
  });
});

describe('FileLogSource', () => {
  it('reads what another process appends (a Python traceback) with times in the request window, not the history', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, 'INFO old line from yesterday\nTraceback (most recent call last):\n  File "/old.py", line 1, in <module>\nOldError: old\n');
    const source = track(new FileLogSource(file));
    await source.start();

    const script = [
      'import logging, sys',
      "logging.basicConfig(filename=sys.argv[1], format='%(levelname)s %(name)s %(message)s', level=logging.INFO)",
      "log = logging.getLogger('uvicorn.error')",
      "log.info('127.0.0.1:51234 - \"POST /carts/7/items HTTP/1.1\" 500')",
      'def add_item(item):',
      "    return item['price'] * 2",
      'try:',
      "    add_item({'sku': 'mug'})",
      'except KeyError:',
      "    log.exception('Exception in ASGI application')",
    ].join('\n');
    const since = Date.now();
    await run('python3', ['-c', script, file]);
    const lines = await readUntil(source, (l) => l.some((x) => x.text === "KeyError: 'price'"));
    const until = Date.now();

    assert.ok(!lines.some((l) => /yesterday|OldError/.test(l.text)), 'the history is not read');
    assert.equal(lines[0]!.text, 'INFO uvicorn.error 127.0.0.1:51234 - "POST /carts/7/items HTTP/1.1" 500');
    for (const l of lines) {
      assert.ok(l.time >= since && l.time <= until, `time ${l.time} outside [${since}, ${until}]`);
      assert.equal(l.stream, 'stdout');
    }
    const traces = extractTracesFromLines(lines);
    assert.equal(traces.length, 1);
    const { trace, time } = traces[0]!;
    assert.equal(trace.exceptionClass, 'KeyError');
    assert.equal(trace.message, "'price'");
    assert.deepEqual(
      trace.frames.map((f) => [f.rawFile, f.line, f.function]),
      [
        ['<string>', 8, '<module>'],
        ['<string>', 6, 'add_item'],
      ],
    );
    assert.ok(time >= since && time <= until);
    assert.deepEqual(await source.logs(since - 10_000, since - 1), []);
    assert.equal(source.problem(), undefined);
  });

  it('joins a line written in parts, drops CRs, and skips the tail of a history line', async () => {
    const file = path.join(dir, 'parts.log');
    await writeFile(file, 'history without its newline');
    const source = track(new FileLogSource(file, { pollMs: 20 }));
    await source.start();
    await appendFile(file, ' ends here\r\nTypeError: Cannot read prop');
    await sleep(60);
    assert.deepEqual(texts(await source.logs(0, Infinity)), [], 'a partial line waits for its newline');
    await appendFile(file, 'erties of undefined\r\n    at add (/app/cart.js:3:9)\r\n');
    const lines = await readUntil(source, (l) => l.length >= 2);
    assert.deepEqual(texts(lines), ['TypeError: Cannot read properties of undefined', '    at add (/app/cart.js:3:9)']);
  });

  it('keeps a partial line that never gets its newline after partialLineMs', async () => {
    const file = path.join(dir, 'stale.log');
    await writeFile(file, '');
    const source = track(new FileLogSource(file, { pollMs: 20, partialLineMs: 100 }));
    await source.start();
    await appendFile(file, 'NameError: name \'x\' is not defined');
    const lines = await readUntil(source, (l) => l.length > 0);
    assert.deepEqual(texts(lines), ["NameError: name 'x' is not defined"]);
  });

  it('follows a rotation: the rest of the old file, then the new one from its start', async () => {
    const file = path.join(dir, 'rotate.log');
    await writeFile(file, '');
    const source = track(new FileLogSource(file, { pollMs: 20 }));
    await source.start();
    await appendFile(file, 'before rotation\n');
    await readUntil(source, (l) => l.length === 1);
    await appendFile(file, 'late line in the old file\n');
    await rename(file, `${file}.1`);
    await writeFile(file, 'first of the new file\nsecond of the new file\n');
    const lines = await readUntil(source, (l) => l.length >= 4);
    assert.deepEqual(texts(lines), ['before rotation', 'late line in the old file', 'first of the new file', 'second of the new file']);
  });

  it('reads a file shortened in place from its start', async () => {
    const file = path.join(dir, 'truncate.log');
    await writeFile(file, 'a long line of history that makes the file long\n');
    const source = track(new FileLogSource(file, { pollMs: 20 }));
    await source.start();
    await appendFile(file, 'one more line before the truncation\n');
    await readUntil(source, (l) => l.length === 1);
    await truncate(file, 0);
    await sleep(60);
    await appendFile(file, 'short\n');
    const lines = await readUntil(source, (l) => l.length >= 2);
    assert.deepEqual(texts(lines), ['one more line before the truncation', 'short']);
  });

  it('starts following a file (and folder) that appears after start, from its start', async () => {
    const folder = path.join(dir, 'later', 'logs');
    const file = path.join(folder, 'app.log');
    const source = track(new FileLogSource(file, { pollMs: 20 }));
    await source.start();
    assert.equal(source.problem(), undefined, 'a file the app has not created yet is not a problem at start');
    await sleep(40);
    await run('node', ['-e', 'const fs=require("fs");fs.mkdirSync(process.argv[1],{recursive:true});fs.appendFileSync(process.argv[2],"created\\nwritten\\n")', folder, file]);
    const lines = await readUntil(source, (l) => l.length >= 2);
    assert.deepEqual(texts(lines), ['created', 'written']);
    assert.equal(source.problem(), undefined);
  });

  it('says which file is missing once its lines are wanted', async () => {
    const file = path.join(dir, 'never', 'app.log');
    const source = track(createLogSource({ file: 'never/app.log' }, dir, { pollMs: 20 }));
    await source.start();
    assert.deepEqual(await source.logs(0, Infinity), []);
    const problem = source.problem();
    assert.ok(problem instanceof LogSourceProblem);
    assert.match(problem.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`));
    assert.match(problem.remedy, /app\.logs\.file/);
    assert.equal(problem.source, `log file ${file}`);
  });

  it('reports a folder named as the log file', async () => {
    const source = track(new FileLogSource(dir, { pollMs: 20 }));
    await source.start();
    assert.match(source.problem()?.message ?? '', /is not a file/);
  });

  it('keeps a bounded number of lines, dropping the oldest', async () => {
    const file = path.join(dir, 'bounded.log');
    await writeFile(file, '');
    const source = track(new FileLogSource(file, { pollMs: 20, maxLines: 8 }));
    await source.start();
    await appendFile(file, Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    const lines = await readUntil(source, (l) => l.some((x) => x.text === 'line 49'));
    assert.ok(lines.length <= 9, `kept ${lines.length}`);
    assert.ok(!lines.some((l) => l.text === 'line 0'));
  });

  it('stops reading at dispose', async () => {
    const file = path.join(dir, 'dispose.log');
    await writeFile(file, '');
    const source = new FileLogSource(file, { pollMs: 20 });
    await source.start();
    await source.dispose();
    await appendFile(file, 'after dispose\n');
    await sleep(80);
    assert.deepEqual(await source.logs(0, Infinity), []);
  });
});

describe('CommandLogSource', () => {
  it('keeps stdout and stderr lines with arrival times and ends the whole process group at dispose', async () => {
    const script = path.join(dir, 'follow.js');
    await writeFile(
      script,
      [
        "const { spawn } = require('child_process');",
        "const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        'console.log(`pids ${process.pid} ${grandchild.pid}`);',
        'setTimeout(() => {',
        "  console.log('INFO:     127.0.0.1:40000 - \"GET /reports/x HTTP/1.1\" 500');",
        "  process.stderr.write('ReferenceError: total is not defined\\r\\n    at report (/app/src/reports.js:12:5)\\r\\n');",
        '}, 150);',
        'setInterval(() => {}, 1000);',
      ].join('\n'),
    );
    const source = track(new CommandLogSource(`"${process.execPath}" follow.js`, dir, { startGraceMs: 100 }));
    const t0 = Date.now();
    await source.start();
    assert.equal(source.problem(), undefined, 'a command that keeps running is no problem');
    const lines = await readUntil(source, (l) => l.some((x) => x.text.includes(' at report')));
    const until = Date.now();
    const [, pid, grandPid] = /^pids (\d+) (\d+)$/.exec(lines[0]!.text)!.map(Number);
    const stderr = lines.filter((l) => l.stream === 'stderr');
    assert.deepEqual(texts(stderr), ['ReferenceError: total is not defined', '    at report (/app/src/reports.js:12:5)']);
    assert.equal(lines.filter((l) => l.stream === 'stdout').length, 2);
    for (const l of lines) assert.ok(l.time >= t0 && l.time <= until);
    const traces = extractTracesFromLines(lines);
    assert.equal(traces.length, 1);
    assert.equal(traces[0]!.trace.exceptionClass, 'ReferenceError');
    assert.equal(traces[0]!.trace.frames[0]!.rawFile, '/app/src/reports.js');

    assert.ok(alive(pid!) && alive(grandPid!));
    await source.dispose();
    assert.equal(source.problem(), undefined, 'being stopped at dispose is no problem');
    for (let i = 0; i < 50 && (alive(pid!) || alive(grandPid!)); i++) await sleep(20);
    assert.equal(alive(pid!), false, 'the command is gone');
    assert.equal(alive(grandPid!), false, 'what it started is gone too');
  });

  it('reports a command that exits early with its last lines and a remedy; the lines stay readable', async () => {
    const source = track(createLogSource({ command: 'echo "starting"; echo "no such service: api" >&2; exit 3' }, dir, { startGraceMs: 3000 }));
    const t0 = Date.now();
    await source.start();
    assert.ok(Date.now() - t0 < 2500, 'start returns when the command exits');
    const problem = source.problem();
    assert.ok(problem instanceof LogSourceProblem);
    assert.match(problem.message, /exited with code 3; the run goes on without server logs/);
    assert.match(problem.message, /no such service: api/);
    assert.deepEqual(problem.lastLines, ['starting', 'no such service: api']);
    assert.match(problem.remedy, /in a terminal/);
    assert.deepEqual(texts(await source.logs(0, Infinity)).sort(), ['no such service: api', 'starting']);
  });

  it('tells a command that does not follow (exit 0) to add its follow flag', async () => {
    const source = track(new CommandLogSource("printf 'one\\r\\ntwo'", dir, { startGraceMs: 3000 }));
    await source.start();
    for (let i = 0; i < 100 && !source.problem(); i++) await sleep(20);
    assert.match(source.problem()?.message ?? '', /ended \(exit code 0\)/);
    assert.match(source.problem()!.remedy, /-f/);
    assert.deepEqual(texts(await source.logs(0, Infinity)), ['one', 'two']);
  });

  it('names the PATH when the program is not found', async () => {
    const source = track(new CommandLogSource('smoke-repair-no-such-program-xyz --follow', dir, { startGraceMs: 3000 }));
    await source.start();
    for (let i = 0; i < 100 && !source.problem(); i++) await sleep(20);
    assert.match(source.problem()?.message ?? '', /code 127/);
    assert.match(source.problem()!.remedy, /PATH/);
  });

  it('reports a working folder that does not exist without starting anything', async () => {
    const source = track(createLogSource({ command: 'tail -F app.log', cwd: 'no-such-folder' }, dir));
    await source.start();
    assert.match(source.problem()?.message ?? '', /could not start \(its working folder .*no-such-folder does not exist\)/);
    assert.match(source.problem()!.remedy, /app\.logs\.cwd/);
  });

  it('runs in cwd, relative to the workspace', async () => {
    const sub = path.join(dir, 'svc');
    await run('mkdir', ['-p', sub]);
    const source = track(createLogSource({ command: 'pwd; sleep 5', cwd: 'svc' }, dir));
    assert.equal(source.describe(), 'log command `pwd; sleep 5`');
    await source.start();
    const lines = await readUntil(source, (l) => l.length > 0);
    assert.equal(lines[0]!.text, sub);
    await source.dispose();
  });
});

describe('app.logs in smoke-repair.yaml', () => {
  const errors = (logs: string) => {
    const r = parseConfigText(`app:\n  baseUrl: http://127.0.0.1:8000\n  logs:\n${logs}`, 'smoke-repair.yaml');
    return r.ok ? [] : r.errors.map((e) => `${e.line}: ${e.message}${e.remedy ? ` (${e.remedy})` : ''}`);
  };

  it('accepts a file, or a command with its cwd', () => {
    assert.deepEqual(errors('    file: log/app.log\n'), []);
    assert.deepEqual(errors('    command: kubectl logs -f deploy/api\n    cwd: deploy\n'), []);
  });

  it('wants exactly one of file and command', () => {
    assert.deepEqual(errors('    file: a.log\n    command: tail -F a.log\n'), [
      '4: app.logs: give exactly one of `file` (a log file to follow) or `command` (a command that prints the log)',
    ]);
    assert.deepEqual(errors('    cwd: x\n'), [
      '4: app.logs: give exactly one of `file` (a log file to follow) or `command` (a command that prints the log)',
      '4: app.logs.cwd: `cwd` is read only with `command`',
    ]);
  });

  it('rejects unknown keys where they stand, with a suggestion', () => {
    assert.deepEqual(errors('    fiel: a.log\n    command: tail -F a.log\n'), ['4: app.logs: unknown key "fiel" (did you mean "file"?)']);
  });

  it('the factory resolves the file against the workspace', () => {
    const s = createLogSource({ file: 'log/app.log' }, dir);
    assert.equal(s.kind, 'file');
    assert.equal(s.describe(), `log file ${path.join(dir, 'log', 'app.log')}`);
  });
});
