/**
 * Just enough of Python's and JavaScript's source text for the mutation operators to find where a
 * fault fits: string and comment contents masked out (same length, newlines kept, so offsets stay
 * those of the real text), brackets matched, Python statements and function bodies by indentation,
 * JavaScript function bodies by their braces. Written for the corpus alone: it shares nothing with
 * the product's own readers, so a blind spot of theirs cannot hide a fault here.
 */

export type Lang = 'python' | 'js';

export interface SourceFile {
  /** Workspace-relative path with forward slashes. */
  file: string;
  lang: Lang;
  text: string;
  /** `text` with string contents and comments replaced by spaces (quotes kept). */
  masked: string;
  /** Offset of each line's first character. */
  starts: number[];
  /** JavaScript: an ES module (import/export syntax, or "type": "module" in package.json). */
  esm: boolean;
}

export function languageOf(file: string, text: string): Lang | undefined {
  if (/\.py$/.test(file)) return 'python';
  if (/\.(c|m)?js$/.test(file)) return 'js';
  if (!/\.[^/]+$/.test(file.split('/').pop()!) && /^#!.*\bnode\b/.test(text)) return 'js';
  return undefined;
}

export function sourceFile(file: string, text: string, lang: Lang, packageIsModule = false): SourceFile {
  const masked = lang === 'python' ? maskPython(text) : maskJs(text);
  const esm = lang === 'js' && (file.endsWith('.mjs') || (!file.endsWith('.cjs') && (packageIsModule || /^\s*(import\s+[\w{*'"]|export\s)/m.test(masked))));
  return { file, lang, text, masked, starts: lineStarts(text), esm };
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** 0-based line of an offset. */
export function lineOf(src: Pick<SourceFile, 'starts'>, offset: number): number {
  let lo = 0;
  let hi = src.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (src.starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** End offset of the line holding `offset` (the newline's offset, or the text's length). */
export function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i;
}

export function indentAt(text: string, lineStart: number): string {
  return /^[ \t]*/.exec(text.slice(lineStart, lineStart + 200))![0];
}

const blank = (c: string) => (c === '\n' ? '\n' : ' ');

// ---------------------------------------------------------------- masking

function maskPython(text: string): string {
  const out = text.split('');
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === '#') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text.slice(i, i + 5));
    if (m && (m[1] === '' || !/[\w]/.test(text[i - 1] ?? ''))) {
      const prefix = m[1]!.toLowerCase();
      const quote = m[2]!;
      const raw = prefix.includes('r');
      const f = prefix.includes('f');
      i += m[0].length;
      while (i < n) {
        if (text.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        if (quote.length === 1 && text[i] === '\n') break; // unterminated: stop at the line's end
        if (text[i] === '\\' && !raw) {
          out[i] = ' ';
          if (i + 1 < n) out[i + 1] = blank(text[i + 1]!);
          i += 2;
          continue;
        }
        if (f && text[i] === '{') {
          if (text[i + 1] === '{') {
            out[i] = out[i + 1] = ' ';
            i += 2;
            continue;
          }
          // An f-string expression: kept, so the names it uses are seen.
          let depth = 0;
          while (i < n) {
            if (text[i] === '{') depth++;
            else if (text[i] === '}' && --depth === 0) {
              i++;
              break;
            } else if (text[i] === '\n' && quote.length === 1) break;
            i++;
          }
          continue;
        }
        out[i] = blank(text[i]!);
        i++;
      }
      continue;
    }
    if (/[\w]/.test(c)) {
      // Skip a whole identifier, so `rb` in `verb'` is never read as a prefix.
      while (i < n && /[\w]/.test(text[i]!)) i++;
      continue;
    }
    i++;
  }
  return out.join('');
}

/** Whether a `/` at `i` starts a regular expression literal (from the token before it). */
function regexCanStart(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && /\s/.test(text[j]!)) j--;
  if (j < 0) return true;
  if (/[(,=:[!&|?{};+\-*%<>~^]/.test(text[j]!)) return true;
  const word = /(\w+)$/.exec(text.slice(Math.max(0, j - 10), j + 1))?.[1];
  return word !== undefined && ['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'void', 'yield', 'await'].includes(word);
}

function maskJs(text: string): string {
  const out = text.split('');
  const n = text.length;
  // Each open template literal's brace depth where its `${` expression began.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const maskTemplateText = (): void => {
    // Inside a template literal's text, up to its end or the next `${`.
    while (i < n) {
      if (text[i] === '\\') {
        out[i] = ' ';
        if (i + 1 < n) out[i + 1] = blank(text[i + 1]!);
        i += 2;
        continue;
      }
      if (text[i] === '`') {
        i++;
        return;
      }
      if (text[i] === '$' && text[i + 1] === '{') {
        templates.push(depth);
        depth++;
        i += 2;
        return;
      }
      out[i] = blank(text[i]!);
      i++;
    }
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (; i < stop; i++) out[i] = blank(text[i]!);
      continue;
    }
    if (c === '#' && i === 0 && text[1] === '!') {
      while (i < n && text[i] !== '\n') out[i++] = ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      i++;
      while (i < n && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\') {
          out[i] = ' ';
          if (i + 1 < n) out[i + 1] = blank(text[i + 1]!);
          i += 2;
          continue;
        }
        out[i] = ' ';
        i++;
      }
      i++;
      continue;
    }
    if (c === '`') {
      i++;
      maskTemplateText();
      continue;
    }
    if (c === '/' && regexCanStart(text, i)) {
      i++;
      let inClass = false;
      while (i < n && text[i] !== '\n') {
        if (text[i] === '\\') {
          out[i] = out[i + 1] = ' ';
          i += 2;
          continue;
        }
        if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        else if (text[i] === '/' && !inClass) break;
        out[i] = ' ';
        i++;
      }
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (templates.length && templates[templates.length - 1] === depth) {
        templates.pop();
        i++;
        maskTemplateText();
        continue;
      }
    }
    i++;
  }
  return out.join('');
}

// ---------------------------------------------------------------- brackets

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSE: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Offset of the bracket closing the one at `open` in masked text, or -1. */
export function matchClose(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i]!;
    if (OPEN[c]) depth++;
    else if (CLOSE[c] && --depth === 0) return i;
  }
  return -1;
}

/** Offset of the bracket opening the one at `close` in masked text, or -1. */
export function matchOpen(masked: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = masked[i]!;
    if (CLOSE[c]) depth++;
    else if (OPEN[c] && --depth === 0) return i;
  }
  return -1;
}

/** Offset of the innermost bracket still open at `offset`, or -1. */
export function enclosingOpen(masked: string, offset: number): number {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const c = masked[i]!;
    if (CLOSE[c]) depth++;
    else if (OPEN[c]) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Bracket depth at each line start (0 = top level). */
export function depthAtLineStarts(src: SourceFile): number[] {
  const out: number[] = [];
  let depth = 0;
  let line = 0;
  for (let i = 0; i <= src.masked.length; i++) {
    while (line < src.starts.length && src.starts[line] === i) {
      out.push(depth);
      line++;
    }
    const c = src.masked[i];
    if (c && OPEN[c]) depth++;
    else if (c && CLOSE[c]) depth = Math.max(0, depth - 1);
  }
  return out;
}

/** The text of a string literal whose opening quote is at `quote` (masked keeps the quotes). */
export function stringAt(src: SourceFile, quote: number): { value: string; start: number; end: number } | undefined {
  const q = src.text[quote]!;
  const close = src.masked.indexOf(q, quote + 1);
  if (close < 0) return undefined;
  return { value: src.text.slice(quote + 1, close), start: quote + 1, end: close };
}

// ---------------------------------------------------------------- identifiers

export interface Use {
  offset: number;
  /** Inside some function's body (or, in Python, its signature). */
  inFunction: boolean;
}

/**
 * Uses of a name as a value: not an attribute (`x.name`), not a keyword argument or assignment
 * target (`name=`), not an object key (`name:` in JavaScript), outside `skip` (the import itself).
 */
export function usesOf(src: SourceFile, name: string, skip: Array<[number, number]>, scope?: [number, number]): Use[] {
  const esc = name.replace(/[$]/g, '\\$');
  const re = new RegExp(`(?<![\\w$.])${esc}(?![\\w$])`, 'g');
  const fns = functionRanges(src);
  const out: Use[] = [];
  for (const m of src.masked.matchAll(re)) {
    const at = m.index!;
    if (skip.some(([a, b]) => at >= a && at < b)) continue;
    if (scope && (at < scope[0] || at >= scope[1])) continue;
    const after = src.masked.slice(at + name.length, at + name.length + 3);
    if (/^\s*=(?!=)/.test(after)) continue;
    if (src.lang === 'js' && /^\s*:/.test(after) && !/\?[^:]*$/.test(src.masked.slice(Math.max(0, at - 80), at))) continue;
    const before = src.masked.slice(Math.max(0, at - 2), at);
    if (/\?\.$/.test(before)) continue;
    out.push({ offset: at, inFunction: fns.some((f) => at >= f.useStart && at < f.end) });
  }
  return out;
}

// ---------------------------------------------------------------- functions

export interface FunctionRange {
  name: string;
  async: boolean;
  /** Where the function's header begins (`def`, `function`, `async`, the arrow's parameters). */
  headerStart: number;
  /** Where uses count as the function's own: Python from `def` (the signature is evaluated at import, but belongs to it), JavaScript from the body. */
  useStart: number;
  /** First offset of the body (after `:` and its line in Python; after `{` in JavaScript). */
  bodyStart: number;
  /** End of the body (exclusive). */
  end: number;
  /** Python: the def line's indentation. */
  indent: string;
  /** Python: decorator statements' masked text; JavaScript: the callee of the call the function is passed to (`router.get`), if any. */
  decorators: string[];
  callee?: string;
  /** JavaScript: the route path the call names first (`'/:orderId'`), if any. */
  route?: string;
}

const cache = new WeakMap<SourceFile, FunctionRange[]>();

export function functionRanges(src: SourceFile): FunctionRange[] {
  let fns = cache.get(src);
  if (!fns) {
    fns = src.lang === 'python' ? pythonFunctions(src) : jsFunctions(src);
    cache.set(src, fns);
  }
  return fns;
}

export interface PyStatement {
  start: number;
  /** Offset of the newline that ends it (or the text's length). */
  end: number;
  indent: number;
  /** Masked text of the statement. */
  masked: string;
}

/** Python logical lines (brackets and backslashes continue a line), blank ones left out. */
export function pythonStatements(src: SourceFile): PyStatement[] {
  const out: PyStatement[] = [];
  const t = src.masked;
  let start = 0;
  let depth = 0;
  for (let i = 0; i <= t.length; i++) {
    const c = t[i];
    if (c && OPEN[c]) depth++;
    else if (c && CLOSE[c]) depth = Math.max(0, depth - 1);
    else if (c === undefined || (c === '\n' && depth === 0 && t[i - 1] !== '\\')) {
      const body = t.slice(start, i);
      if (body.trim() !== '') {
        const indent = /^[ \t]*/.exec(body)![0].length;
        out.push({ start, end: i, indent, masked: body });
      }
      start = i + 1;
    }
  }
  return out;
}

function pythonFunctions(src: SourceFile): FunctionRange[] {
  const stmts = pythonStatements(src);
  const out: FunctionRange[] = [];
  stmts.forEach((s, k) => {
    const m = /^([ \t]*)(async[ \t]+)?def[ \t]+(\w+)/.exec(s.masked);
    if (!m) return;
    // The header ends at the `:` after the parameters; a body on the same line is not a block.
    const open = s.start + s.masked.indexOf('(');
    const close = matchClose(src.masked, open);
    if (close < 0) return;
    const colon = src.masked.indexOf(':', close);
    if (colon < 0 || colon > s.end) return;
    if (src.masked.slice(colon + 1, s.end).trim() !== '') return;
    let last = s.end;
    let j = k + 1;
    for (; j < stmts.length && stmts[j]!.indent > s.indent; j++) last = stmts[j]!.end;
    if (j === k + 1) return;
    const decorators: string[] = [];
    for (let d = k - 1; d >= 0 && stmts[d]!.indent === s.indent && stmts[d]!.masked.trimStart().startsWith('@'); d--) decorators.unshift(stmts[d]!.masked.trim());
    out.push({
      name: m[3]!,
      async: Boolean(m[2]),
      headerStart: s.start + m[1]!.length,
      useStart: s.start + m[1]!.length,
      bodyStart: stmts[k + 1]!.start,
      end: last,
      indent: m[1]!,
      decorators,
    });
  });
  return out;
}

const NOT_FUNCTIONS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'await', 'new', 'else', 'do', 'try', 'finally']);

function jsFunctions(src: SourceFile): FunctionRange[] {
  const t = src.masked;
  const out: FunctionRange[] = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== '{') continue;
    let j = i - 1;
    while (j >= 0 && /\s/.test(t[j]!)) j--;
    let headerStart: number | undefined;
    let name = '';
    if (t[j] === '>' && t[j - 1] === '=') {
      // An arrow body: its parameters are `( ... )` or one identifier, maybe after `async`.
      let k = j - 2;
      while (k >= 0 && /\s/.test(t[k]!)) k--;
      if (t[k] === ')') headerStart = matchOpen(t, k);
      else {
        const id = /[\w$]+$/.exec(t.slice(Math.max(0, k - 60), k + 1));
        headerStart = id ? k + 1 - id[0].length : undefined;
      }
    } else if (t[j] === ')') {
      const open = matchOpen(t, j);
      if (open < 0) continue;
      const before = t.slice(Math.max(0, open - 80), open);
      const fn = /function\s*\*?\s*([\w$]*)\s*$/.exec(before);
      const method = /(?:^|[\s;{},])((?:get|set|static|async)\s+)*([\w$]+)\s*$/.exec(before);
      if (fn) {
        headerStart = open - fn[0].length;
        name = fn[1]!;
      } else if (method && !NOT_FUNCTIONS.has(method[2]!)) {
        headerStart = open - method[0].length + (method[0].length - method[0].trimStart().length);
        name = method[2]!;
      }
    }
    if (headerStart === undefined || headerStart < 0) continue;
    const close = matchClose(t, i);
    if (close < 0) continue;
    // `async` just before the header.
    const pre = /async\s+$/.exec(t.slice(Math.max(0, headerStart - 12), headerStart));
    if (pre) headerStart -= pre[0].length;
    const isAsync = /^async\b/.test(t.slice(headerStart, headerStart + 6));
    // The call this function is an argument of (`router.get('/', (req, res) => {`).
    const callOpen = enclosingOpen(t, headerStart);
    let callee: string | undefined;
    if (callOpen >= 0 && t[callOpen] === '(') {
      const c = /([\w$]+(?:\s*\.\s*[\w$]+)*|\))\s*\.\s*([\w$]+)\s*$/.exec(t.slice(Math.max(0, callOpen - 120), callOpen));
      if (c) callee = `${c[1] === ')' ? '…' : c[1]!.replace(/\s+/g, '')}.${c[2]}`;
      else callee = /(?<![\w$.])([A-Za-z_$][\w$]*)\s*$/.exec(t.slice(Math.max(0, callOpen - 60), callOpen))?.[1];
    }
    const route = callee ? routeArg(src, callOpen) : undefined;
    if (!name) {
      const assigned = /([\w$]+)\s*[=:]\s*(?:async\s*)?$/.exec(t.slice(Math.max(0, headerStart - 60), headerStart));
      if (assigned) name = assigned[1]!;
    }
    out.push({ name, async: isAsync, headerStart, useStart: i + 1, bodyStart: i + 1, end: close, indent: '', decorators: [], ...(callee ? { callee } : {}), ...(route ? { route } : {}) });
  }
  // Arrows with an expression body (`(req, res) => res.send('ok')`): up to the comma, semicolon or
  // bracket that ends the expression, or the line's end.
  for (const m of t.matchAll(/=>\s*(?=[^\s{])/g)) {
    const bodyStart = m.index! + m[0].length;
    let k = m.index! - 1;
    while (k >= 0 && /\s/.test(t[k]!)) k--;
    let headerStart = t[k] === ')' ? matchOpen(t, k) : k + 1 - (/[\w$]+$/.exec(t.slice(Math.max(0, k - 60), k + 1))?.[0].length ?? 0);
    if (headerStart < 0) continue;
    const pre = /async\s+$/.exec(t.slice(Math.max(0, headerStart - 12), headerStart));
    if (pre) headerStart -= pre[0].length;
    let depth = 0;
    let end = bodyStart;
    for (; end < t.length; end++) {
      const c = t[end]!;
      if (OPEN[c]) depth++;
      else if (CLOSE[c]) {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === ',' || c === ';' || c === '\n')) break;
    }
    const callOpen = enclosingOpen(t, headerStart);
    let callee: string | undefined;
    if (callOpen >= 0 && t[callOpen] === '(') {
      const c = /([\w$]+(?:\s*\.\s*[\w$]+)*|\))\s*\.\s*([\w$]+)\s*$/.exec(t.slice(Math.max(0, callOpen - 120), callOpen));
      if (c) callee = `${c[1] === ')' ? '…' : c[1]!.replace(/\s+/g, '')}.${c[2]}`;
      else callee = /(?<![\w$.])([A-Za-z_$][\w$]*)\s*$/.exec(t.slice(Math.max(0, callOpen - 60), callOpen))?.[1];
    }
    const isAsync = /^async\b/.test(t.slice(headerStart, headerStart + 6));
    const route = callee ? routeArg(src, callOpen) : undefined;
    out.push({ name: '', async: isAsync, headerStart, useStart: bodyStart, bodyStart, end, indent: '', decorators: [], ...(callee ? { callee } : {}), ...(route ? { route } : {}) });
  }
  return out;
}

/** The string literal a call's first argument is, when it is one (`router.get('/:id', ...)`). */
function routeArg(src: SourceFile, open: number): string | undefined {
  const m = /^\s*(['"`])/.exec(src.masked.slice(open + 1, open + 200));
  if (!m) return undefined;
  return stringAt(src, open + 1 + m[0].length - 1)?.value;
}

/** Route methods of the frameworks: a function passed to one of these (or decorated by one) handles a request. */
export const ROUTE_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all', 'route', 'api_route'];

/** Request handlers: Python functions with a route decorator; JavaScript functions passed to a route method. */
export function handlers(src: SourceFile): FunctionRange[] {
  return functionRanges(src).filter((f) =>
    src.lang === 'python'
      ? f.decorators.some((d) => new RegExp(`^@[\\w.]+\\.(${ROUTE_METHODS.join('|')})\\s*\\(`).test(d))
      : f.callee !== undefined &&
        (new RegExp(`\\.(${ROUTE_METHODS.filter((m) => m !== 'route' && m !== 'api_route').join('|')})$`).test(f.callee) ||
          // A controller wrapped by a helper: `const getUser = catchAsync(async (req, res) => {...})`.
          (/^[A-Za-z_$][\w$]*$/.test(f.callee) && /^\s*(?:async\s+)?(?:function\s*\w*\s*)?\(\s*req\s*,\s*res\b/.test(src.text.slice(f.headerStart, f.bodyStart)))),
  );
}

/** The innermost function whose body holds `offset`. */
export function functionAt(src: SourceFile, offset: number): FunctionRange | undefined {
  let best: FunctionRange | undefined;
  for (const f of functionRanges(src)) if (offset >= f.bodyStart && offset < f.end && (!best || f.bodyStart > best.bodyStart)) best = f;
  return best;
}
