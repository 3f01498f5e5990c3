import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { analysePython, removePythonImports, type PythonAnalysis, type PythonImport, type PythonImportName } from '../../server/src/engine/imports';

/**
 * ruff 0.8.6 as the reference for the engine's unused-import removal (`--select F401`, safe fixes):
 * its report with each fix's edits, its `--fix` output, and the engine asked the same things.
 * Shared by the differential tests over the hand-written corpus and over generated modules.
 */

const ROOT = join(__dirname, '..', '..');

export interface RuffLocation {
  row: number;
  column: number;
}
export interface RuffEdit {
  content: string | null;
  location: RuffLocation;
  end_location: RuffLocation;
}
export interface RuffDiagnostic {
  filename: string;
  code: string;
  message: string;
  location: RuffLocation;
  fix: { applicability: 'safe' | 'unsafe' | 'display-only'; edits: RuffEdit[] } | null;
}

/** The test interpreter, which has ruff 0.8.6. */
export function testPython(): string {
  return execFileSync('bash', [join(ROOT, 'scripts', 'setup-python.sh')], { encoding: 'utf8' }).trim();
}

function ruff(python: string, args: string[], cwd: string) {
  return spawnSync(python, ['-m', 'ruff', 'check', '--isolated', '--no-cache', '--select', 'F401', ...args, '.'], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** ruff's F401 report on every file under `dir`, by path relative to it. */
export function ruffReport(python: string, dir: string): Map<string, RuffDiagnostic[]> {
  const r = ruff(python, ['--output-format', 'json'], dir);
  assert.ok(r.stdout.startsWith('['), `ruff reported: ${r.stdout.slice(0, 300)}${r.stderr.slice(0, 300)}`);
  const out = new Map<string, RuffDiagnostic[]>();
  for (const d of JSON.parse(r.stdout) as RuffDiagnostic[]) {
    const file = relative(dir, d.filename);
    if (!out.has(file)) out.set(file, []);
    out.get(file)!.push(d);
  }
  return out;
}

/** Runs `ruff --fix` (safe fixes only) in place on every file under `dir`; returns the named files' texts. */
export function ruffFixInPlace(python: string, dir: string, files: string[]): Map<string, string> {
  const r = ruff(python, ['--fix', '--quiet'], dir);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

export function writeTree(dir: string, texts: Map<string, string>): void {
  for (const [file, text] of texts) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** UTF-16 offset of a ruff location (1-based row; 1-based column counted in characters). */
export function offsetOf(text: string, at: RuffLocation): number {
  let row = 1;
  let i = 0;
  while (row < at.row && i < text.length) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) row++;
    i++;
  }
  for (let col = 1; col < at.column; col++) i += text.codePointAt(i)! > 0xffff ? 2 : 1;
  return i;
}

/** The text with ruff's edits applied (they never overlap; applied back to front). */
export function applyRuffEdits(text: string, edits: RuffEdit[]): string {
  const spans = edits.map((e) => ({ start: offsetOf(text, e.location), end: offsetOf(text, e.end_location), text: e.content ?? '' })).sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** Which of the texts Python's parser accepts (one interpreter for all). */
export function parses(python: string, texts: string[]): boolean[] {
  const script = 'import ast, json, sys\nout = []\nfor t in json.load(sys.stdin):\n    try:\n        ast.parse(t); out.append(True)\n    except SyntaxError:\n        out.append(False)\nprint(json.dumps(out))';
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(r.stdout) as boolean[];
}

export interface Located {
  imp: PythonImport;
  n: PythonImportName;
}

/** The engine's name a ruff diagnostic points at (ruff locates F401 on the imported name or its alias). */
export function nameAt(text: string, analysis: PythonAnalysis, d: RuffDiagnostic): Located {
  assert.ok(analysis.ok);
  const at = offsetOf(text, d.location);
  for (const imp of analysis.imports) for (const n of imp.names) if (n.start <= at && at < n.end) return { imp, n };
  assert.fail(`no imported name at ${d.location.row}:${d.location.column} (${d.message})`);
}

export const safeFixes = (ds: RuffDiagnostic[] | undefined) => (ds ?? []).filter((d) => d.fix?.applicability === 'safe');

export interface FixComparison {
  fixes: number;
  names: number;
  same: number;
  refused: string[];
  differ: string[];
  /** Every output the engine gave, to be parsed. */
  outputs: Array<{ what: string; text: string }>;
}

/**
 * Each safe fix ruff reports (one per statement, with all its unused names), made by the engine
 * alone, against the original with ruff's edits applied. `excused` names a refusal that is known.
 */
export async function compareEachFix(
  texts: Map<string, string>,
  reports: Map<string, RuffDiagnostic[]>,
  excused: (file: string, bound: string) => boolean = () => false,
): Promise<FixComparison> {
  const out: FixComparison = { fixes: 0, names: 0, same: 0, refused: [], differ: [], outputs: [] };
  for (const [file, text] of texts) {
    const groups = new Map<string, RuffDiagnostic[]>();
    for (const d of safeFixes(reports.get(file))) {
      const key = JSON.stringify(d.fix!.edits);
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    if (!groups.size) continue;
    const analysis = await analysePython(text, { file });
    assert.ok(analysis.ok, file);
    for (const group of groups.values()) {
      const located = group.map((d) => nameAt(text, analysis, d));
      const bound = located.map((l) => l.n.bound);
      const what = `${file}:${located[0].imp.line} ${bound.join(', ')}`;
      out.fixes++;
      out.names += bound.length;
      const want = applyRuffEdits(text, group[0].fix!.edits);
      let got: string;
      try {
        // Exactly the bindings of this fix (a line may bind a name twice: ruff fixes the last).
        got = removePythonImports(text, analysis, located.map(({ n }) => ({ bound: n.bound, at: n.start })));
      } catch (e) {
        if (!bound.every((b) => excused(file, b))) out.refused.push(`${what}: ${(e as Error).message}`);
        continue;
      }
      out.outputs.push({ what, text: got });
      if (got === want) out.same++;
      else out.differ.push(`${what}\n--- ruff\n${want}\n--- engine\n${got}`);
    }
  }
  return out;
}

/**
 * Each import name of `after` (a text the engine made from `before` by removing names) as the name
 * of `before` it was. Removal keeps scopes (their numbers too), statements' order and names' order,
 * so statements align scope by scope: each with the next one of `before` of the same module whose
 * names hold its own, in order.
 */
export function alignBindings(before: PythonAnalysis, after: PythonAnalysis): Map<PythonImportName, Located> {
  assert.ok(before.ok && after.ok);
  const out = new Map<PythonImportName, Located>();
  const same = (a: PythonImportName, b: PythonImportName) => a.name === b.name && a.asname === b.asname;
  const scopes = new Set(after.imports.map((i) => i.scope));
  for (const scope of scopes) {
    const was = before.imports.filter((i) => i.scope === scope);
    let p = 0;
    for (const imp of after.imports.filter((i) => i.scope === scope)) {
      for (; p < was.length; p++) {
        const w = was[p];
        if (w.kind !== imp.kind || w.module !== imp.module || w.level !== imp.level) continue;
        const pairs: Array<[PythonImportName, PythonImportName]> = [];
        let q = 0;
        for (const n of imp.names) {
          while (q < w.names.length && !same(w.names[q], n)) q++;
          if (q === w.names.length) break;
          pairs.push([n, w.names[q++]]);
        }
        if (pairs.length < imp.names.length) continue;
        for (const [n, m] of pairs) out.set(n, { imp: w, n: m });
        p++;
        break;
      }
    }
  }
  return out;
}

/**
 * What ruff's --fix removes, asked of the engine in one call per file on the original text: the
 * names ruff reports first, then, while ruff reports more on the engine's output (it lints again
 * after each pass: an import that was rebound is reported once the later binding is gone), those
 * too, traced back to the original. Returns the engine's texts for the whole set; a file whose
 * removal the engine refuses stays as it was then, and the refusal is listed.
 */
export async function removeLikeRuffFix(
  python: string,
  scratch: string,
  texts: Map<string, string>,
  first: Map<string, RuffDiagnostic[]>,
): Promise<{ texts: Map<string, string>; removed: number; rounds: number; laterRounds: string[]; refused: string[] }> {
  const analyses = new Map<string, PythonAnalysis>();
  const asked = new Map<string, Array<{ bound: string; at: number }>>();
  for (const [file, text] of texts) {
    const safe = safeFixes(first.get(file));
    if (!safe.length) continue;
    const analysis = await analysePython(text, { file });
    analyses.set(file, analysis);
    asked.set(file, safe.map((d) => nameAt(text, analysis, d)).map(({ n }) => ({ bound: n.bound, at: n.start })));
  }
  const current = new Map(texts);
  const refused = new Map<string, string>();
  const later = new Set<string>();
  let changed = [...asked.keys()];
  let rounds = 0;
  for (let round = 1; changed.length; round++) {
    rounds = round;
    assert.ok(round < 10, 'ruff keeps reporting names the engine removed');
    const made = new Map<string, string>();
    for (const file of changed) {
      try {
        made.set(file, removePythonImports(texts.get(file)!, analyses.get(file)!, asked.get(file)!));
      } catch (e) {
        refused.set(file, `${file} (round ${round}): ${(e as Error).message}`);
      }
    }
    for (const [file, text] of made) current.set(file, text);
    const dir = join(scratch, `round-${round}`);
    writeTree(dir, made);
    const reports = ruffReport(python, dir);
    changed = [];
    for (const [file, text] of made) {
      const safe = safeFixes(reports.get(file));
      if (!safe.length) continue;
      const now = await analysePython(text, { file });
      const back = alignBindings(analyses.get(file)!, now);
      for (const d of safe) {
        const was = back.get(nameAt(text, now, d).n);
        assert.ok(was, `${file}: cannot trace ${d.message} back to the original`);
        asked.get(file)!.push({ bound: was.n.bound, at: was.n.start });
      }
      changed.push(file);
      later.add(file);
    }
  }
  const removed = [...asked.values()].reduce((k, a) => k + a.length, 0);
  return { texts: current, removed, rounds, laterRounds: [...later].sort(), refused: [...refused.values()] };
}
