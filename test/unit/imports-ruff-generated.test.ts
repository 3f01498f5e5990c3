import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { compareEachFix, parses, removeLikeRuffFix, ruffFixInPlace, ruffReport, testPython, writeTree, type RuffDiagnostic } from './imports-ruff-harness';

/**
 * Differential test against ruff 0.8.6 over generated modules: import statements of every form,
 * nested in every kind of block, several per block, on shared lines and continued lines, with a
 * small pool of names so that names are imported again in other branches and scopes. The hand-made
 * corpus (imports-ruff.test.ts) holds the shapes people write; this one holds the combinations
 * nobody thought of. Same checks: each safe fix alone, and each file after ruff's whole fix loop.
 */

const MODULES = ['m0', 'm1', 'm2', 'm3', 'm4'];
const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const FILES = 80;
const SEED = 20240611;

/** A small deterministic generator (mulberry32). */
class Random {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** One generated module: lines (without line ends) and the names its scopes bind. */
class ModuleWriter {
  readonly lines: string[] = [];
  constructor(
    private readonly r: Random,
    private readonly unit: string,
  ) {}

  private ind(depth: number): string {
    return this.unit.repeat(depth);
  }

  /** An import statement's lines; `bound` receives the names it binds. */
  private importLines(depth: number, bound: string[]): string[] {
    const r = this.r;
    const at = this.ind(depth);
    const mod = r.pick(MODULES);
    const names = [...new Set(Array.from({ length: r.int(1, 4) }, () => r.pick(NAMES)))];
    switch (r.int(0, 9)) {
      case 0:
        bound.push(mod);
        return [`${at}import ${mod}`];
      case 1: {
        const as = r.pick(NAMES);
        bound.push(as);
        return [`${at}import ${mod} as ${as}`];
      }
      case 2: {
        const other = r.pick(MODULES.filter((m) => m !== mod));
        bound.push(mod, other);
        return [`${at}import ${mod}.sub, ${other}`];
      }
      case 3:
        bound.push(...names);
        return [`${at}from ${mod} import ${names.join(', ')}`];
      case 4:
        bound.push(...names);
        return [`${at}from .${mod} import (${names.join(', ')}${r.chance(0.3) ? ',' : ''})`];
      case 5: {
        bound.push(...names);
        const inner = this.ind(depth + 1);
        const items = names.map((n, i) => `${inner}${n}${i < names.length - 1 || r.chance(0.5) ? ',' : ''}${r.chance(0.25) ? '  # note' : ''}`);
        return [`${at}from ${mod} import (${r.chance(0.2) ? '  # why' : ''}`, ...items, `${at})`];
      }
      case 6: {
        if (names.length === 1) {
          const as = r.pick(NAMES);
          bound.push(as);
          return [`${at}from ${mod} import ${names[0]} as ${as}`];
        }
        bound.push(...names);
        return [`${at}from ${mod} import ${names[0]}, \\`, `${at}    ${names.slice(1).join(', ')}`];
      }
      case 7: {
        const other = r.pick(MODULES);
        bound.push(mod, other);
        return [`${at}import ${mod}; import ${other}`];
      }
      case 8:
        bound.push(mod);
        return r.chance(0.5) ? [`${at}x = 1; import ${mod}`] : [`${at}import ${mod}; x = 1`];
      default:
        bound.push(...names);
        return [`${at}from ${mod} import ${names.map((n) => (r.chance(0.3) ? `${n} as ${r.pick(NAMES)}` : n)).join(', ')}`];
    }
  }

  /** A block body: 1 to 3 statements, mostly imports; `bound` receives what its imports bind. */
  private body(depth: number, bound: string[], inFunction: boolean): void {
    const n = this.r.int(1, 3);
    for (let i = 0; i < n; i++) {
      const roll = this.r.next();
      if (roll < 0.65) this.lines.push(...this.importLines(depth, bound));
      else if (roll < 0.75) this.lines.push(`${this.ind(depth)}${this.r.pick(['pass', 'x = 1', '...'])}`);
      else if (depth < 3) this.compound(depth, bound, inFunction);
      else this.lines.push(...this.importLines(depth, bound));
    }
  }

  /** A compound statement at `depth`. */
  compound(depth: number, bound: string[], inFunction: boolean): void {
    const r = this.r;
    const at = this.ind(depth);
    const kinds = ['if', 'try', 'with', 'for', 'while', 'def', 'class', 'match', 'one-line'];
    switch (r.pick(kinds)) {
      case 'if':
        this.lines.push(`${at}if x:`);
        this.body(depth + 1, bound, inFunction);
        if (r.chance(0.4)) {
          this.lines.push(`${at}elif y:`);
          this.body(depth + 1, bound, inFunction);
        }
        if (r.chance(0.5)) {
          this.lines.push(`${at}else:`);
          this.body(depth + 1, bound, inFunction);
        }
        return;
      case 'try':
        this.lines.push(`${at}try:`);
        this.body(depth + 1, bound, inFunction);
        this.lines.push(`${at}except ${r.pick(['ImportError', 'ValueError', '(KeyError, OSError)'])}:`);
        this.body(depth + 1, bound, inFunction);
        if (r.chance(0.3)) {
          this.lines.push(`${at}else:`);
          this.body(depth + 1, bound, inFunction);
        }
        if (r.chance(0.3)) {
          this.lines.push(`${at}finally:`);
          this.body(depth + 1, bound, inFunction);
        }
        return;
      case 'with':
        this.lines.push(`${at}with open(x) as fh:`);
        this.body(depth + 1, bound, inFunction);
        return;
      case 'for':
      case 'while':
        this.lines.push(r.chance(0.5) ? `${at}for i in x:` : `${at}while x:`);
        this.body(depth + 1, bound, inFunction);
        if (r.chance(0.3)) {
          this.lines.push(`${at}else:`);
          this.body(depth + 1, bound, inFunction);
        }
        return;
      case 'def': {
        // A function's names are its own; some it uses at the end of its body.
        this.lines.push(`${at}${r.chance(0.3) ? 'async ' : ''}def f${this.lines.length}():`);
        const own: string[] = [];
        this.body(depth + 1, own, true);
        if (own.length && r.chance(0.6)) this.lines.push(`${this.ind(depth + 1)}print(${[...new Set(own.filter(() => r.chance(0.5)))].join(', ')})`);
        return;
      }
      case 'class':
        this.lines.push(`${at}class C${this.lines.length}:`);
        this.body(depth + 1, [], false);
        return;
      case 'match': {
        this.lines.push(`${at}match x:`);
        const cases = r.int(1, 3);
        for (let i = 0; i < cases; i++) {
          this.lines.push(`${this.ind(depth + 1)}case ${i === cases - 1 ? '_' : i}:`);
          this.body(depth + 2, bound, inFunction);
        }
        return;
      }
      default: {
        // A block on the line of its header: `if x: import a` or `def f(): import a; import b`.
        const head = r.pick(['if x', 'while x', 'with y', `def g${this.lines.length}()`]);
        const [first, ...rest] = this.importLines(0, bound);
        let tail = '';
        if (!rest.length && !first.includes(';') && r.chance(0.4)) {
          const mod = r.pick(MODULES);
          bound.push(mod);
          tail = `; import ${mod}`;
        }
        // Lines continuing a statement (in brackets or after a backslash) may sit at any indentation.
        this.lines.push(`${at}${head}: ${first}${tail}`, ...rest);
      }
    }
  }

  module(): void {
    const r = this.r;
    if (r.chance(0.3)) this.lines.push('"""A generated module."""');
    if (r.chance(0.2)) this.lines.push('from __future__ import annotations');
    const top: string[] = [];
    const n = r.int(3, 7);
    for (let i = 0; i < n; i++) {
      if (r.chance(0.4)) this.lines.push(...this.importLines(0, top));
      else this.compound(0, top, false);
    }
    // Uses come last, in a function (run later, so they see each name's last binding) and in
    // string annotations.
    const used = [...new Set(top.filter(() => r.chance(0.35)))];
    if (used.length) this.lines.push('', '', 'def _use():', `${this.unit}return (${used.join(', ')},)`);
    if (top.length && r.chance(0.4)) this.lines.push(`_v: "${r.pick(top)}" = None`);
  }
}

function generate(seed: number): string {
  const r = new Random(seed);
  const w = new ModuleWriter(r, r.chance(0.15) ? '\t' : '    ');
  w.module();
  const eol = r.chance(0.2) ? '\r\n' : '\n';
  return w.lines.join(eol) + (r.chance(0.9) ? eol : '');
}

let python = '';
let tmp = '';
const texts = new Map<string, string>();
let diagnostics = new Map<string, RuffDiagnostic[]>();
let fixedByRuff = new Map<string, string>();

before(() => {
  python = testPython();
  tmp = mkdtempSync(join(tmpdir(), 'imports-ruff-gen-'));
  for (let i = 0; i < FILES; i++) texts.set(`g${String(i).padStart(3, '0')}.py`, generate(SEED + i));
  writeTree(join(tmp, 'report'), texts);
  writeTree(join(tmp, 'fixed'), texts);
  diagnostics = ruffReport(python, join(tmp, 'report'));
  fixedByRuff = ruffFixInPlace(python, join(tmp, 'fixed'), [...texts.keys()]);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the generated modules parse and give ruff plenty to fix', () => {
  const ok = parses(python, [...texts.values()]);
  assert.deepEqual([...texts.keys()].filter((_, i) => !ok[i]), [], 'generated modules parse');
  const safe = [...diagnostics.values()].flat().filter((d) => d.fix?.applicability === 'safe');
  assert.ok(safe.length >= 300, `${safe.length} names with a safe fix`);
});

test("generated modules: each safe fix alone gives ruff's bytes", async (t) => {
  const r = await compareEachFix(texts, diagnostics);
  t.diagnostic(`ruff safe fixes: ${r.fixes} statements, ${r.names} names; engine byte-identical on ${r.same}, refused ${r.refused.length}, differing ${r.differ.length}`);
  assert.deepEqual(r.refused, [], 'refused');
  assert.deepEqual(r.differ, [], 'differing');
  const ok = parses(python, r.outputs.map((o) => o.text));
  assert.deepEqual(r.outputs.filter((_, i) => !ok[i]).map((o) => o.what), [], 'every output parses');
});

test("generated modules: removing what ruff reports, round after round, lands on ruff's --fix bytes", async (t) => {
  const r = await removeLikeRuffFix(python, join(tmp, 'rounds'), texts, diagnostics);
  const files = [...texts.keys()];
  const differ = files.filter((f) => r.texts.get(f) !== fixedByRuff.get(f)).map((f) => `${f}\n--- original\n${texts.get(f)}\n--- ruff\n${fixedByRuff.get(f)}\n--- engine\n${r.texts.get(f)}`);
  t.diagnostic(`files: ${files.length}, names removed: ${r.removed}, rounds: ${r.rounds}, byte-identical files: ${files.length - differ.length}, refused: ${r.refused.length}`);
  assert.deepEqual(r.refused, [], 'refused');
  assert.deepEqual(differ, []);
  const ok = parses(python, files.map((f) => r.texts.get(f)!));
  assert.deepEqual(files.filter((_, i) => !ok[i]), [], 'every output parses');
});
