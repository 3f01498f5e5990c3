import { routeAlternatives } from './pattern';
import { languageOf, lineOfOffset, lineStarts, matchBracket, pythonBlockEnd, skipString, type SourceLanguage } from './syntax';

/**
 * Route declarations with their exact place in the text: where the path literal sits (so it can be
 * rewritten), where the decorator or call ends, and the handler's extent. `scanRoutes` answers
 * "which line serves this route"; this answers "which bytes declare it".
 */

export type Framework = 'fastapi' | 'flask' | 'express';

export interface RouteSite {
  file: string;
  framework: Framework;
  /** The object the route hangs on: `router`, `app`, `bp`. */
  owner: string;
  /** Upper-case method, `*` for Express `all`. */
  method: string;
  /** The path literal's content as written (`/{cart_id}/items`). */
  literal: string;
  /** Normalised path (parameters as `{}`). */
  path: string;
  /** Offsets of the literal's content, quotes excluded. */
  literalStart: number;
  literalEnd: number;
  /** Offsets of the decorator (from `@`) or the call (from its owner) through its closing parenthesis. */
  callStart: number;
  callEnd: number;
  /** 1-based line of the decorator or call. */
  line: number;
  /** 1-based line of the handler (`def` line in Python, the call's line in JavaScript). */
  handlerLine: number;
  /** Offsets of the handler's extent: the decorated function through its last line, or the whole call. */
  handlerStart: number;
  handlerEnd: number;
}

const PY_DECORATOR = /^[ \t]*@[ \t]*([A-Za-z_][\w.]*)\.(get|post|put|patch|delete|head|options|route|api_route)[ \t]*\(/gm;
const JS_CALL = /([A-Za-z_$][\w$]*)\s*\.\s*(get|post|put|patch|delete|head|options|all)\s*\(\s*(["'`])/g;
const JS_ROUTE = /([A-Za-z_$][\w$]*)\s*\.\s*route\s*\(\s*(["'`])/g;
const MAX_SITES = 5000;

export function scanRouteSites(file: string, text: string, lang: SourceLanguage | undefined = languageOf(file)): RouteSite[] {
  if (lang === 'python') return scanPython(file, text);
  if (lang === 'js') return scanJs(file, text);
  return [];
}

/**
 * Flask or FastAPI, from what the module imports; a module that only decorates with a router it
 * imports from elsewhere is settled when its owner is resolved (resolve.ts).
 */
function pythonFramework(text: string): Framework {
  const flask = /^[ \t]*(from[ \t]+flask\b|import[ \t]+flask\b)/m.test(text) || /\b(Blueprint|Flask)\s*\(/.test(text);
  const fastapi = /^[ \t]*(from[ \t]+fastapi\b|import[ \t]+fastapi\b)/m.test(text) || /\b(APIRouter|FastAPI)\s*\(/.test(text);
  if (flask !== fastapi) return flask ? 'flask' : 'fastapi';
  return /^[ \t]*@[ \t]*[\w.]+\.route[ \t]*\(/m.test(text) ? 'flask' : 'fastapi';
}

function scanPython(file: string, text: string): RouteSite[] {
  const framework = pythonFramework(text);
  const starts = lineStarts(text);
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out: RouteSite[] = [];
  for (const m of text.matchAll(PY_DECORATOR)) {
    if (out.length >= MAX_SITES) break;
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'python');
    if (close < 0) continue;
    const args = text.slice(open + 1, close);
    const lit = firstStringArgument(text, open + 1, close, 'python') ?? keywordString(text, open + 1, close, 'path');
    if (!lit) continue;
    let methods = [m[2]!.toUpperCase()];
    if (m[2] === 'route' || m[2] === 'api_route') {
      const ms = /methods\s*=\s*[[(]([^\])]*)[\])]/.exec(args);
      methods = ms ? [...ms[1]!.matchAll(/["'](\w+)["']/g)].map((x) => x[1]!.toUpperCase()) : ['GET'];
    }
    const decoLine = lineOfOffset(starts, m.index + m[0].search(/@/));
    let defLine = -1;
    for (let j = lineOfOffset(starts, close) + 1; j < Math.min(lines.length, decoLine + 60); j++) {
      if (/^\s*(async\s+)?def\s/.test(lines[j]!)) {
        defLine = j;
        break;
      }
    }
    if (defLine < 0) continue;
    const end = pythonBlockEnd(lines, defLine);
    const handlerEnd = (starts[end] ?? text.length) + lines[end]!.length;
    const callStart = m.index + m[0].indexOf('@');
    for (const method of methods) {
      out.push({
        file,
        framework,
        owner: m[1]!,
        method,
        literal: text.slice(lit.start, lit.end),
        path: routeAlternatives(text.slice(lit.start, lit.end) || '/', framework)[0]!,
        literalStart: lit.start,
        literalEnd: lit.end,
        callStart,
        callEnd: close + 1,
        line: decoLine + 1,
        handlerLine: defLine + 1,
        handlerStart: starts[defLine]!,
        handlerEnd,
      });
    }
  }
  return out;
}

function scanJs(file: string, text: string): RouteSite[] {
  const starts = lineStarts(text);
  const out: RouteSite[] = [];
  for (const m of text.matchAll(JS_CALL)) {
    if (out.length >= MAX_SITES) break;
    const open = m.index + m[0].indexOf('(');
    if (m.index > 0 && text[m.index - 1] === '.') continue; // part of a chain: handled with .route()
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    const lit = firstStringArgument(text, open + 1, close, 'js');
    if (!lit || text[lit.start] !== '/') continue;
    const line = lineOfOffset(starts, m.index);
    out.push(jsSite(file, m[1]!, m[2]!, text, lit, m.index, close, line));
  }
  for (const m of text.matchAll(JS_ROUTE)) {
    if (out.length >= MAX_SITES) break;
    const open = m.index + m[0].indexOf('(');
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    const lit = firstStringArgument(text, open + 1, close, 'js');
    if (!lit || text[lit.start] !== '/') continue;
    // Follow the chain: .get(h).post(h)...
    let at = close + 1;
    for (;;) {
      const verb = /^\s*\.\s*(get|post|put|patch|delete|head|options|all)\s*\(/.exec(text.slice(at, at + 200));
      if (!verb) break;
      const vOpen = at + verb[0].length - 1;
      const vClose = matchBracket(text, vOpen, 'js');
      if (vClose < 0) break;
      const site = jsSite(file, m[1]!, verb[1]!, text, lit, m.index, vClose, lineOfOffset(starts, m.index));
      site.handlerStart = vOpen - verb[0].length + verb[0].indexOf('.') + 1;
      site.handlerLine = lineOfOffset(starts, vOpen) + 1;
      out.push(site);
      at = vClose + 1;
    }
  }
  return out.sort((a, b) => a.callStart - b.callStart || a.handlerStart - b.handlerStart);
}

function jsSite(file: string, owner: string, verb: string, text: string, lit: { start: number; end: number }, start: number, close: number, line: number): RouteSite {
  const literal = text.slice(lit.start, lit.end);
  return {
    file,
    framework: 'express',
    owner,
    method: verb === 'all' ? '*' : verb.toUpperCase(),
    literal,
    path: routeAlternatives(literal || '/', 'express')[0]!,
    literalStart: lit.start,
    literalEnd: lit.end,
    callStart: start,
    callEnd: close + 1,
    line: line + 1,
    handlerLine: line + 1,
    handlerStart: start,
    handlerEnd: close + 1,
  };
}

/** The first positional argument when it is a plain string literal: offsets of its content. */
export function firstStringArgument(text: string, from: number, to: number, lang: 'python' | 'js'): { start: number; end: number } | undefined {
  let i = from;
  while (i < to && /\s/.test(text[i]!)) i++;
  if (lang === 'python') while (i < to && /[rbuRBU]/.test(text[i]!) && /["']/.test(text[i + 1] ?? '')) i++;
  const q = text[i];
  if (q !== '"' && q !== "'" && !(lang === 'js' && q === '`')) return undefined;
  if (lang === 'python' && text.startsWith(q.repeat(3), i)) return undefined;
  const end = skipString(text, i, lang);
  if (end < 0 || end > to) return undefined;
  const content = text.slice(i + 1, end - 1);
  if (content.includes('\\') || (q === '`' && content.includes('${'))) return undefined;
  return { start: i + 1, end: end - 1 };
}

/** A keyword argument `name="..."` between `from` and `to`: offsets of its content. */
export function keywordString(text: string, from: number, to: number, name: string): { start: number; end: number } | undefined {
  const re = new RegExp(`\\b${name}\\s*=\\s*(["'])`, 'g');
  re.lastIndex = from;
  const m = re.exec(text);
  if (!m || m.index >= to) return undefined;
  const q = m.index + m[0].length - 1;
  const end = skipString(text, q, 'python');
  if (end < 0 || end > to) return undefined;
  return { start: q + 1, end: end - 1 };
}
