import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classifyLog } from '../../server/src/engine/classify';
import type { Trace } from '../../server/src/engine/model';
import { extractTraces, stripAnsi, stripLogDecorations, TraceScanner } from '../../server/src/engine/traces';
import { fastestMs } from '../setup/timing';

const dir = join(import.meta.dirname, '../fixtures/traces');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const fixtures = names.map((f) => readFileSync(join(dir, f), 'utf8'));
/** The fixtures that hold exactly one trace. */
const singles = fixtures.filter((f) => extractTraces(f).length === 1);

function checkTraces(traces: Trace[]): void {
  for (const t of traces) {
    assert.ok(t.exceptionClass.length > 0);
    for (const f of [...t.frames, ...t.causes.flatMap((c) => c.frames)]) {
      assert.ok(Number.isSafeInteger(f.line) && f.line >= 1, `line ${f.line}`);
      assert.ok(f.column === undefined || (Number.isSafeInteger(f.column) && f.column >= 1));
      assert.equal(f.inWorkspace, false);
      assert.equal(typeof f.file, 'string');
    }
  }
}

/** Parses with a time limit per input: a hang fails the property. */
function parse(text: string): Trace[] {
  const start = performance.now();
  const out = extractTraces(text);
  assert.ok(performance.now() - start < 2000, 'parsing took too long');
  return out;
}

const lineArb = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    'Traceback (most recent call last):',
    '  File "/srv/app/x.py", line 0, in f',
    '  File "/srv/app/x.py", line -3, in f',
    '  File "/srv/app/x.py", line 99999999999999999999, in f',
    '  File "/srv/app/x.py", line 7',
    '    ^^^^^^',
    '    ~~~^^^',
    'KeyError: 1',
    'ExceptionGroup: g (1 sub-exceptions)',
    '  + Exception Group Traceback (most recent call last):',
    '  +-+---------------- 1 ----------------',
    '    | Traceback (most recent call last):',
    'The above exception was the direct cause of the following exception:',
    'During handling of the above exception, another exception occurred:',
    'TypeError: x is not a function',
    '    at f (/app/a.js:0:0)',
    '    at f (/app/a.js:1:2)',
    '    at async file:///app/b.mjs:3:4',
    '    at eval (eval at g (/a.js:1:1), <anonymous>:1:1)',
    '    at x {',
    '  [cause]: Error: inner',
    '}',
    '',
    'INFO:     127.0.0.1 - "GET / HTTP/1.1" 200',
    '  | ExceptionGroup: g (2 sub-exceptions)',
    '    +---------------- 2 ----------------',
    '    +------------------------------------',
    '      | Boom',
    '  [errors]: [',
    '  ]',
    '    ... 4 lines matching cause stack trace ...',
    '[Previous line repeated 3 more times]',
    'web-1  | Traceback (most recent call last):',
    '2024-05-01T12:00:00.123456789Z   File "/a.py", line 2, in g',
    '\x1b[1;35mKeyError\x1b[0m: \x1b[35m1\x1b[0m',
    '{"level":30,"msg":"x"}',
  ),
);

/** A decorated form of a log: the same lines, with what log plumbing adds. */
const decorationArb = fc.constantFrom<(lines: string[]) => string[]>(
  (ls) => ls.map((l, i) => `2024-05-01T12:00:${String(10 + (i % 50))}.${String(i).padStart(9, '0')}Z ${l}`),
  (ls) => ls.map((l) => `web-1  | ${l}`),
  (ls) => ls.map((l) => `api_1 | 2024-05-01T12:00:00.5Z ${l}`),
  (ls) => ls.map((l) => `0|api  | ${l}`),
  (ls) => ls.map((l) => `\x1b[31m${l}\x1b[0m`),
  (ls) => ls.map((l) => `[pod/web-1/app] ${l}`),
);

/** Best of three runs, in ms. */
function timeOf(text: string): number {
  return fastestMs(() => extractTraces(text), 3);
}

/**
 * Time grows with the input, not faster: an input of the same shape and about 8 times the size
 * (some shapes grow faster than their count) must not take more than 3 times as long per
 * character (linear gives about 1, quadratic about 8). Relative, so no machine is too slow.
 */
function assertLinear(make: (n: number) => string, n: number, what: string): void {
  const small = make(n);
  const large = make(n * 8);
  timeOf(small);
  const a = Math.max(timeOf(small), 0.5);
  const b = timeOf(large);
  const perChar = b / large.length / (a / small.length);
  assert.ok(perChar < 3, `${what}: ${a.toFixed(1)} ms for ${small.length} chars, ${b.toFixed(1)} ms for ${large.length}`);
}

describe('trace parser fuzzing', () => {
  it('random text never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (s) => checkTraces(parse(s))),
      { numRuns: 500 },
    );
  });

  it('random trace-like lines never throw and frames keep positive lines', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 200 }), fc.constantFrom('\n', '\r\n'), (lines, nl) => checkTraces(parse(lines.join(nl)))),
      { numRuns: 500 },
    );
  });

  it('mutated fixtures (lines dropped, duplicated, swapped, edited)', () => {
    const arb = fc.record({
      fixture: fc.nat({ max: fixtures.length - 1 }),
      edits: fc.array(
        fc.record({ kind: fc.constantFrom('drop', 'dup', 'swap', 'edit', 'insert'), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
        { maxLength: 12 },
      ),
    });
    fc.assert(
      fc.property(arb, ({ fixture, edits }) => {
        const lines = fixtures[fixture]!.split('\n');
        for (const e of edits) {
          const i = lines.length ? e.at % lines.length : 0;
          if (e.kind === 'drop') lines.splice(i, 1);
          else if (e.kind === 'dup') lines.splice(i, 0, lines[i] ?? '');
          else if (e.kind === 'swap' && lines.length > 1) [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length]!, lines[i]!];
          else if (e.kind === 'edit') lines[i] = (lines[i] ?? '').slice(0, e.at % 30) + e.text;
          else lines.splice(i, 0, e.text);
        }
        checkTraces(parse(lines.join('\n')));
        classifyLog(lines.join('\n'));
      }),
      { numRuns: 400 },
    );
  });

  it('truncated fixtures, fed in random chunks, match parsing the truncated text whole', () => {
    fc.assert(
      fc.property(fc.nat({ max: fixtures.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 300 }), (i, frac, chunk) => {
        const text = fixtures[i]!.slice(0, Math.floor(fixtures[i]!.length * frac));
        const whole = parse(text);
        checkTraces(whole);
        const got: Trace[] = [];
        const s = new TraceScanner((f) => got.push(f.trace));
        for (let p = 0; p < text.length; p += chunk) s.write(text.slice(p, p + chunk));
        if (!text.endsWith('\n')) s.write('\n');
        s.end();
        assert.deepEqual(got, whole);
      }),
      { numRuns: 300 },
    );
  });

  it('decorations never throw, and only ever take a prefix off', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.tuple(fc.constantFrom('web-1  | ', '2024-05-01T12:00:00Z ', '[ERROR] ', 'INFO:     ', '\x1b[31m', '0|a | '), fc.string({ maxLength: 60 })).map(([a, b]) => a + b)), (line) => {
        const d = stripLogDecorations(line);
        assert.equal(d.prefix + d.text, stripAnsi(line));
        assert.ok(/^[tl]*$/.test(d.record));
      }),
      { numRuns: 1000 },
    );
  });

  it('a decorated log gives the traces of the plain log', () => {
    fc.assert(
      fc.property(fc.nat({ max: fixtures.length - 1 }), decorationArb, (i, decorate) => {
        const plain = fixtures[i]!.replace(/\n$/, '');
        assert.deepEqual(parse(decorate(plain.split('\n')).join('\n')), parse(plain), names[i]);
      }),
      { numRuns: 200 },
    );
  });

  it('two traces interleaved by two services come out apart, whatever the interleaving', () => {
    fc.assert(
      fc.property(fc.nat({ max: singles.length - 1 }), fc.nat({ max: singles.length - 1 }), fc.array(fc.boolean(), { maxLength: 400 }), (i, j, picks) => {
        const a = singles[i]!.replace(/\n$/, '').split('\n');
        const b = singles[j]!.replace(/\n$/, '').split('\n');
        const lines: string[] = [];
        let x = 0;
        let y = 0;
        for (let k = 0; x < a.length || y < b.length; k++) {
          if (y >= b.length || (x < a.length && (picks[k % Math.max(picks.length, 1)] ?? true))) lines.push(`web-1  | ${a[x++]!}`);
          else lines.push(`api-1  | ${b[y++]!}`);
        }
        const got = new Map<string, Trace[]>();
        const s = new TraceScanner((f) => got.set(f.source, [...(got.get(f.source) ?? []), f.trace]));
        s.write(lines.join('\n'));
        s.end();
        assert.deepEqual(got.get('web-1'), extractTraces(singles[i]!));
        assert.deepEqual(got.get('api-1'), extractTraces(singles[j]!));
      }),
      { numRuns: 150 },
    );
  });

  it('time is linear in the input: nested exception-group margins, deep and long', () => {
    const header = '  + Exception Group Traceback (most recent call last):\n';
    // 1,000 then 8,000 lines behind a margin of 100 levels; 200 lines behind 250 then 2,000 levels.
    assertLinear((n) => header + `${'  | '.repeat(100)}  File "/a.py", line 1, in f\n`.repeat(n), 1_000, 'lines of a deep margin');
    assertLinear((n) => header + `${'  | '.repeat(n)}  File "/a.py", line 1, in f\n`.repeat(200), 250, 'deeper margins');
    // Groups opened inside groups, as deep as the input goes.
    assertLinear(
      (n) =>
        header +
        Array.from({ length: n }, (_, d) => `${'  '.repeat(d + 1)}+-+---------------- 1 ----------------\n${'  '.repeat(d + 2)}| Exception Group Traceback (most recent call last):\n${'  '.repeat(d + 2)}| ExceptionGroup: g (1 sub-exception)\n`).join(''),
      125,
      'groups nested in groups',
    );
    // Node: causes nested in causes, and a long run of `[errors]` members.
    assertLinear((n) => `Error: top\n    at f (/a.js:1:1) {\n${Array.from({ length: n }, (_, d) => `${'  '.repeat(d + 1)}[cause]: Error: c${d}\n${'  '.repeat(d + 3)}at g (/a.js:2:2) {\n`).join('')}}\n`, 125, 'nested causes');
    assertLinear((n) => `AggregateError: all\n    at f (/a.js:1:1) {\n  [errors]: [\n${'    Error: m\n        at g (/a.js:2:2),\n'.repeat(n)}  ]\n}\n`, 1_000, 'members');
    // Python chains, and long lines full of candidate class names.
    assertLinear((n) => 'Traceback (most recent call last):\n  File "/a.py", line 1, in f\nValueError: x\n\nDuring handling of the above exception, another exception occurred:\n\n'.repeat(n), 500, 'chains');
    assertLinear((n) => `${'xError yException '.repeat(n / 40)}\n`.repeat(200), 1_000, 'class-like words');
  });

  it('pathological input stays bounded', () => {
    const long = 'x'.repeat(1_000_000);
    checkTraces(parse(`${long}Error: ${long}\n    at f (${long}:1:1)\n`));
    const deep = `Traceback (most recent call last):\n${'  File "/a.py", line 1, in f\n    f()\n'.repeat(50_000)}RecursionError: maximum recursion depth exceeded\n`;
    const [t] = parse(deep);
    assert.equal(t!.exceptionClass, 'RecursionError');
    assert.equal(t!.frames.length, 512);
    assert.ok(t!.text.length <= 256 * 1024 + 10);
    const chain = `${'Traceback (most recent call last):\n  File "/a.py", line 1, in f\nValueError: x\n\nDuring handling of the above exception, another exception occurred:\n\n'.repeat(500)}Traceback (most recent call last):\n  File "/a.py", line 2, in g\nKeyError: 1\n`;
    const [c] = parse(chain);
    assert.equal(c!.exceptionClass, 'KeyError');
    assert.ok(c!.causes.length <= 32);
  });
});
