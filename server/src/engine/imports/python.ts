import { applyEdits, ImportEditError, lineEnding, lineOf, lineStart, nextLineStart, rewriteList, selectRemovals, type TextEdit } from './edits';
import { runPythonAst, type PythonAstOptions, type PythonImportStatement } from './python-ast';

/**
 * Python imports: which bound names are unused (scope-aware, through Python's own parser), how to
 * remove them the way ruff's F401 safe fix does, and where a new import goes.
 */

export type KeepReason = 'noqa' | 'future' | 'star' | 'try-import-error' | 'type-checking' | 'reexport' | 'init-module' | 'all';

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

export async function analysePython(source: string, options: AnalyseOptions = {}): Promise<PythonAnalysis> {
  const out = await runPythonAst(source, options);
  if (!out.ok) return out;
  const init = options.file !== undefined && /(^|\/)__init__\.pyi?$/.test(options.file);
  const all = new Set(out.all);
  const lines = source.split(/\r\n|\r|\n/);
  const noqa = (from: number, to: number) => lines.slice(from - 1, to).some((l) => NOQA.test(l));
  const imports = out.imports.map((imp) => ({
    ...imp,
    names: imp.names.map((n): PythonImportName => {
      let keep: KeepReason | undefined = imp.guard ?? undefined;
      if (!keep && noqa(imp.line, imp.endLine)) keep = 'noqa';
      if (!keep && n.reexport) keep = 'reexport';
      if (!keep && init && imp.topLevel) keep = 'init-module';
      if (!keep && imp.topLevel && all.has(n.bound)) keep = 'all';
      return { bound: n.bound, name: n.name, asname: n.asname, start: n.start, end: n.end, used: n.used, keep };
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
  if (!analysis.ok) throw new ImportEditError(`the file does not parse: ${analysis.message}`, analysis.line);
  const remove = selectRemovals(analysis.imports, names, line, (n) => (n.keep ? describeKeep(n.keep) : undefined), 'is used in its scope; removing it would break the module');
  const edits: TextEdit[] = [];
  for (const [imp, gone] of remove) {
    if (gone.size === imp.names.length) edits.push(deleteStatement(source, imp));
    else {
      const listEnd = source[imp.end - 1] === ')' ? imp.end - 1 : imp.end;
      const items = imp.names.map((n) => ({ start: n.start, end: n.end }));
      edits.push(rewriteList(source, items, listEnd, imp.names.map((_, i) => !gone.has(i)), (s) => s.includes('#')));
    }
  }
  return applyEdits(source, edits);
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
    case 'type-checking':
      return 'inside an `if TYPE_CHECKING:` block';
    case 'reexport':
      return 'an explicit re-export (`x as x`)';
    case 'init-module':
      return "a package __init__'s re-export";
    case 'all':
      return 'listed in __all__';
  }
}

/** Deletes a whole statement the way ruff does: `pass` for a lone child, whole lines otherwise. */
function deleteStatement(source: string, imp: PythonImport): TextEdit {
  if (imp.alone) return { start: imp.start, end: imp.end, text: 'pass' };
  let i = imp.end;
  while (i < source.length && (source[i] === ' ' || source[i] === '\t')) i++;
  if (source[i] === ';') {
    let j = i + 1;
    while (j < source.length && (source[j] === ' ' || source[j] === '\t')) j++;
    return { start: imp.start, end: j, text: '' };
  }
  const ls = lineStart(source, imp.start);
  if (source.slice(ls, imp.start).trim() !== '') return { start: imp.start, end: imp.end, text: '' };
  return { start: ls, end: nextLineStart(source, imp.end), text: '' };
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
