/**
 * Just enough of Python's and JavaScript's lexical structure to find where a call or a block ends:
 * brackets matched outside strings and comments, Python blocks by indentation. Never throws; an
 * unbalanced text gives -1.
 */

export type SourceLanguage = 'python' | 'js';

export function languageOf(file: string): SourceLanguage | undefined {
  if (/\.py$/.test(file)) return 'python';
  if (/\.(m|c)?(j|t)sx?$/.test(file)) return 'js';
  return undefined;
}

/** The line ending a file mostly uses. */
export function detectEol(text: string): '\r\n' | '\n' {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** Offset of the first character of each line (lines split on \n; a \r before it stays with the line). */
export function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** 0-based line of an offset. */
export function lineOfOffset(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The text of a 0-based line without its line ending. */
export function lineTextAt(text: string, starts: number[], line: number): string {
  const start = starts[line] ?? text.length;
  const next = starts[line + 1];
  return text.slice(start, next === undefined ? text.length : next).replace(/\r?\n$/, '');
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSE = new Set([')', ']', '}']);

/**
 * Offset of the bracket that closes the one at `open`, skipping strings and comments; -1 when the
 * text ends first or the brackets do not pair.
 */
export function matchBracket(text: string, open: number, lang: SourceLanguage): number {
  if (!(text[open]! in OPEN)) return -1;
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const c = text[i]!;
    if (c in OPEN) {
      stack.push(OPEN[c]!);
      i++;
    } else if (CLOSE.has(c)) {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
      i++;
    } else if (c === '"' || c === "'" || (c === '`' && lang === 'js')) {
      i = skipString(text, i, lang);
      if (i < 0) return -1;
    } else if (lang === 'python' && c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (lang === 'js' && c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (lang === 'js' && c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return -1;
      i = end + 2;
    } else i++;
  }
  return -1;
}

/** Offset just after the string literal starting at `start`, or -1 when it never closes. */
export function skipString(text: string, start: number, lang: SourceLanguage): number {
  const q = text[start]!;
  if (lang === 'python' && text.startsWith(q.repeat(3), start)) {
    const end = text.indexOf(q.repeat(3), start + 3);
    return end < 0 ? -1 : end + 3;
  }
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === q) return i + 1;
    else if (c === '\n' && q !== '`') return -1;
  }
  return -1;
}

/** Indentation width (tabs count as one) of a line. */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/**
 * The last 0-based line of the Python block opened by the statement on `line` (a def, an if, ...):
 * the following lines indented deeper, blank and comment lines inside included, trailing blanks not.
 * Statements spanning lines (open brackets) are followed to their end first.
 */
export function pythonBlockEnd(lines: string[], line: number): number {
  const base = indentOf(lines[line] ?? '').length;
  let last = line;
  // A header spread over several lines ends at the line ending with ':' outside brackets; keep it simple: take lines until one ends with ':'.
  let i = line;
  while (i < lines.length - 1 && !/:\s*(#.*)?$/.test(lines[i]!)) i++;
  last = i;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j]!;
    if (/^\s*(#.*)?$/.test(l)) continue;
    if (indentOf(l).length <= base) break;
    last = j;
  }
  return last;
}
