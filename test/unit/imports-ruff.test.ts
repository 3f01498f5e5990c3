import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { analysePython, unusedPythonNames, type PythonImportName } from '../../server/src/engine/imports';
import { compareEachFix, nameAt, parses, removeLikeRuffFix, ruffFixInPlace, ruffReport, testPython, type RuffDiagnostic } from './imports-ruff-harness';

/**
 * Differential test against ruff 0.8.6 (`--select F401`, safe fixes only) over a corpus of Python
 * modules written for it (test/fixtures/imports/ruff): every import style, every block kind that a
 * removal can empty, the places where a name is used inside a string, odd line endings.
 *
 * - For each fix ruff offers as safe (one per import statement, holding every unused name of it),
 *   the engine removes the same names of the same statement: the bytes must equal the original
 *   with ruff's own edits applied.
 * - For each file, the engine removes in one call every name ruff reports (and again, on its own
 *   output, while ruff reports more, as ruff's fix loop does): the bytes must equal ruff's `--fix`
 *   output (ruff fixes in several passes; the engine must land where ruff lands).
 * - Every name ruff does not report is one the engine never offers to remove, and, unless the
 *   engine leaves it alone for another reason, one it reads as used.
 * - Every output still parses.
 */

const ROOT = join(__dirname, '..', '..');
const CORPUS = join(ROOT, 'test', 'fixtures', 'imports', 'ruff');

/**
 * Where the engine knowingly differs from ruff, each with why. A listed difference must still
 * happen (so the list stays true); anything else that differs fails the test.
 */
const KNOWN: Array<{ file: string; bound: string; kind: 'refused' | 'extra'; why: string }> = [
  // ruff offers no fix anywhere in a package's __init__; the engine leaves only the module-level
  // imports (possible re-exports) alone: a function's own import is no re-export.
  { file: 'pkg/__init__.py', bound: 'warnings', kind: 'extra', why: "a function's import in __init__ is not a re-export" },
  // ruff 0.8.6 does not read `__all__.extend(...)` / `.append(...)`; the names are exported all the same.
  { file: 'dunder_all.py', bound: 'Delta', kind: 'refused', why: '__all__.extend names it' },
  { file: 'dunder_all.py', bound: 'Epsilon', kind: 'refused', why: '__all__.append names it' },
];

let python = '';
let tmp = '';
const files: string[] = [];
const texts = new Map<string, string>();
let diagnostics = new Map<string, RuffDiagnostic[]>();
let fixedByRuff = new Map<string, string>();

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.py') ? [join(dir, e.name)] : []));
}

before(() => {
  python = testPython();
  tmp = mkdtempSync(join(tmpdir(), 'imports-ruff-'));
  files.push(...walk(CORPUS).map((f) => relative(CORPUS, f)).sort());
  for (const f of files) texts.set(f, readFileSync(join(CORPUS, f), 'utf8'));
  // Two runs of ruff over copies of the whole corpus: the report (with each fix's edits) and --fix.
  cpSync(CORPUS, join(tmp, 'report'), { recursive: true });
  cpSync(CORPUS, join(tmp, 'fixed'), { recursive: true });
  diagnostics = ruffReport(python, join(tmp, 'report'));
  fixedByRuff = ruffFixInPlace(python, join(tmp, 'fixed'), files);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const known = (file: string, bound: string, kind: 'refused' | 'extra') => KNOWN.some((k) => k.file === file && k.bound === bound && k.kind === kind);

test('the corpus is broad: many files, many safe fixes, names reported without a fix', () => {
  assert.ok(files.length >= 40, `${files.length} files`);
  const all = [...diagnostics.values()].flat();
  const safe = all.filter((d) => d.fix?.applicability === 'safe');
  assert.ok(safe.length >= 150, `${safe.length} names with a safe fix`);
  assert.ok(all.some((d) => d.fix === null), 'some names are reported without a fix');
  // ruff 0.8.6 offers no unsafe F401 fix here: in __init__ modules it offers none at all.
  assert.deepEqual(all.filter((d) => d.fix && d.fix.applicability !== 'safe'), []);
});

test("each of ruff's safe fixes, made by the engine alone on the same statement, gives ruff's bytes", async (t) => {
  const r = await compareEachFix(texts, diagnostics, (file, bound) => known(file, bound, 'refused'));
  t.diagnostic(`ruff safe fixes: ${r.fixes} statements, ${r.names} names; engine byte-identical on ${r.same}, refused ${r.refused.length}, differing ${r.differ.length}`);
  assert.deepEqual(r.refused, [], 'refused');
  assert.deepEqual(r.differ, [], 'differing');
  const ok = parses(python, r.outputs.map((o) => o.text));
  assert.deepEqual(r.outputs.filter((_, i) => !ok[i]).map((o) => o.what), [], 'every output parses');
});

test("per file, removing the names ruff reports, in one call per round, lands on ruff's --fix bytes", async (t) => {
  // The known refusals are left out of what the engine is asked (and the file out of the comparison).
  const refusing = new Set(KNOWN.filter((k) => k.kind === 'refused').map((k) => k.file));
  const compared = files.filter((f) => !refusing.has(f));
  const r = await removeLikeRuffFix(python, join(tmp, 'rounds'), new Map(compared.map((f) => [f, texts.get(f)!])), diagnostics);
  const differ = compared.filter((f) => r.texts.get(f) !== fixedByRuff.get(f)).map((f) => `${f}\n--- ruff\n${fixedByRuff.get(f)}\n--- engine\n${r.texts.get(f)}`);
  t.diagnostic(`files: ${compared.length}, names removed: ${r.removed}, rounds: ${r.rounds} (files needing more than one: ${r.laterRounds.join(', ') || 'none'}), byte-identical files: ${compared.length - differ.length}`);
  assert.deepEqual(r.refused, [], 'refused');
  assert.deepEqual(differ, []);
  const ok = parses(python, compared.map((f) => r.texts.get(f)!));
  assert.deepEqual(compared.filter((_, i) => !ok[i]), [], 'every output parses');
});

test('the engine offers exactly the names ruff fixes, and reads every name ruff leaves alone as used', async (t) => {
  let kept = 0;
  const offeredNotFixed: string[] = [];
  const fixedNotOffered: string[] = [];
  const notUsed: string[] = [];
  for (const file of files) {
    const text = texts.get(file)!;
    const analysis = await analysePython(text, { file });
    assert.ok(analysis.ok, file);
    const reported = new Map<PythonImportName, RuffDiagnostic>();
    for (const d of diagnostics.get(file) ?? []) reported.set(nameAt(text, analysis, d).n, d);
    const offered = new Set(unusedPythonNames(analysis).map((u) => `${u.bound}@${u.line}`));
    for (const imp of analysis.imports) {
      for (const n of imp.names) {
        const d = reported.get(n);
        const where = `${file}:${imp.line} ${n.bound}`;
        const isOffered = offered.has(`${n.bound}@${imp.line}`);
        if (d?.fix?.applicability === 'safe') {
          if (!isOffered && !known(file, n.bound, 'refused')) fixedNotOffered.push(`${where} (${n.used ? 'read as used' : `left alone: ${n.keep}`})`);
          continue;
        }
        if (isOffered && !known(file, n.bound, 'extra')) offeredNotFixed.push(`${where} (ruff: ${d ? 'reported, no fix' : 'not reported'})`);
        if (d) continue;
        kept++;
        // ruff sees a use. The engine must too, unless it leaves the name alone for a reason that
        // is not about use (a __future__ or star import, `# noqa`, `x as x`, a class attribute, a
        // binding replaced by a later one).
        if (!n.used && !n.keep) notUsed.push(where);
      }
    }
  }
  t.diagnostic(`names ruff does not report: ${kept}; offered by the engine though ruff does not fix them: ${offeredNotFixed.length}; fixed by ruff, not offered: ${fixedNotOffered.length}`);
  assert.deepEqual(notUsed, [], 'ruff sees a use; the engine reads the name as unused');
  assert.deepEqual(offeredNotFixed, [], 'offered by the engine, not fixed by ruff');
  assert.deepEqual(fixedNotOffered, [], 'fixed by ruff, not offered by the engine');
});

test('names used only inside strings that hold types, or in __all__, are read as used', async () => {
  // The shapes the own detection used to miss, each checked by name (ruff agrees: none is reported).
  const cases: Array<[string, string[]]> = [
    ['string_annotations.py', ['Circle', 'Square', 'Triangle', 'Polygon', 'Palette', 'Red', 'fractions']],
    ['typevar_bounds.py', ['Model', 'Entity', 'Record', 'Real', 'Integral', 'Row']],
    ['typealias_strings.py', ['Node', 'Leaf', 'Forest', 'Edge', 'Vertex']],
    ['cast_and_friends.py', ['UserKey', 'OrderKey', 'SkuKey', 'Token', 'Secret', 'Unit']],
    ['dunder_all.py', ['Engine', 'Runner', 'reader', 'slugify', 'humanize', 'Alpha', 'Beta', 'Gamma']],
  ];
  for (const [file, names] of cases) {
    const analysis = await analysePython(texts.get(file)!, { file });
    assert.ok(analysis.ok);
    for (const name of names) {
      const n: PythonImportName | undefined = analysis.imports.flatMap((i) => i.names).find((x) => x.bound === name);
      assert.equal(n?.used, true, `${file}: ${name}`);
      assert.ok(!(diagnostics.get(file) ?? []).some((d) => nameAt(texts.get(file)!, analysis, d).n === n), `ruff reports ${name} in ${file}`);
    }
  }
});

test('every known difference still happens', async () => {
  for (const k of KNOWN) {
    const text = texts.get(k.file)!;
    const analysis = await analysePython(text, { file: k.file });
    const offered = unusedPythonNames(analysis).some((u) => u.bound === k.bound);
    const fixedByIt = (diagnostics.get(k.file) ?? []).some((d) => d.fix?.applicability === 'safe' && nameAt(text, analysis, d).n.bound === k.bound);
    if (k.kind === 'extra') assert.ok(offered && !fixedByIt, `${k.file} ${k.bound}: ${k.why}`);
    else assert.ok(!offered && fixedByIt, `${k.file} ${k.bound}: ${k.why}`);
  }
});
