/**
 * Just enough of TOML's lexical structure to find things by position without re-serialising:
 * table headers, top-level key/value pairs of each table with their extent, and the string
 * elements of an array. Strings (basic, literal, multi-line) and comments are skipped correctly,
 * so brackets or `=` inside them never mislead the scan.
 */

export interface TomlTable {
  /** Dotted header name with quotes removed (`tool.poetry.group.dev.dependencies`); '' for the root table. */
  name: string;
  /** Offset of the header line's start (0 for the root) and of the line after the header. */
  headerStart: number;
  bodyStart: number;
  /** Offset where the next header (or the end of the text) begins. */
  end: number;
  entries: TomlEntry[];
  isArrayTable: boolean;
}

export interface TomlEntry {
  /** Key as a dotted name, quotes removed. */
  key: string;
  /** Offset of the key's first character, of the value's first character, and just after the value. */
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

export interface TomlString {
  value: string;
  /** Offsets of the opening quote and just after the closing quote. */
  start: number;
  end: number;
  quote: string;
}

/** Skips a string starting at `i` (at its opening quote); returns the offset after it and its value. */
export function readString(text: string, i: number): { end: number; value: string; quote: string } {
  const q = text[i];
  const triple = text.startsWith(q.repeat(3), i);
  const open = triple ? 3 : 1;
  let j = i + open;
  let value = '';
  for (;;) {
    if (j >= text.length) throw new Error(`unterminated string starting at offset ${i}`);
    const c = text[j];
    if (q === '"' && c === '\\') {
      const n = text[j + 1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' };
      if (n in simple) value += simple[n];
      else value += n;
      j += 2;
      continue;
    }
    if (!triple && (c === '\n' || c === '\r')) throw new Error(`unterminated string starting at offset ${i}`);
    if (text.startsWith(q.repeat(open), j)) {
      // A multi-line string may end with up to two extra quotes.
      let k = j + open;
      if (triple) while (text[k] === q && k < j + open + 2) k++;
      value += text.slice(j, k - open);
      return { end: k, value, quote: q.repeat(open) };
    }
    value += c;
    j++;
  }
}

/** Offset after the value that starts at `i` (a string, an array, an inline table or a bare scalar). */
export function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"' || c === "'") return readString(text, i).end;
  if (c === '[' || c === '{') {
    const close = c === '[' ? ']' : '}';
    let j = i + 1;
    while (j < text.length) {
      const d = text[j];
      if (d === close) return j + 1;
      if (d === '"' || d === "'") j = readString(text, j).end;
      else if (d === '#') j = endOfLine(text, j);
      else if (d === '[' || d === '{') j = skipValue(text, j);
      else j++;
    }
    throw new Error(`unclosed "${c}" starting at offset ${i}`);
  }
  let j = i;
  while (j < text.length && !/[\n\r#,\]}]/.test(text[j])) j++;
  while (j > i && /[ \t]/.test(text[j - 1])) j--;
  return j;
}

function endOfLine(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  return nl < 0 ? text.length : nl;
}

/** Reads a (possibly dotted, possibly quoted) key at `i`; returns its name and the offset after it. */
function readKey(text: string, i: number): { key: string; end: number } {
  const parts: string[] = [];
  let j = i;
  for (;;) {
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] === '"' || text[j] === "'") {
      const s = readString(text, j);
      parts.push(s.value);
      j = s.end;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(text.slice(j, j + 256));
      if (!m) throw new Error(`expected a key at offset ${j}`);
      parts.push(m[0]);
      j += m[0].length;
    }
    let k = j;
    while (text[k] === ' ' || text[k] === '\t') k++;
    if (text[k] === '.') {
      j = k + 1;
      continue;
    }
    return { key: parts.join('.'), end: j };
  }
}

/** All tables of a document, in order, each with its top-level entries. Throws on text it cannot follow. */
export function scanToml(text: string): TomlTable[] {
  const tables: TomlTable[] = [];
  let current: TomlTable = { name: '', headerStart: 0, bodyStart: 0, end: text.length, entries: [], isArrayTable: false };
  tables.push(current);
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '#') {
      i = endOfLine(text, i);
      continue;
    }
    if (c === '[') {
      const isArrayTable = text[i + 1] === '[';
      const k = readKey(text, i + (isArrayTable ? 2 : 1));
      let j = k.end;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] !== ']' || (isArrayTable && text[j + 1] !== ']')) throw new Error(`malformed table header at offset ${i}`);
      const lineEnd = endOfLine(text, j);
      current.end = i;
      current = { name: k.key, headerStart: i, bodyStart: Math.min(text.length, lineEnd + 1), end: text.length, entries: [], isArrayTable };
      tables.push(current);
      i = lineEnd;
      continue;
    }
    const k = readKey(text, i);
    let j = k.end;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] !== '=') throw new Error(`expected "=" after key "${k.key}" at offset ${j}`);
    j++;
    while (text[j] === ' ' || text[j] === '\t') j++;
    const valueEnd = skipValue(text, j);
    current.entries.push({ key: k.key, keyStart: i, valueStart: j, valueEnd });
    i = valueEnd;
  }
  return tables;
}

/** The string elements of the array at `start` (its `[`), with positions; non-string elements are skipped. */
export function arrayStrings(text: string, start: number): { strings: TomlString[]; close: number } {
  const strings: TomlString[] = [];
  let j = start + 1;
  while (j < text.length) {
    const d = text[j];
    if (d === ']') return { strings, close: j };
    if (d === '"' || d === "'") {
      const s = readString(text, j);
      strings.push({ value: s.value, start: j, end: s.end, quote: s.quote });
      j = s.end;
    } else if (d === '#') j = endOfLine(text, j);
    else if (d === '[' || d === '{') j = skipValue(text, j);
    else j++;
  }
  throw new Error(`unclosed "[" at offset ${start}`);
}
