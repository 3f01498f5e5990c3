import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classifyLog } from '../../server/src/engine/classify';
import type { Trace } from '../../server/src/engine/model';
import { extractTraces, TraceScanner } from '../../server/src/engine/traces';

const dir = join(import.meta.dirname, '../fixtures/traces');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => readFileSync(join(dir, f), 'utf8'));

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
  ),
);

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
