/**
 * Traces carried by the response itself. Development servers answer a failing request with the
 * error: Express's error page (the stack in a `<pre>`, newlines as `<br>`, runs of spaces as
 * `&nbsp;`), Werkzeug's debugger page (a plain traceback in a `<textarea>`), Django's technical 500
 * page (HTML, or plain text for clients that do not ask for HTML: `Exception Type:` and
 * `Exception Value:` instead of a last line), JSON error bodies that hold a stack or a traceback,
 * and plain bodies that are just the error (`Cannot find module 'dayjs'`, `NameError: ...`).
 *
 * The body is decoded to text and read by the same parsers as logs (`extractTraces`); an error
 * without frames becomes a trace with its class and message only. Work is linear in the body,
 * which is cut to MAX_BODY_CHARS; no input makes it throw (test/unit/body-traces.test.ts fuzzes it).
 */
import type { Trace, TraceLanguage } from '../model';
import { extractTraces } from './extract';
import { EXCEPTION_NAME, isExceptionName, jsonTexts } from './json';

/** The part of a body that is read; a development error page fits many times over. */
export const MAX_BODY_CHARS = 1024 * 1024;

/** The trace a response body carries, or undefined when it holds none. Frames carry raw paths. */
export function traceFromResponseBody(body: string, contentType?: string): Trace | undefined {
  if (typeof body !== 'string' || body.length === 0) return undefined;
  const text = body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body;
  const texts = candidateTexts(text, typeof contentType === 'string' ? contentType.toLowerCase() : '').map(normalize);
  let frameless: Trace | undefined;
  for (const candidate of texts) {
    const traces = extractTraces(candidate);
    const withFrames = traces.filter((t) => t.frames.length > 0);
    const best = withFrames[withFrames.length - 1];
    if (best && best.exceptionClass === 'UnknownException') {
      // An excerpt cut before the traceback's last line: the page's summary may still name the error.
      const named = firstOneLineError(texts);
      return named ? { ...best, exceptionClass: named.exceptionClass, message: named.message } : best;
    }
    if (best) return best;
    frameless ??= traces[traces.length - 1];
  }
  return frameless ?? firstOneLineError(texts);
}

function firstOneLineError(texts: string[]): Trace | undefined {
  for (const text of texts) {
    const one = oneLineError(text);
    if (one) return one;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Which texts of the body to read, best first

function candidateTexts(text: string, contentType: string): string[] {
  // A JSON or HTML type is believed; `text/plain` is not (frameworks send JSON and pages under it).
  const kind = contentType.includes('json') ? 'json' : contentType.includes('html') || contentType.includes('xml') ? 'html' : sniff(text);
  if (kind === 'json') return jsonTexts(text);
  if (kind === 'html') return htmlTexts(text);
  return [text];
}

function sniff(text: string): 'json' | 'html' | 'text' {
  const head = text.slice(0, 1024).trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  if (/<(?:!doctype|html|head|body|pre|textarea|title)\b/i.test(head)) return 'html';
  return 'text';
}

// ---------------------------------------------------------------------------------------------
// HTML: the text of `<textarea>`s (Werkzeug, Django), of `<pre>`s (Express), then the whole page

function htmlTexts(html: string): string[] {
  const out: string[] = [];
  for (const inner of elementContents(html, 'textarea')) out.push(htmlToText(inner));
  const pres = elementContents(html, 'pre');
  if (pres.length) out.push(pres.map(htmlToText).join('\n'));
  out.push(tidy(htmlToText(html)));
  return out;
}

/** The inner HTML of every `<tag ...>...</tag>`; an element cut off by the end runs to the end. */
function elementContents(html: string, tag: string): string[] {
  const out: string[] = [];
  const open = new RegExp(`<${tag}\\b`, 'gi');
  const close = new RegExp(`</${tag}\\s*>`, 'gi');
  let m: RegExpExecArray | null;
  while ((m = open.exec(html)) !== null) {
    const gt = html.indexOf('>', m.index);
    if (gt < 0) break;
    close.lastIndex = gt + 1;
    const c = close.exec(html);
    out.push(html.slice(gt + 1, c ? c.index : html.length));
    if (!c) break;
    open.lastIndex = close.lastIndex;
  }
  return out;
}

/** Tags after which a browser starts a new line. */
const BREAKS = new Set([
  'br', 'p', 'div', 'li', 'tr', 'pre', 'textarea', 'table', 'ul', 'ol', 'blockquote', 'section', 'header', 'footer',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'dt', 'dd', 'title', 'body', 'head', 'html', 'form', 'tbody', 'thead',
]);
/** Elements whose content is not text of the page. */
const SKIPPED = new Set(['script', 'style', 'template', 'noscript']);

/** The text of an HTML fragment: tags dropped (block ends become newlines), entities decoded. */
function htmlToText(html: string): string {
  const parts: string[] = [];
  let pos = 0;
  const n = html.length;
  while (pos < n) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) {
      parts.push(html.slice(pos));
      break;
    }
    parts.push(html.slice(pos, lt));
    const c = html.charCodeAt(lt + 1);
    const isTag = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 47 /* / */ || c === 33 /* ! */ || c === 63; /* ? */
    if (!isTag) {
      parts.push('<');
      pos = lt + 1;
      continue;
    }
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) break;
      pos = end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt);
    if (gt < 0) break; // a tag cut off by the end of the excerpt
    const name = /^\/?([A-Za-z][A-Za-z0-9]*)/.exec(html.slice(lt + 1, Math.min(gt, lt + 20)))?.[1]?.toLowerCase() ?? '';
    pos = gt + 1;
    if (BREAKS.has(name)) parts.push('\n');
    if (SKIPPED.has(name) && html.charCodeAt(lt + 1) !== 47) {
      const close = new RegExp(`</${name}\\s*>`, 'gi');
      close.lastIndex = pos;
      const end = close.exec(html);
      if (!end) break;
      pos = close.lastIndex;
    }
  }
  return decodeEntities(parts.join(''));
}

/** Named entities error pages use; spaces of every width read as plain spaces (frames are indented with them). */
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ', shy: '', zwj: '',
  zwnj: '', hellip: '\u2026', mdash: '\u2014', ndash: '\u2013', laquo: '\u00ab', raquo: '\u00bb', lsquo: '\u2018',
  rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', middot: '\u00b7', bull: '\u2022', rarr: '\u2192', larr: '\u2190',
  times: '\u00d7', copy: '\u00a9', para: '\u00b6', sect: '\u00a7', deg: '\u00b0',
};

/** `&lt;`, `&#39;`, `&#x27;` and the common named entities; a no-break space reads as a space. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]{1,15}));/g, (m, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? NAMED[name.toLowerCase()] ?? m;
    const code = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (code === 0xa0) return ' ';
    if (code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\uFFFD';
    return String.fromCodePoint(code);
  });
}

/** Page text: trailing blanks dropped and runs of empty lines made one, as a reader sees it. */
function tidy(text: string): string {
  const out: string[] = [];
  let blank = false;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') {
      if (!blank && out.length) out.push('');
      blank = true;
      continue;
    }
    blank = false;
    out.push(line);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Framework dialects rewritten to what the parsers read

const DJANGO_TYPE = /^Exception Type: ([A-Za-z_][\w.]*)(?: at .*)?$/;
const DJANGO_VALUE = /^Exception Value: ?(.*)$/;
/** Lines that follow the exception value in Django's reports. */
const DJANGO_AFTER = /^(?:Request information:|Raising view name:|Request Method:|Request URL:|USER:|GET:|POST:|FILES:|COOKIES:|META:|Settings:|Using settings module|Exception Location:|Python Executable:)/;
const DJANGO_CAUSE = /^The above exception \((.*)\) was the direct cause of the following exception:$/;
const DJANGO_CONTEXT = /^During handling of the above exception \((.*)\), another exception occurred:$/;

function normalize(text: string): string {
  if (text.includes('\u00a0')) text = text.replace(/\u00a0/g, ' ');
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  if (!text.includes('Exception Type:') && !text.includes('(most recent call last)') && !text.includes('Werkzeug')) return text;
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Werkzeug's page heading: `Traceback <em>(most recent call last)</em>`, no colon.
    if (line.trim() === 'Traceback (most recent call last)') {
      out.push('Traceback (most recent call last):');
      continue;
    }
    if (line.endsWith(' // Werkzeug Debugger')) {
      out.push(line.slice(0, -' // Werkzeug Debugger'.length));
      continue;
    }
    const chained = DJANGO_CAUSE.exec(line) ?? DJANGO_CONTEXT.exec(line);
    if (chained) {
      // Django names only the earlier exception's value, not its class.
      out.push(
        `UnknownException: ${chained[1]}`,
        '',
        DJANGO_CAUSE.test(line)
          ? 'The above exception was the direct cause of the following exception:'
          : 'During handling of the above exception, another exception occurred:',
        '',
        'Traceback (most recent call last):',
      );
      continue;
    }
    const type = DJANGO_TYPE.exec(line);
    if (type) {
      const value = DJANGO_VALUE.exec(lines[i + 1] ?? '');
      let message = value ? value[1]! : '';
      if (value) {
        i++;
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '' && !DJANGO_AFTER.test(lines[i + 1]!)) message += `\n${lines[++i]}`;
      }
      // What follows is the request and the settings, never part of the trace.
      out.push(message ? `${type[1]}: ${message}` : type[1]!, '');
      break;
    }
    out.push(line);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// An error without frames

const HEADER = /^(?:Uncaught )?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?: \[([A-Z][A-Z0-9_]*)\])?: (.*)$/;
/** Django's summary: `KeyError at /carts/1`, the value on the next line. */
const AT_PATH = /^([A-Za-z_][\w.]*) at (\/\S*)$/;
const CANNOT_FIND = /^(?:(?:Uncaught )?Error(?: \[[A-Z_]+\])?: )?(Cannot find (?:module|package) '[^']+'.*)$/;
const LINES_LOOKED_AT = 40;


/** The first line near the top that is an error by itself (no frames follow it). */
function oneLineError(text: string): Trace | undefined {
  const lines: string[] = [];
  for (let pos = 0; pos < text.length && lines.length < LINES_LOOKED_AT; ) {
    const nl = text.indexOf('\n', pos);
    const line = text.slice(pos, nl < 0 ? Math.min(text.length, pos + 4096) : Math.min(nl, pos + 4096)).trim();
    if (line) lines.push(line);
    if (nl < 0) break;
    pos = nl + 1;
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const missing = CANNOT_FIND.exec(line);
    if (missing) {
      // Node's message holds the require stack; keep it, as Node prints it.
      const block = [missing[1]!];
      if (lines[i + 1] === 'Require stack:') {
        block.push('Require stack:');
        for (let j = i + 2; j < lines.length && lines[j]!.startsWith('- '); j++) block.push(lines[j]!);
      }
      return frameless('node', 'Error', block.join('\n'), [line, ...block.slice(1)].join('\n'));
    }
    const header = HEADER.exec(line);
    if (header && isExceptionName(header[1]!)) {
      const message = header[2] ? `[${header[2]}] ${header[3]}` : header[3]!;
      return frameless(languageOf(header[1]!, message), header[1]!, message, line);
    }
    const at = AT_PATH.exec(line);
    if (at && isExceptionName(at[1]!)) {
      let j = i + 1;
      while (j < lines.length && lines[j] === line) j++;
      const value = j < lines.length && !/^[A-Z][\w ]*:/.test(lines[j]!) ? lines[j]! : '';
      return frameless('python', at[1]!, value, value ? `${line}\n${value}` : line);
    }
    // A class name alone (`KeyError`), but not a word every page holds (`Error` is the title of Express's page).
    if (isExceptionName(line) && EXCEPTION_NAME.test(line) && line !== 'Error' && line !== 'Exception') {
      return frameless(languageOf(line, ''), line, '', line);
    }
  }
  return undefined;
}

function frameless(language: TraceLanguage, exceptionClass: string, message: string, text: string): Trace {
  return { language, exceptionClass, message, frames: [], causes: [], text };
}

/** Classes only one of the two languages has. */
const PYTHON_CLASSES = new Set([
  'NameError', 'KeyError', 'AttributeError', 'IndexError', 'ValueError', 'ZeroDivisionError', 'ModuleNotFoundError',
  'ImportError', 'LookupError', 'ArithmeticError', 'OSError', 'IOError', 'FileNotFoundError', 'PermissionError',
  'RuntimeError', 'NotImplementedError', 'RecursionError', 'UnboundLocalError', 'IndentationError', 'TabError',
  'UnicodeDecodeError', 'UnicodeEncodeError', 'OverflowError', 'StopIteration', 'KeyboardInterrupt', 'SystemExit',
  'Exception', 'BaseException', 'ConnectionRefusedError', 'BrokenPipeError', 'IsADirectoryError', 'JSONDecodeError',
  'IntegrityError', 'OperationalError', 'ProgrammingError', 'DoesNotExist',
]);
const NODE_CLASSES = new Set(['Error', 'ReferenceError', 'RangeError', 'EvalError', 'URIError', 'AggregateError']);
const PYTHON_WORDS =
  /'NoneType'|object is not|positional argument|unsupported operand|can only concatenate|must be (?:str|int|real number)|not subscriptable|has no attribute|unexpected keyword argument|invalid syntax|not supported between instances|^name '/;
const NODE_WORDS = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Unexpected token|Cannot access '|Assignment to constant|^\[ERR_/;

/** The language of an error known by its class and message only. */
function languageOf(cls: string, message: string): TraceLanguage {
  const base = cls.slice(cls.lastIndexOf('.') + 1);
  if (NODE_CLASSES.has(cls)) return 'node';
  // A dotted module path (`sqlalchemy.exc.IntegrityError`, `Cart.DoesNotExist`) is Python's way.
  if (PYTHON_CLASSES.has(base) || (cls.includes('.') && !cls.includes('$'))) return 'python';
  if (PYTHON_WORDS.test(message)) return 'python';
  if (NODE_WORDS.test(message)) return 'node';
  return base.endsWith('Exception') ? 'python' : 'node';
}
