import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyseJs, analysePython, removeJsNames, removePythonNames, tokenize, unusedJsNames, unusedPythonNames } from '../../server/src/engine/imports';

const ROOT = join(__dirname, '..', '..');
const jsSeeds = [
  ...readdirSync(join(ROOT, 'test/fixtures/imports/js')).map((f) => readFileSync(join(ROOT, 'test/fixtures/imports/js', f), 'utf8')),
  ...readdirSync(join(ROOT, 'examples/todo-api-node/src/routes')).map((f) => readFileSync(join(ROOT, 'examples/todo-api-node/src/routes', f), 'utf8')),
];
const pyFixtures = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.py')).map((f) => readFileSync(join(ROOT, dir, f), 'utf8'));
const pySeeds = [
  ...pyFixtures('test/fixtures/imports/python'),
  // The differential corpus: every block kind a removal can empty, semicolons, continuations.
  ...pyFixtures('test/fixtures/imports/ruff'),
  readFileSync(join(ROOT, 'examples/shop-api/app/routers/customers.py'), 'utf8'),
];

const pieces = ['import ', 'from ', ' as ', '{', '}', '(', ')', ',', ';', '\n', '\r\n', "'", '"', '`', '${', '/', '*', '//', '/*', '*/', '#', '\\', 'require(', 'x', 'os', 'a', ' ', '    ', 'def f():', 'try:', 'except ImportError:', '=', '.'];

/** A source mutated by inserting, deleting and duplicating random pieces. */
function mutated(seeds: string[]) {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), fc.nat({ max: 8 })), { maxLength: 6 }),
    )
    .map(([seed, edits]) => {
      let s = seed;
      for (const [at, text, del] of edits) {
        const i = s.length ? at % s.length : 0;
        s = s.slice(0, i) + text + s.slice(i + del);
      }
      return s;
    });
}

/** Identifier counts outside the import statements: what the rest of the module uses. */
function jsUses(src: string): Map<string, number> {
  const a = analyseJs(src);
  const counts = new Map<string, number>();
  for (const t of tokenize(src)) {
    if (t.type !== 'name' || a.imports.some((i) => i.start <= t.start && t.end <= i.end)) continue;
    counts.set(t.value, (counts.get(t.value) ?? 0) + 1);
  }
  return counts;
}

test('JS analysis never throws on random or mutated source, and removing unused names keeps every use', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutated(jsSeeds)), (src) => {
      const tokens = tokenize(src);
      for (const t of tokens) assert.ok(t.start < t.end && t.end <= src.length);
      const a = analyseJs(src, 'f.js');
      const unused = [...new Set(unusedJsNames(a).map((u) => u.bound))];
      if (!unused.length) return;
      let out: string;
      try {
        out = removeJsNames(src, a, unused);
      } catch (e) {
        // A refusal is allowed (a shape it will not edit); a crash of another kind is not.
        assert.match((e as Error).message, /cannot remove|overlapping/);
        return;
      }
      const before = jsUses(src);
      const afterUses = jsUses(out);
      const boundAfter = new Set(analyseJs(out).imports.flatMap((i) => i.names.map((n) => n.bound)));
      for (const [name, n] of before) {
        if (unused.includes(name)) continue;
        assert.ok((afterUses.get(name) ?? 0) >= n || boundAfter.has(name), `use of ${name} lost`);
      }
      for (const imp of a.imports) for (const n of imp.names) if (n.used) assert.ok(boundAfter.has(n.bound), `used ${n.bound} removed`);
    }),
    { numRuns: 400, seed: 42 },
  );
});

test('Python analysis never throws on mutated source, and never removes a used name', async () => {
  await fc.assert(
    fc.asyncProperty(mutated(pySeeds), async (src) => {
      const a = await analysePython(src, { file: 'm.py' });
      if (!a.ok) {
        assert.ok(a.line >= 1);
        return;
      }
      const unused = [...new Set(unusedPythonNames(a).map((u) => u.bound))];
      if (!unused.length) return;
      let out: string;
      try {
        out = removePythonNames(src, a, unused);
      } catch (e) {
        assert.match((e as Error).message, /is used|left alone/); // a name bound twice, once used
        return;
      }
      const b = await analysePython(out, { file: 'm.py' });
      assert.ok(b.ok, `the result still parses: ${b.ok ? '' : b.message}`);
      const usedBefore = new Set(a.imports.flatMap((i) => i.names.filter((n) => n.used).map((n) => n.bound)));
      const boundAfter = new Set(b.imports.flatMap((i) => i.names.map((n) => n.bound)));
      for (const name of usedBefore) assert.ok(boundAfter.has(name), `used ${name} removed`);
    }),
    { numRuns: 25, seed: 7 },
  );
});
