/**
 * JSON that carries an error: a response body, or a log record of a JSON logger (python-json-logger,
 * structlog, pino, winston) whose stack sits in a string with its newlines escaped. The strings that
 * hold a stack or name an error, best first, as the text a plain log would hold.
 */

export const EXCEPTION_NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;
const EXCEPTION_SUFFIX = /(?:Error|Exception|Warning|Exit|Interrupt|StopIteration|DoesNotExist|MultipleObjectsReturned)$/;

export function isExceptionName(name: string): boolean {
  // `Warning: ...` is how many tools start an ordinary message, not an exception.
  return EXCEPTION_SUFFIX.test(name) && name !== 'Warning';
}

// ---------------------------------------------------------------------------------------------
// JSON: strings that hold a stack or an error, wherever they sit

/** Keys whose value is a stack or traceback, then keys whose value names the error. */
export const STACK_KEY = /stack|trace|exception|exc_info|backtrace/i;
const ERROR_KEY = /error|detail|message|msg|cause|reason|description/i;
const MAX_JSON_NODES = 10_000;
/** Strings of a JSON body that are read, best ranked first: a body with thousands holds no stack in most. */
const MAX_JSON_TEXTS = 64;
const MAX_JSON_DEPTH = 32;

interface Found {
  key: string;
  text: string;
}

/** The strings of a JSON text that may hold an error, stacks first; the text itself when it has none. */
export function jsonTexts(text: string): string[] {
  let found: Found[];
  try {
    found = [];
    walkJson(JSON.parse(text), '', 0, found, { nodes: 0 });
  } catch {
    // An excerpt cut mid-document, or JSON with garbage after it: read its string literals.
    found = lenientJsonStrings(text);
  }
  const rank = (f: Found) => (STACK_KEY.test(f.key) ? 0 : ERROR_KEY.test(f.key) ? 1 : 2);
  const ordered = found
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
    .slice(0, MAX_JSON_TEXTS)
    .map(({ f }) => f.text);
  return ordered.length ? ordered : [text];
}

function walkJson(value: unknown, key: string, depth: number, out: Found[], budget: { nodes: number }): void {
  if (++budget.nodes > MAX_JSON_NODES || depth > MAX_JSON_DEPTH) return;
  if (typeof value === 'string') {
    if (value.length) out.push({ key, text: value });
    return;
  }
  if (Array.isArray(value)) {
    // A traceback as a list of lines (`traceback.format_exception`) is read as one text.
    if (value.length > 0 && value.every((v) => typeof v === 'string')) {
      budget.nodes += value.length;
      out.push({ key, text: joinLines(value as string[]) });
      return;
    }
    for (const v of value) walkJson(v, key, depth + 1, out, budget);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  const headed = headedStack(obj);
  if (headed) out.push(headed);
  for (const [k, v] of Object.entries(obj)) walkJson(v, k, depth + 1, out, budget);
}

/**
 * A stack without its header line (`stack: ["at f (a.js:1:2)", ...]`, Python frames from
 * `format_tb`) or a class and message in separate keys (`{"error": "KeyError", "message": "'x'"}`):
 * joined into the text a log would hold.
 */
function headedStack(obj: Record<string, unknown>): Found | undefined {
  const str = (k: string) => (typeof obj[k] === 'string' ? (obj[k] as string) : undefined);
  const cls = [str('name'), str('type'), str('exc_type'), str('exception'), str('error'), str('class')].find(
    (c) => c !== undefined && EXCEPTION_NAME.test(c) && isExceptionName(c),
  );
  const message = str('message') ?? str('msg') ?? str('detail') ?? str('exc_value') ?? str('value') ?? '';
  for (const [k, v] of Object.entries(obj)) {
    if (!STACK_KEY.test(k)) continue;
    const lines = typeof v === 'string' ? v : Array.isArray(v) && v.every((x) => typeof x === 'string') ? joinLines(v as string[]) : undefined;
    if (lines === undefined) continue;
    const first = lines.trimStart();
    if (/^at /.test(first)) return { key: k, text: `${cls ?? 'Error'}: ${message}\n${indentFrames(lines)}` };
    if (/^File "/.test(first) && cls) return { key: k, text: `Traceback (most recent call last):\n${indentFrames(lines)}\n${cls}: ${message}` };
  }
  if (cls && message && !message.includes('\n')) return { key: 'error', text: `${cls}: ${message}` };
  return undefined;
}

function indentFrames(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^(?:at |File ")/.test(l) ? `    ${l}` : l))
    .join('\n');
}

/** List items as lines: `format_exception` items end with their newline, others get one. */
function joinLines(parts: string[]): string {
  let out = '';
  for (const p of parts) out += p.endsWith('\n') ? p : `${p}\n`;
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/**
 * The string values of JSON that does not parse (an excerpt cut off, a log of JSON lines), each
 * with the key before it; values of one key in a row (a list of lines) are joined.
 */
function lenientJsonStrings(text: string): Found[] {
  const out: Found[] = [];
  let key = '';
  let group: string[] | undefined;
  let pos = 0;
  const flush = () => {
    if (group?.length) out.push({ key, text: joinLines(group) });
    group = undefined;
  };
  while (pos < text.length) {
    const q = text.indexOf('"', pos);
    if (q < 0) break;
    let end = q + 1;
    while (end < text.length && text.charCodeAt(end) !== 34) end += text.charCodeAt(end) === 92 ? 2 : 1;
    const literal = unescapeJson(text.slice(q + 1, Math.min(end, text.length)));
    pos = end + 1;
    let next = pos;
    while (next < text.length && (text.charCodeAt(next) === 32 || text.charCodeAt(next) === 10 || text.charCodeAt(next) === 13 || text.charCodeAt(next) === 9)) next++;
    if (text.charCodeAt(next) === 58 /* : */) {
      flush();
      key = literal;
      group = [];
    } else if (literal.length) {
      (group ??= []).push(literal);
    }
  }
  flush();
  return out;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };

function unescapeJson(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\(?:u([0-9a-fA-F]{4})|(.)|$)/g, (_m, hex: string | undefined, ch: string | undefined) =>
    hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : ch !== undefined ? (ESCAPES[ch] ?? ch) : '',
  );
}
