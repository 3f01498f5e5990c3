import { applyEdits, ImportEditError, lineEnding, lineOf, lineStart, nextLineStart, rewriteList, selectRemovals, type Span, type TextEdit } from './edits';

import { tokenize, type Token } from './js-tokens';

/**
 * JavaScript/TypeScript imports: ES `import` declarations (default, named, namespace, `import
 * type`, side-effect) and CommonJS `const x = require('y')` / `const { a, b: c } = require('y')`
 * (and `const x = await import('y')`, read the same way).
 * A bound name is used when it appears as an identifier anywhere outside import declarations and
 * not as a property after `.`; that over-counts (object keys, shadowing) and so never removes a name
 * that is used. Re-exported names (`export { x }`, `export default x`) count as used.
 */

export interface JsImportName {
  bound: string;
  /** The specifier's text span (`b as c`, `type T`, `a: c`). */
  start: number;
  end: number;
  /** `default`, `namespace`, `named`, or a CommonJS binding (`require`). */
  role: 'default' | 'namespace' | 'named' | 'require';
  used: boolean;
}

export interface JsImport {
  kind: 'esm' | 'require';
  module: string;
  /** The statement's span, its trailing `;` included. */
  start: number;
  end: number;
  line: number;
  endLine: number;
  /** Braces of the named list (`{` and `}` offsets), when there is one. */
  list?: { open: number; close: number };
  names: JsImportName[];
  sideEffect: boolean;
  typeOnly: boolean;
  /** At brace depth 0. */
  topLevel: boolean;
}

export interface JsAnalysis {
  imports: JsImport[];
  tokens: Token[];
  /** True when the file uses ES module syntax (import/export declarations). */
  esm: boolean;
  usesRequire: boolean;
}

const DECL = new Set(['const', 'let', 'var']);

export function analyseJs(source: string, file = ''): JsAnalysis {
  const tokens = tokenize(source);
  const imports: JsImport[] = [];
  const taken: Span[] = [];
  let depth = 0;
  let esm = false;
  let usesRequire = false;
  const depthAt: number[] = [];
  for (const t of tokens) {
    depthAt.push(depth);
    if (t.type === 'punct' && (t.value === '{' || t.value === '(' || t.value === '[')) depth++;
    else if (t.type === 'punct' && (t.value === '}' || t.value === ')' || t.value === ']')) depth = Math.max(0, depth - 1);
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const prev = tokens[k - 1];
    const atStatement = !prev || (prev.type === 'punct' && (prev.value === ';' || prev.value === '}' || prev.value === '{')) || t.newlineBefore;
    if (t.type !== 'name' || !atStatement) continue;
    if (t.value === 'export' && depthAt[k] === 0) esm = true;
    if (t.value === 'import' && depthAt[k] === 0) {
      const next = tokens[k + 1];
      if (!next || (next.type === 'punct' && (next.value === '(' || next.value === '.'))) continue;
      const parsed = parseEsImport(tokens, k, source);
      esm = true;
      if (parsed) {
        imports.push(parsed.imp);
        k = parsed.last;
      }
    } else if (DECL.has(t.value)) {
      const parsed = parseRequire(tokens, k, source, depthAt[k] === 0);
      if (parsed) {
        imports.push(parsed.imp);
        usesRequire = true;
        k = parsed.last;
      }
    }
  }
  for (const imp of imports) taken.push({ start: imp.start, end: imp.end });
  const uses = new Map<string, number>();
  const jsx = /\.[jt]sx$/.test(file);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.type === 'name' && t.value === 'require') usesRequire = true;
    if (t.type !== 'name') continue;
    if (taken.some((s) => s.start <= t.start && t.end <= s.end)) continue;
    const prev = tokens[k - 1];
    if (prev && prev.type === 'punct' && (prev.value === '.' || prev.value === '?.')) continue;
    uses.set(t.value, (uses.get(t.value) ?? 0) + 1);
  }
  for (const imp of imports) {
    for (const n of imp.names) {
      n.used = (uses.get(n.bound) ?? 0) > 0;
      // JSX text and odd syntax can hide a use from the tokenizer: in JSX files a name that appears
      // anywhere else as a whole word counts as used.
      if (!n.used && jsx) n.used = wordOutside(source, n.bound, imp);
    }
  }
  return { imports, tokens, esm, usesRequire };
}

function wordOutside(source: string, word: string, imp: Span): boolean {
  const re = new RegExp(`(?<![\\w$])${word.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
  for (const m of source.matchAll(re)) if (m.index < imp.start || m.index >= imp.end) return true;
  return false;
}

function endOfStatement(tokens: Token[], k: number): number {
  const next = tokens[k + 1];
  return next && next.type === 'punct' && next.value === ';' ? k + 1 : k;
}

function finish(source: string, tokens: Token[], first: number, last: number, imp: Omit<JsImport, 'start' | 'end' | 'line' | 'endLine'>) {
  const start = tokens[first].start;
  const end = tokens[last].end;
  return { imp: { ...imp, start, end, line: lineOf(source, start), endLine: lineOf(source, end) }, last };
}

function parseEsImport(tokens: Token[], k: number, source: string) {
  let j = k + 1;
  const at = (n: number) => tokens[n];
  const isP = (n: number, v: string) => at(n)?.type === 'punct' && at(n).value === v;
  const isN = (n: number, v?: string) => at(n)?.type === 'name' && (v === undefined || at(n).value === v);
  const names: JsImportName[] = [];
  let typeOnly = false;
  let list: JsImport['list'];
  if (at(j)?.type === 'string') {
    const last = endOfStatement(tokens, j);
    return finish(source, tokens, k, last, { kind: 'esm', module: unquote(at(j).value), names, sideEffect: true, typeOnly, topLevel: true });
  }
  if (isN(j, 'type') && (isN(j + 1) || isP(j + 1, '{') || isP(j + 1, '*')) && !isN(j + 1, 'from')) {
    typeOnly = true;
    j++;
  }
  if (isN(j) && !isN(j, 'from')) {
    // import x from / import x = require('y') (TypeScript)
    names.push({ bound: at(j).value, start: at(j).start, end: at(j).end, role: 'default', used: false });
    j++;
    if (isP(j, '=') && isN(j + 1, 'require') && isP(j + 2, '(') && at(j + 3)?.type === 'string' && isP(j + 4, ')')) {
      const last = endOfStatement(tokens, j + 4);
      return finish(source, tokens, k, last, { kind: 'esm', module: unquote(at(j + 3).value), names, sideEffect: false, typeOnly, topLevel: true });
    }
    if (isP(j, ',')) j++;
  }
  if (isP(j, '*') && isN(j + 1, 'as') && isN(j + 2)) {
    names.push({ bound: at(j + 2).value, start: at(j).start, end: at(j + 2).end, role: 'namespace', used: false });
    j += 3;
  } else if (isP(j, '{')) {
    const open = at(j).start;
    j++;
    while (at(j) && !isP(j, '}')) {
      const first = j;
      let bound: string | undefined;
      if (isN(j, 'type') && (isN(j + 1) || at(j + 1)?.type === 'string') && !isN(j + 1, 'as')) j++;
      if (!(isN(j) || at(j)?.type === 'string')) return undefined;
      bound = at(j).value;
      j++;
      if (isN(j, 'as') && isN(j + 1)) {
        bound = at(j + 1).value;
        j += 2;
      }
      if (bound.startsWith("'") || bound.startsWith('"')) return undefined;
      names.push({ bound, start: at(first).start, end: at(j - 1).end, role: 'named', used: false });
      if (isP(j, ',')) j++;
      else if (!isP(j, '}')) return undefined;
    }
    if (!at(j)) return undefined;
    list = { open, close: at(j).start };
    j++;
  }
  if (!isN(j, 'from') || at(j + 1)?.type !== 'string') return undefined;
  let last = j + 1;
  if ((isN(last + 1, 'with') || isN(last + 1, 'assert')) && isP(last + 2, '{')) {
    let m = last + 3;
    while (at(m) && !isP(m, '}')) m++;
    if (!at(m)) return undefined;
    last = m;
  }
  last = endOfStatement(tokens, last);
  return finish(source, tokens, k, last, { kind: 'esm', module: unquote(at(j + 1).value), list, names, sideEffect: false, typeOnly, topLevel: true });
}

function parseRequire(tokens: Token[], k: number, source: string, topLevel: boolean) {
  const at = (n: number) => tokens[n];
  const isP = (n: number, v: string) => at(n)?.type === 'punct' && at(n).value === v;
  const isN = (n: number, v?: string) => at(n)?.type === 'name' && (v === undefined || at(n).value === v);
  let j = k + 1;
  const names: JsImportName[] = [];
  let list: JsImport['list'];
  if (isN(j)) {
    names.push({ bound: at(j).value, start: at(j).start, end: at(j).end, role: 'require', used: false });
    j++;
  } else if (isP(j, '{')) {
    const open = at(j).start;
    j++;
    while (at(j) && !isP(j, '}')) {
      const first = j;
      if (!isN(j)) return undefined;
      let bound = at(j).value;
      j++;
      if (isP(j, ':') && isN(j + 1)) {
        bound = at(j + 1).value;
        j += 2;
      }
      if (isP(j, '=')) return undefined; // defaults: leave alone
      names.push({ bound, start: at(first).start, end: at(j - 1).end, role: 'require', used: false });
      if (isP(j, ',')) j++;
      else if (!isP(j, '}')) return undefined;
    }
    if (!at(j)) return undefined;
    list = { open, close: at(j).start };
    j++;
  } else return undefined;
  if (!isP(j, '=')) return undefined;
  // `require('y')`, or a module loaded when the code runs: `await import('y')`.
  const call = isN(j + 1, 'await') && isN(j + 2, 'import') ? j + 2 : j + 1;
  if (!(isN(call, 'require') || (call === j + 2 && isN(call, 'import'))) || !isP(call + 1, '(') || at(call + 2)?.type !== 'string' || !isP(call + 3, ')')) return undefined;
  const module = unquote(at(call + 2).value);
  let last = call + 3;
  while (isP(last + 1, '.') && isN(last + 2)) last += 2;
  const after = at(last + 1);
  if (after && after.type === 'punct' && after.value !== ';' && after.value !== '}' && !after.newlineBefore) return undefined;
  last = endOfStatement(tokens, last);
  return finish(source, tokens, k, last, { kind: 'require', module, list, names, sideEffect: false, typeOnly: false, topLevel });
}

function unquote(s: string): string {
  return s.slice(1, -1);
}

export function unusedJsNames(analysis: JsAnalysis): Array<{ bound: string; line: number; module: string }> {
  return analysis.imports.flatMap((imp) => imp.names.filter((n) => !n.used).map((n) => ({ bound: n.bound, line: imp.line, module: imp.module })));
}

/** Removes the named bindings (only from statements spanning `line`, when given). */
export function removeJsNames(source: string, analysis: JsAnalysis, names: string[], line?: number): string {
  const remove = selectRemovals(analysis.imports, names, line, () => undefined, 'is used; removing it would break the module');
  const edits: TextEdit[] = [];
  for (const [imp, gone] of remove) {
    if (gone.size === imp.names.length) {
      edits.push(deleteJsStatement(source, imp));
      continue;
    }
    const named = imp.names.map((n, i) => ({ n, i })).filter(({ n }) => n.role === 'named' || (imp.kind === 'require' && imp.list));
    const head = imp.names.map((n, i) => ({ n, i })).filter(({ n }) => n.role === 'default' || n.role === 'namespace');
    const namedGone = named.filter(({ i }) => gone.has(i));
    if (imp.list && named.length && namedGone.length === named.length) {
      // import a, { b } from 'x' → import a from 'x'
      const lastHead = head[head.length - 1]?.n;
      if (!lastHead) throw new ImportEditError('cannot remove every name of the list', imp.line);
      edits.push({ start: lastHead.end, end: imp.list.close + 1, text: '' });
    } else if (named.length && namedGone.length) {
      edits.push(rewriteList(source, named.map(({ n }) => n), imp.list!.close, named.map(({ i }) => !gone.has(i)), (s) => /\/\/|\/\*/.test(s)));
    }
    for (const { n, i } of head) {
      if (!gone.has(i)) continue;
      // import a, { b } / import a, * as ns: drop `a, ` up to the next clause.
      const nextStart = imp.list ? imp.list.open : imp.names.find((m) => m.role === 'namespace' && m !== n)?.start;
      if (nextStart === undefined) throw new ImportEditError(`cannot remove "${n.bound}" alone`, imp.line);
      edits.push({ start: n.start, end: nextStart, text: '' });
    }
  }
  return applyEdits(source, edits);
}

function deleteJsStatement(source: string, imp: JsImport): TextEdit {
  const ls = lineStart(source, imp.start);
  const le = nextLineStart(source, imp.end);
  const before = source.slice(ls, imp.start);
  const after = source.slice(imp.end, le);
  if (before.trim() === '' && after.trim() === '') return { start: ls, end: le, text: '' };
  let end = imp.end;
  while (source[end] === ' ' || source[end] === '\t') end++;
  return { start: imp.start, end, text: '' };
}

// ---------------------------------------------------------------- adding

export interface AddJsImport {
  name: string;
  module: string;
  style: 'module' | 'named' | 'default';
  /** ES module syntax or CommonJS. */
  syntax: 'esm' | 'require';
}

/** The statement text for an import, in the file's quote and semicolon style. */
export function jsImportStatement(add: AddJsImport, analysis: JsAnalysis, source: string): string {
  const sample = analysis.imports[analysis.imports.length - 1];
  const quote = sample && source.slice(sample.start, sample.end).includes('"') && !source.slice(sample.start, sample.end).includes("'") ? '"' : "'";
  const semi = sample ? (source[sample.end - 1] === ';' ? ';' : '') : ';';
  const m = `${quote}${add.module}${quote}`;
  if (add.syntax === 'require') {
    return add.style === 'named' ? `const { ${add.name} } = require(${m})${semi}` : `const ${add.name} = require(${m})${semi}`;
  }
  if (add.style === 'named') return `import { ${add.name} } from ${m}${semi}`;
  if (add.style === 'module') return `import * as ${add.name} from ${m}${semi}`;
  return `import ${add.name} from ${m}${semi}`;
}

/**
 * Inserts an import after the last import/require of the file's leading block (top level), else
 * after `'use strict'` / the shebang, else at the top.
 */
export function addJsImport(source: string, analysis: JsAnalysis, add: AddJsImport): string {
  const eol = lineEnding(source);
  const clash = analysis.imports.find((imp) => imp.topLevel && imp.names.some((n) => n.bound === add.name));
  if (clash) throw new ImportEditError(`"${add.name}" is already imported`, clash.line);
  const statement = jsImportStatement(add, analysis, source);
  const top = analysis.imports.filter((imp) => imp.topLevel);
  // The leading block: imports before the first other top-level statement.
  const tokens = analysis.tokens;
  let anchor = -1;
  let k = 0;
  while (k < tokens.length) {
    const t = tokens[k];
    const imp = top.find((i) => i.start === t.start);
    if (imp) {
      anchor = imp.end;
      while (k < tokens.length && tokens[k].start < imp.end) k++;
      continue;
    }
    if (t.type === 'string' && (tokens[k + 1]?.value === ';' || tokens[k + 1]?.newlineBefore) && anchor < 0 && /^['"]use strict['"]$/.test(t.value)) {
      const semi = tokens[k + 1]?.value === ';' ? tokens[k + 1] : t;
      anchor = -2 - semi.end; // directive: insert after it, with a blank line
      k += semi === t ? 1 : 2;
      continue;
    }
    break;
  }
  if (anchor >= 0) {
    const at = nextLineStart(source, anchor);
    const needEol = at === source.length && !/[\r\n]$/.test(source);
    return source.slice(0, at) + (needEol ? eol : '') + statement + eol + source.slice(at);
  }
  if (anchor <= -2) {
    const at = nextLineStart(source, -2 - anchor);
    const needEol = at === source.length && !/[\r\n]$/.test(source);
    const rest = source.slice(at);
    const blankAfter = rest === '' || /^[ \t]*(\r\n|\r|\n)/.test(rest) ? '' : eol;
    return source.slice(0, at) + (needEol ? eol : '') + eol + statement + eol + blankAfter + rest;
  }
  const at = source.startsWith('#!') ? nextLineStart(source, 0) : 0;
  const rest = source.slice(at);
  const blankAfter = rest === '' || /^[ \t]*(\r\n|\r|\n)/.test(rest) ? '' : eol;
  return source.slice(0, at) + statement + eol + blankAfter + rest;
}
