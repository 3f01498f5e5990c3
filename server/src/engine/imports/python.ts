import { ImportEditError, lineEnding, lineOf, lineStart, nextLineStart, selectRemovals } from './edits';
import { runPythonAst, type PythonAstOptions, type PythonImportStatement } from './python-ast';
import { removeAsRuff } from './python-remove';

/**
 * Python imports: which bound names are unused (scope-aware, through Python's own parser, the way
 * ruff's F401 reads them), how to remove them the way ruff's F401 safe fix does, and where a new
 * import goes.
 */

/**
 * Why an unused-looking import is left alone. Each is a case ruff's F401 does not fix either:
 * `class-body` (a class attribute, readable as `Cls.name`) and `rebound` (a later binding of the
 * name replaces it: not the one a use refers to) are cases it does not even report.
 */
export type KeepReason = 'noqa' | 'future' | 'star' | 'try-import-error' | 'class-body' | 'rebound' | 'reexport' | 'init-module' | 'all';

export interface PythonImportName {
  /** The name as the module binds it (`c` for `import a.b as c`, `a` for `import a.b`). */
  bound: string;
  /** The imported name as written (`a.b`, `x`). */
  name: string;
  asname: string | null;
  start: number;
  end: number;
  used: boolean;
  /** Set when the import must be left alone whatever its use. */
  keep?: KeepReason;
  /** The binding's rank among its scope's bindings, in source order (null for `*`). */
  order: number | null;
  /** Something other than an import binds the name again later in the scope. */
  laterOther: boolean;
}

export interface PythonImport extends Omit<PythonImportStatement, 'names' | 'guard'> {
  guard: PythonImportStatement['guard'];
  names: PythonImportName[];
}

export type PythonAnalysis =
  | { ok: true; imports: PythonImport[]; all: string[]; docstringEnd: number | null }
  | { ok: false; message: string; line: number; column: number };

export interface AnalyseOptions extends PythonAstOptions {
  /** Workspace-relative path; `__init__.py` re-exports are left alone. */
  file?: string;
}

/** `# noqa` alone, or with a code list naming F401. */
const NOQA = /#\s*noqa(?!:)|#\s*noqa:[\sA-Z0-9,]*\bF401\b/i;

/** The code of a line, without its comment (import statements hold no strings). */
const codeOf = (line: string) => line.replace(/#.*$/, '');

/**
 * Whether a `# noqa` covers a name on `line`: ruff reads it on the name's line or the statement's
 * first line, each taken with the lines a backslash joins to it (the comment can only be on the
 * last of those).
 */
function noqaCovers(lines: string[], line: number, statementLine: number): boolean {
  const covered = (l: number) => {
    let i = l - 1;
    while (i < lines.length - 1 && /\\$/.test(codeOf(lines[i]))) i++;
    return NOQA.test(lines[i] ?? '');
  };
  return covered(line) || covered(statementLine);
}

export async function analysePython(source: string, options: AnalyseOptions = {}): Promise<PythonAnalysis> {
  const out = await runPythonAst(source, options);
  if (!out.ok) return out;
  const init = options.file !== undefined && /(^|\/)__init__\.pyi?$/.test(options.file);
  const all = new Set(out.all);
  const lines = source.split(/\r\n|\r|\n/);
  const imports = out.imports.map((imp) => ({
    ...imp,
    names: imp.names.map((n): PythonImportName => {
      let keep: KeepReason | undefined = imp.guard ?? undefined;
      if (!keep && noqaCovers(lines, n.line, imp.line)) keep = 'noqa';
      if (!keep && imp.scopeKind === 'class') keep = 'class-body';
      if (!keep && n.reexport) keep = 'reexport';
      if (!keep && init && imp.topLevel) keep = 'init-module';
      if (!keep && imp.topLevel && all.has(n.bound)) keep = 'all';
      // Last: `rebound` alone is a reason that can lapse (when the later bindings go too).
      if (!keep && n.rebound) keep = 'rebound';
      return { bound: n.bound, name: n.name, asname: n.asname, start: n.start, end: n.end, used: n.used, keep, order: n.order, laterOther: n.laterOther };
    }),
  }));
  return { ok: true, imports, all: out.all, docstringEnd: out.docstringEnd };
}

/** Names that nothing uses and that may be removed, with their statements' lines. */
export function unusedPythonNames(analysis: PythonAnalysis): Array<{ bound: string; line: number; module: string }> {
  if (!analysis.ok) return [];
  const out: Array<{ bound: string; line: number; module: string }> = [];
  for (const imp of analysis.imports) {
    for (const n of imp.names) {
      if (!n.used && !n.keep) out.push({ bound: n.bound, line: imp.line, module: moduleOf(imp, n) });
    }
  }
  return out;
}

/** The module a name comes from, dotted, with leading dots for relative imports. */
export function moduleOf(imp: PythonImport, n: PythonImportName): string {
  return imp.kind === 'import' ? n.name : '.'.repeat(imp.level) + imp.module;
}

export { ImportEditError } from './edits';

/**
 * Removes the named bindings. With `line`, only the statements spanning that line are considered.
 * Refuses (ImportEditError) a name that is not imported there, is used, or must be left alone.
 */
export function removePythonNames(source: string, analysis: PythonAnalysis, names: string[], line?: number): string {
  return removePythonImports(source, analysis, names.map((bound) => ({ bound, line })));
}

/**
 * A binding to remove: the name as the module binds it, and a line of its statement (any, if
 * none), or `at`, the offset where the imported name starts (as `analysePython` gives it), to name
 * one binding exactly.
 */
export interface PythonRemoval {
  bound: string;
  line?: number;
  at?: number;
}

/**
 * Removes several bindings at once, possibly from several statements, with the bytes ruff's fix
 * loop would give (a block left empty gets `pass`). Refuses like `removePythonNames`. A binding
 * left alone only because the name is bound again later may go when every later binding goes in
 * the same request (ruff then reports it, once they are gone).
 */
export function removePythonImports(source: string, analysis: PythonAnalysis, removals: readonly PythonRemoval[]): string {
  if (!analysis.ok) throw new ImportEditError(`the file does not parse: ${analysis.message}`, analysis.line);
  const { chosen, waits } = chooseBindings(analysis.imports, removals);
  const statements = [...chosen].filter(([, gone]) => gone.size > 0);
  const index = new Map(statements.map(([imp], k) => [imp, k]));
  const targets = statements.map(([imp, gone]) => ({
    start: imp.start,
    end: imp.end,
    names: imp.names,
    gone: new Map([...gone].map((i) => [i, waits.get(imp)!.get(i)!.map(({ imp: other, i: j }) => [index.get(other)!, j] as const)])),
    body: imp.body,
    bodySize: imp.bodySize,
    group: imp.group,
  }));
  return removeAsRuff(source, targets);
}

const USED = 'is used in its scope; removing it would break the module';

/** Which bindings of which statements the removals name, and what each must wait for; or why not. */
function chooseBindings(imports: readonly PythonImport[], removals: readonly PythonRemoval[]) {
  const leftAlone = (n: PythonImportName) => (n.keep && n.keep !== 'rebound' ? describeKeep(n.keep) : undefined);
  const chosen = new Map<PythonImport, Set<number>>();
  const choose = (imp: PythonImport, i: number) => chosen.set(imp, (chosen.get(imp) ?? new Set()).add(i));
  const byLine = new Map<number | undefined, string[]>();
  for (const r of removals) if (r.at === undefined) byLine.set(r.line, [...(byLine.get(r.line) ?? []), r.bound]);
  for (const [line, names] of byLine) {
    for (const [imp, gone] of selectRemovals(imports, names, line, leftAlone, USED)) for (const i of gone) choose(imp, i);
  }
  const exact = removals.filter((r) => r.at !== undefined).map((r) => {
    const imp = imports.find((s) => s.names.some((n) => n.start === r.at && n.bound === r.bound));
    if (!imp) throw new ImportEditError(`no import binds "${r.bound}" at offset ${r.at}`);
    const i = imp.names.findIndex((n) => n.start === r.at);
    const why = leftAlone(imp.names[i]);
    if (why) throw new ImportEditError(`"${r.bound}" is left alone (${why})`, imp.line);
    if (imp.names[i].used) throw new ImportEditError(`"${r.bound}" ${USED}`, imp.line);
    choose(imp, i);
    return { imp, i };
  });
  const waits = reboundWaits(imports, chosen);
  // What cannot go after all: a rebound binding whose later bindings do not all go with it. Named
  // exactly, or without a line, that is a refusal; on a line, only if nothing else there can go.
  const refuse = (imp: PythonImport, bound: string) => new ImportEditError(`"${bound}" is left alone (${describeKeep('rebound')})`, imp.line);
  for (const { imp, i } of exact) if (!waits.get(imp)!.has(i)) throw refuse(imp, imp.names[i].bound);
  for (const [line, names] of byLine) {
    for (const bound of new Set(names)) {
      const spans = (imp: PythonImport) => line === undefined || (imp.line <= line && line <= imp.endLine);
      const here = [...chosen].flatMap(([imp, gone]) => (spans(imp) ? [...gone].filter((i) => imp.names[i].bound === bound).map((i) => ({ imp, i })) : []));
      const stuck = here.filter(({ imp, i }) => !waits.get(imp)!.has(i));
      if (stuck.length && (line === undefined || stuck.length === here.length)) throw refuse(stuck[0].imp, bound);
      for (const { imp, i } of stuck) chosen.get(imp)!.delete(i);
    }
  }
  return { chosen, waits };
}

/**
 * For each chosen binding, the chosen bindings it waits for: none for a binding nothing rebinds;
 * every later binding of its name in its scope for a rebound one, provided they are all imports
 * being removed too (otherwise it is missing from the answer: it cannot go).
 */
function reboundWaits(imports: readonly PythonImport[], chosen: ReadonlyMap<PythonImport, ReadonlySet<number>>) {
  const waits = new Map<PythonImport, Map<number, Array<{ imp: PythonImport; i: number }>>>();
  for (const imp of chosen.keys()) waits.set(imp, new Map());
  // Later bindings first, so that a chain (a rebound by b rebound by c) resolves in one sweep.
  const all = imports.flatMap((imp) => imp.names.map((n, i) => ({ imp, i, n }))).sort((a, b) => (b.n.order ?? 0) - (a.n.order ?? 0));
  const going = (imp: PythonImport, i: number) => waits.get(imp)?.has(i) ?? false;
  for (const { imp, i, n } of all) {
    if (!chosen.get(imp)?.has(i)) continue;
    if (n.keep !== 'rebound') {
      waits.get(imp)!.set(i, []);
      continue;
    }
    if (n.laterOther) continue;
    const later = all.filter((o) => o.imp.scope === imp.scope && o.n.bound === n.bound && (o.n.order ?? 0) > (n.order ?? 0));
    if (later.every((o) => going(o.imp, o.i))) waits.get(imp)!.set(i, later.map(({ imp: o, i: j }) => ({ imp: o, i: j })));
  }
  return waits;
}

function describeKeep(k: KeepReason): string {
  switch (k) {
    case 'noqa':
      return 'marked `# noqa`';
    case 'future':
      return 'a __future__ import';
    case 'star':
      return 'a star import';
    case 'try-import-error':
      return 'inside try/except ImportError: an availability check';
    case 'class-body':
      return 'a class attribute, readable as `Class.name`';
    case 'rebound':
      return 'bound again later in its scope; only the last binding can be unused';
    case 'reexport':
      return 'an explicit re-export (`x as x`)';
    case 'init-module':
      return "a package __init__'s re-export";
    case 'all':
      return 'listed in __all__';
  }
}

// ---------------------------------------------------------------- adding

export type ImportKind = 'stdlib' | 'third-party' | 'local';
const KIND_ORDER: ImportKind[] = ['stdlib', 'third-party', 'local'];

export interface AddPythonImport {
  /** `import uuid` (style module, name = module) or `from module import name` (style named). */
  statement: string;
  kind: ImportKind;
  /** Bound name, to refuse a duplicate. */
  bound: string;
}

/**
 * Inserts one import statement: after the last top-level import of the same kind; else as a new
 * group before the first import of a later kind or after the last of an earlier one; else after the
 * shebang, encoding line, module docstring and `from __future__` imports.
 */
export function addPythonImport(source: string, analysis: PythonAnalysis, add: AddPythonImport, classify: (imp: PythonImport) => ImportKind): string {
  if (!analysis.ok) throw new ImportEditError(`the file does not parse: ${analysis.message}`, analysis.line);
  const eol = lineEnding(source);
  const top = analysis.imports.filter((imp) => imp.direct);
  const clash = top.find((imp) => imp.names.some((n) => n.bound === add.bound));
  if (clash) throw new ImportEditError(`"${add.bound}" is already imported`, clash.line);
  const regular = top.filter((imp) => imp.guard !== 'future');
  const future = top.filter((imp) => imp.guard === 'future');
  const line = add.statement;
  const insertAfter = (end: number, before: string, after: string): string => {
    const at = nextLineStart(source, end);
    const needEol = at === source.length && !/[\r\n]$/.test(source) && source.length > 0;
    return source.slice(0, at) + (needEol ? eol : '') + before + line + eol + after + source.slice(at);
  };
  const same = regular.filter((imp) => classify(imp) === add.kind);
  if (same.length) return insertAfter(same[same.length - 1].end, '', '');
  const rank = KIND_ORDER.indexOf(add.kind);
  const later = regular.filter((imp) => KIND_ORDER.indexOf(classify(imp)) > rank);
  if (later.length) {
    const first = later.reduce((a, b) => (a.start < b.start ? a : b));
    const at = lineStart(source, first.start);
    return source.slice(0, at) + line + eol + eol + source.slice(at);
  }
  if (regular.length) return insertAfter(regular[regular.length - 1].end, eol, '');
  // No imports: after the header.
  let anchor = -1;
  if (future.length) anchor = future[future.length - 1].end;
  else if (analysis.docstringEnd !== null) anchor = analysis.docstringEnd;
  if (anchor >= 0) {
    const at = nextLineStart(source, anchor);
    const rest = source.slice(at);
    const blankAfter = /^[ \t]*(\r\n|\r|\n|$)/.test(rest) ? '' : eol;
    const needEol = at === source.length && !/[\r\n]$/.test(source);
    return source.slice(0, at) + (needEol ? eol : '') + eol + line + eol + blankAfter + rest;
  }
  let at = 0;
  for (let n = 0; n < 2; n++) {
    const next = nextLineStart(source, at);
    const text = source.slice(at, next);
    if ((n === 0 && text.startsWith('#!')) || /^[ \t\f]*#.*coding[:=]/.test(text)) at = next;
    else break;
  }
  const rest = source.slice(at);
  const blankAfter = rest === '' || /^[ \t]*(\r\n|\r|\n)/.test(rest) ? '' : eol;
  return source.slice(0, at) + line + eol + blankAfter + rest;
}

export { lineOf };
