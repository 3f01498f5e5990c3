import { AUTH_SCHEME, REDACTED } from './formats';
import { isCredentialName, isWholeLineName } from './names';

/**
 * Values of credential-named pairs in free text, whatever the notation:
 *
 *   api_key=abc&x=1           query strings, form bodies, `KEY=value` environment dumps, `--password=x`
 *   X-Api-Key: abc            header lines, YAML, Node's `{ DB_PASSWORD: 'x' }`
 *   "token": "abc"            JSON, Python's `{'SECRET_KEY': 'x'}`, escaped JSON inside a log line
 *   "password" => "abc"       Ruby and PHP hashes
 *
 * First every credential-named pair is found: the name is read backwards from each `=` or `:`
 * (bounded). Then each value is read forwards, never past the next such pair's name: a quoted value
 * to its closing quote on the same line, `Cookie` and `Authorization` header values to the end of
 * the line (pairs inside them included), anything else to the next delimiter (a marker already
 * there counts as part of the value). The value becomes the marker, keeping quotes and an auth
 * scheme (`"Authorization": "Bearer [redacted]"`, `api_key=[redacted]`). A value that already is
 * the marker, is empty, a literal (`null`, `true`) or a placeholder (`{token}`, `${env:TOKEN}`)
 * stays.
 *
 * Every character is read forwards at most once and backwards a bounded number of times: linear.
 */

const MAX_NAME = 64;
const MAX_SPACE = 8;

/** Characters of a name: letters, digits, `_`, `-`, `.`. */
const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  NAME[c] = /[A-Za-z0-9_.-]/.test(ch) ? 1 : 0;
}
/** Characters that end an unquoted value. */
const STOP = new Uint8Array(128);
for (const ch of ' \t\n\r\f\v&;,"\'`<>(){}[]|\\') STOP[ch.charCodeAt(0)] = 1;

const isName = (c: number) => c < 128 && NAME[c] === 1;
const isStop = (c: number) => c < 128 && STOP[c] === 1;
const isBlank = (c: number) => c === 32 || c === 9;
const isLineEnd = (c: number) => c === 10 || c === 13;
/** What a value bounded by the next pair's name does not keep at its end: `Cookie: a=1; session=…`. */
const isTrailing = (c: number) => isBlank(c) || c === 59 || c === 44 || c === 38;

const LITERAL = new Set(['null', 'None', 'nil', 'undefined', 'true', 'false', 'True', 'False']);
/** `{token}` (a saved variable) or `${env:TOKEN}` (an environment variable): a reference, not a value. */
const PLACEHOLDER = /^(?:\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*\})$/;
const ONLY_MARKERS = /^(?:\[redacted\])+$/;
const REFERENCE = /\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*\}/y;

/** A credential-named pair: where its name starts, where its value starts, whether the value runs to the end of the line. */
interface Pair {
  nameStart: number;
  valueStart: number;
  wholeLine: boolean;
}

const SEPARATORS = /[=:]/g;

export function redactPairs(s: string): string {
  if (!s.includes('=') && !s.includes(':')) return s;
  const pairs: Pair[] = [];
  const sep = new RegExp(SEPARATORS.source, 'g');
  for (let m = sep.exec(s); m; m = sep.exec(s)) {
    const pair = pairAt(s, m.index);
    if (pair) pairs.push(pair);
  }
  let out = '';
  let copied = 0;
  const lines = { from: -1, end: -1 };
  for (let i = 0; i < pairs.length; i++) {
    if (pairs[i].valueStart < copied) continue; // inside a value already replaced
    const limit = i + 1 < pairs.length ? pairs[i + 1].nameStart : s.length;
    const r = valueOf(s, pairs[i], limit, lines);
    if (!r) continue;
    out += s.slice(copied, r.start) + r.text;
    copied = r.end;
  }
  return copied === 0 ? s : out + s.slice(copied);
}

/** The pair whose separator is at `p`, when the name before it is a credential's. */
function pairAt(s: string, p: number): Pair | undefined {
  const colon = s.charCodeAt(p) === 58;
  let after = p + 1;
  let spaced = colon;
  if (colon) {
    // `::` (paths, IPv6) and `://` (URLs) are not pairs.
    if (s.charCodeAt(p + 1) === 58 || s.charCodeAt(p - 1) === 58 || s.charCodeAt(p + 1) === 47) return undefined;
  } else {
    const before = s.charCodeAt(p - 1);
    if (s.charCodeAt(p + 1) === 62) {
      after = p + 2; // =>
      spaced = true;
    } else if (s.charCodeAt(p + 1) === 61 || before === 61 || before === 33 || before === 60 || before === 62) return undefined; // == != <= >=
  }

  // The name, backwards: blanks (for `:` and `=>`), a closing quote (maybe escaped), the name.
  let q = p;
  if (spaced) for (let n = 0; n < MAX_SPACE && q > 0 && isBlank(s.charCodeAt(q - 1)); n++) q--;
  let quote = 0;
  let escaped = false;
  const closing = s.charCodeAt(q - 1);
  if (closing === 34 || closing === 39) {
    quote = closing;
    q--;
    if (s.charCodeAt(q - 1) === 92) {
      escaped = true;
      q--;
    }
  }
  let k = q;
  while (k > 0 && q - k <= MAX_NAME && isName(s.charCodeAt(k - 1))) k--;
  if (q - k < 2 || q - k > MAX_NAME) return undefined;
  if (quote) {
    if (s.charCodeAt(k - 1) !== quote || (escaped && s.charCodeAt(k - 2) !== 92)) return undefined;
  }
  const name = s.slice(k, q);
  if (!isCredentialName(name)) return undefined;

  let v = after;
  if (spaced) for (let n = 0; n < MAX_SPACE && v < s.length && isBlank(s.charCodeAt(v)); n++) v++;
  return { nameStart: k, valueStart: v, wholeLine: colon && isWholeLineName(name) };
}

interface Replacement {
  start: number;
  end: number;
  text: string;
}

/** The replacement of a pair's value, read no further than `limit`. */
function valueOf(s: string, pair: Pair, limit: number, lines: { from: number; end: number }): Replacement | undefined {
  const v = pair.valueStart;
  const c = s.charCodeAt(v);
  const quoted = c === 34 || c === 39 || (c === 92 && (s.charCodeAt(v + 1) === 34 || s.charCodeAt(v + 1) === 39));
  if (!pair.wholeLine || quoted) return v < limit ? (quoted ? quotedValue(s, v, limit) : unquotedValue(s, v, limit, false)) : undefined;
  // A header that runs to the end of the line takes the pairs inside it along (`Cookie: a=1; sid=2`).
  // The end of a line is looked for once, however many such headers stand on it.
  if (v < lines.from || v > lines.end) {
    let e = v;
    while (e < s.length && !isLineEnd(s.charCodeAt(e))) e++;
    lines.from = v;
    lines.end = e;
  }
  return v < lines.end ? unquotedValue(s, v, lines.end, true) : undefined;
}

/** `"…"`, `'…'` or `\"…\"`: the content up to the closing quote (or the end of the line) becomes the marker. */
function quotedValue(s: string, v: number, limit: number): Replacement | undefined {
  const escapedQuote = s.charCodeAt(v) === 92;
  const open = escapedQuote ? 2 : 1;
  const quote = s.charCodeAt(v + open - 1);
  const from = Math.min(v + open, limit);
  let e = from;
  while (e < limit) {
    const c = s.charCodeAt(e);
    if (isLineEnd(c)) break;
    if (escapedQuote) {
      if (c === 92 && s.charCodeAt(e + 1) === quote) break;
      if (c === 92 && s.charCodeAt(e + 1) === 92) {
        e += 2;
        continue;
      }
    } else {
      if (c === 92) {
        if (e + 1 >= limit || isLineEnd(s.charCodeAt(e + 1))) break;
        e += 2;
        continue;
      }
      if (c === quote) break;
    }
    e++;
  }
  e = Math.min(e, limit);
  const text = masked(s.slice(from, e));
  if (text === undefined) return undefined;
  return { start: from, end: e, text };
}

/** A run of value characters (a marker counts as one) from `e`, no further than `limit`. */
function valueRun(s: string, e: number, limit: number): number {
  while (e < limit) {
    const c = s.charCodeAt(e);
    if (c === 91 && s.startsWith(REDACTED, e) && e + REDACTED.length <= limit) {
      e += REDACTED.length;
      continue;
    }
    if (isStop(c)) break;
    e++;
  }
  return e;
}

/** Up to the next delimiter, or to the end of the line for `Cookie` and `Authorization` headers. */
function unquotedValue(s: string, v: number, limit: number, wholeLine: boolean): Replacement | undefined {
  REFERENCE.lastIndex = v;
  if (REFERENCE.test(s) && (REFERENCE.lastIndex >= limit || isStop(s.charCodeAt(REFERENCE.lastIndex)))) return undefined;
  let e = v;
  if (wholeLine) {
    e = limit;
    while (e > v && isTrailing(s.charCodeAt(e - 1))) e--;
  } else {
    e = valueRun(s, v, limit);
    // `Bearer abc`: the scheme and the credential after it.
    if (e < limit && isBlank(s.charCodeAt(e)) && AUTH_SCHEME.test(s.slice(v, e + 1))) {
      let t = e;
      while (t < limit && isBlank(s.charCodeAt(t))) t++;
      const u = valueRun(s, t, limit);
      if (u > t) e = u;
    }
  }
  if (e === v) return undefined;
  const text = masked(s.slice(v, e));
  if (text === undefined) return undefined;
  return { start: v, end: e, text };
}

/** What a value becomes: the marker after any auth scheme; undefined when it stays as it is. */
function masked(value: string): string | undefined {
  if (value === '' || LITERAL.has(value) || PLACEHOLDER.test(value)) return undefined;
  const scheme = AUTH_SCHEME.exec(value);
  let prefix = '';
  let rest = value;
  if (scheme) {
    let i = scheme[0].length;
    while (i < value.length && isBlank(value.charCodeAt(i))) i++;
    prefix = value.slice(0, i);
    rest = value.slice(i);
    if (rest === '' || PLACEHOLDER.test(rest)) return undefined;
  }
  if (ONLY_MARKERS.test(rest)) return undefined;
  return prefix + REDACTED;
}
