/**
 * A JavaScript/TypeScript tokenizer good enough to find imports and identifier uses: it skips
 * comments, strings, template literal text (but not the expressions inside `${}`) and regular
 * expression literals. It never throws: unterminated constructs end at the end of the line or text.
 */

export type TokenType = 'name' | 'punct' | 'string' | 'template' | 'regex' | 'number' | 'private';

export interface Token {
  type: TokenType;
  value: string;
  start: number;
  end: number;
  /** A line break precedes the token (for statement boundaries without semicolons). */
  newlineBefore: boolean;
}

const REGEX_AFTER_WORD = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);
const PUNCT = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**'];

const isIdStart = (c: string) => /[A-Za-z_$\u00c0-\uffff]/.test(c);
const isIdPart = (c: string) => /[\w$\u00c0-\uffff]/.test(c);

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  /** For each open `{`: whether it opened a template substitution. */
  const braces: boolean[] = [];
  let i = 0;
  let nl = false;
  const push = (type: TokenType, start: number, end: number) => {
    tokens.push({ type, value: src.slice(start, end), start, end, newlineBefore: nl });
    nl = false;
  };
  const regexAllowed = () => {
    const prev = tokens[tokens.length - 1];
    if (!prev) return true;
    if (prev.type === 'name') return REGEX_AFTER_WORD.has(prev.value);
    if (prev.type === 'punct') return ![')', ']', '}', '++', '--'].includes(prev.value);
    return false;
  };
  /** Scans template text from `i` (just after ` or }) to the closing ` or a `${`. */
  const templateText = (start: number) => {
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') i += 2;
      else if (c === '`') {
        i++;
        push('template', start, i);
        return;
      } else if (c === '$' && src[i + 1] === '{') {
        i += 2;
        push('template', start, i);
        braces.push(true);
        return;
      } else i++;
    }
    push('template', start, Math.min(i, src.length));
  };
  while (i < src.length) {
    const c = src[i];
    const start = i;
    if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') {
      nl = true;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\ufeff' || c === '\u00a0') {
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      if (/[\r\n]/.test(src.slice(i, stop))) nl = true;
      i = stop;
    } else if (c === '#' && i === 0 && src[1] === '!') {
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n' && src[i] !== '\r') i += src[i] === '\\' ? 2 : 1;
      if (src[i] === c) i++;
      push('string', start, Math.min(i, src.length));
    } else if (c === '`') {
      i++;
      templateText(start);
    } else if (c === '}' && braces.length && braces[braces.length - 1]) {
      braces.pop();
      i++;
      templateText(start);
    } else if (c === '/' && regexAllowed()) {
      i++;
      let cls = false;
      while (i < src.length && src[i] !== '\n' && src[i] !== '\r') {
        const d = src[i];
        if (d === '\\') i += 2;
        else {
          i++;
          if (d === '[') cls = true;
          else if (d === ']') cls = false;
          else if (d === '/' && !cls) break;
        }
      }
      while (i < src.length && isIdPart(src[i])) i++;
      push('regex', start, Math.min(i, src.length));
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      i++;
      while (i < src.length && /[\w.]/.test(src[i])) i++;
      push('number', start, i);
    } else if (isIdStart(c) || c === '\\') {
      i++;
      while (i < src.length && isIdPart(src[i])) i++;
      push('name', start, i);
    } else if (c === '#' && isIdStart(src[i + 1] ?? '')) {
      i++;
      while (i < src.length && isIdPart(src[i])) i++;
      push('private', start, i);
    } else {
      const p = PUNCT.find((q) => src.startsWith(q, i)) ?? c;
      i += p.length;
      if (p === '{') braces.push(false);
      else if (p === '}') braces.pop();
      push('punct', start, i);
    }
  }
  return tokens;
}
