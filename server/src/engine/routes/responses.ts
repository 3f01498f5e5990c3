import type { RouteSite } from './sites';
import { indentOf, lineOfOffset, lineStarts, matchBracket, skipString } from './syntax';
import type { RouteTable } from './table';
import { splitTopLevel } from './values';

/**
 * How a handler sets the status of what it answers. A Flask view: its `return` statements (not
 * those of functions nested in it), each with the status it gives (`return body, 201`; none means
 * 200) and the HTTP method it serves when one view handles several (`if request.method ==
 * "POST": ... return ..., 201`). An Express handler: its code, wherever the function is written,
 * and its sends (`res.status(201).json(...)`, `res.json(...)`).
 */

export interface ViewReturn {
  /** Offsets of the statement, from `return` through its last character (comments excluded). */
  start: number;
  end: number;
  /** Offset of the start of the statement's first line (for whole-line edits). */
  lineStart: number;
  /** 1-based line of `return`. */
  line: number;
  /** The status the statement gives; 200 when it gives none. Undefined when it cannot be read. */
  status?: number;
  /** Offsets of the status expression when there is one. */
  statusStart?: number;
  statusEnd?: number;
  /** Methods the return serves; undefined when it serves whatever no method branch claims. */
  methods?: string[];
}

export interface ViewResponses {
  returns: ViewReturn[];
  /** Set when the view sets its status some other way (make_response, Response(status=...), .status_code =). */
  otherWay?: string;
}

const HTTP_STATUS_NAMES: Record<string, number> = { OK: 200, CREATED: 201, ACCEPTED: 202, NON_AUTHORITATIVE_INFORMATION: 203, NO_CONTENT: 204, RESET_CONTENT: 205, PARTIAL_CONTENT: 206 };

export function flaskViewResponses(text: string, site: RouteSite): ViewResponses {
  const starts = lineStarts(text);
  const lines = text.slice(0, site.handlerEnd).split('\n');
  const defLine = site.handlerLine - 1;
  const defIndent = indentOf(lines[defLine] ?? '').length;
  const body = text.slice(site.handlerStart, site.handlerEnd);
  const other = /\bmake_response\s*\(|\bResponse\s*\([^)]*\bstatus\s*=|\.status(?:_code)?\s*=(?!=)/.exec(body);
  const out: ViewResponses = { returns: [], ...(other ? { otherWay: other[0].replace(/\s*\($/, '(') } : {}) };

  // Blocks that branch on the method, and nested functions whose returns are not the view's.
  const branches: Array<{ from: number; to: number; indent: number; methods: string[] }> = [];
  const nested: Array<{ from: number; to: number }> = [];
  const lastLine = lineOfOffset(starts, Math.max(site.handlerStart, site.handlerEnd - 1));
  for (let i = defLine + 1; i <= lastLine; i++) {
    const l = lines[i] ?? '';
    const ind = indentOf(l).length;
    if (/^\s*(async\s+)?def\s|^\s*class\s|^\s*lambda\b/.test(l)) nested.push({ from: i, to: blockEnd(lines, i, lastLine) });
    const cond = /^\s*(?:if|elif)\s+(.*):\s*(#.*)?$/.exec(l);
    if (cond && /\brequest\.method\b/.test(cond[1]!)) {
      const methods = [...cond[1]!.matchAll(/["']([A-Za-z]+)["']/g)].map((m) => m[1]!.toUpperCase());
      const negated = /!=|\bnot\s+in\b/.test(cond[1]!);
      if (methods.length > 0 && !negated) branches.push({ from: i + 1, to: blockEnd(lines, i, lastLine), indent: ind, methods });
    }
  }
  for (let i = defLine + 1; i <= lastLine; i++) {
    const l = lines[i] ?? '';
    const m = /^([ \t]*)return\b/.exec(l);
    if (!m || indentOf(l).length <= defIndent || nested.some((n) => i > n.from && i <= n.to)) continue;
    const start = starts[i]! + m[1]!.length;
    const end = statementEnd(text, start + 'return'.length);
    const ret: ViewReturn = { start, end, lineStart: starts[i]!, line: i + 1 };
    readStatus(text, start + 'return'.length, end, ret);
    const branch = branches.filter((b) => i >= b.from && i <= b.to).sort((a, b) => b.indent - a.indent)[0];
    if (branch) ret.methods = branch.methods;
    out.returns.push(ret);
  }
  return out;
}

/** The returns that serve a method: inside its branch, or outside every branch when it has none. */
export function returnsFor(responses: ViewResponses, method: string): ViewReturn[] {
  const m = method.toUpperCase();
  const own = responses.returns.filter((r) => r.methods?.includes(m));
  if (own.length > 0) return own;
  return responses.returns.filter((r) => r.methods === undefined);
}

/** The number a status expression stands for: `201`, `HTTPStatus.CREATED`, `status.HTTP_201_CREATED`. */
export function statusValue(expr: string): number | undefined {
  const e = expr.trim();
  if (/^\d{3}$/.test(e)) return Number(e);
  const named = /^(?:[\w.]*\.)?HTTP_(\d{3})_\w+$/.exec(e);
  if (named) return Number(named[1]);
  const enumName = /^(?:[\w.]*\.)?HTTPStatus\.([A-Z_]+)$/.exec(e);
  if (enumName) return HTTP_STATUS_NAMES[enumName[1]!];
  return undefined;
}

function readStatus(text: string, from: number, to: number, ret: ViewReturn): void {
  let exprStart = from;
  while (exprStart < to && /\s/.test(text[exprStart]!)) exprStart++;
  let expr = text.slice(exprStart, to);
  let base = exprStart;
  if (expr.startsWith('(') && matchBracket(text, exprStart, 'python') === to - 1 && splitTopLevel(expr.slice(1, -1), ',', 'python').length > 1) {
    base = exprStart + 1;
    expr = expr.slice(1, -1);
  }
  const items = splitTopLevel(expr, ',', 'python');
  if (items.length === 1) {
    ret.status = expr.trim() === '' ? undefined : 200;
    return;
  }
  const second = items[1]!;
  const value = statusValue(second);
  if (value === undefined) return; // `body, headers` or a status held in a variable
  const offset = base + items[0]!.length + 1 + (second.length - second.trimStart().length);
  ret.status = value;
  ret.statusStart = offset;
  ret.statusEnd = offset + second.trim().length;
}

/** Offset where a Python statement that starts before `from` ends: the end of its logical line, comments excluded. */
function statementEnd(text: string, from: number): number {
  let i = from;
  let lastCode = from;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') {
      const close = matchBracket(text, i, 'python');
      if (close < 0) return text.length;
      i = close + 1;
      lastCode = i;
    } else if (c === '"' || c === "'") {
      const end = skipString(text, i, 'python');
      if (end < 0) return text.length;
      i = end;
      lastCode = i;
    } else if (c === '#') {
      return lastCode; // a comment ends the logical line
    } else if (c === '\\' && (text[i + 1] === '\n' || text[i + 1] === '\r')) {
      i = text.indexOf('\n', i) + 1;
    } else if (c === '\n' || c === '\r' || c === ';') return lastCode;
    else {
      i++;
      if (!/\s/.test(c)) lastCode = i;
    }
  }
  return lastCode;
}

function blockEnd(lines: string[], header: number, last: number): number {
  const base = indentOf(lines[header] ?? '').length;
  let end = header;
  for (let j = header + 1; j <= last; j++) {
    const l = lines[j] ?? '';
    if (/^\s*(#.*)?\r?$/.test(l)) continue;
    if (indentOf(l).length <= base) break;
    end = j;
  }
  return end;
}

// ---------------------------------------------------------------- Express

/** The code of a handler: the module it is in and where. */
export interface HandlerCode {
  file: string;
  fileText: string;
  text: string;
  start: number;
}

export interface Send {
  /** Offset in the handler's code. */
  index: number;
  status: number;
  explicit: boolean;
  kind: string;
  /** The status as a named constant (`httpStatus.CREATED`, `StatusCodes.CREATED`), when so written. */
  constant?: string;
}

/** Success statuses by the names status-constant modules give them (http-status, http-status-codes, Node's own lists). */
export const SUCCESS_STATUS_NAMES: Readonly<Record<string, number>> = { OK: 200, CREATED: 201, ACCEPTED: 202, NON_AUTHORITATIVE_INFORMATION: 203, NO_CONTENT: 204, RESET_CONTENT: 205, PARTIAL_CONTENT: 206 };

/** A `res.status(...)` argument: three digits, or a member named like a status constant (`httpStatus.CREATED`, `StatusCodes.BAD_REQUEST`). */
export const EXPRESS_STATUS_ARG = `(\\d{3}|[A-Za-z_$][\\w$]*(?:\\s*\\.\\s*[A-Za-z_$][\\w$]*)*\\s*\\.\\s*[A-Z][A-Z0-9_]+)`;

/** The number a status argument stands for; 0 for a constant that names no success status (an error's, read as not a success). */
export function statusOfArgument(arg: string): number {
  return /^\d{3}$/.test(arg) ? Number(arg) : (SUCCESS_STATUS_NAMES[/([A-Z0-9_]+)$/.exec(arg)![1]!] ?? 0);
}

/** The sends of an Express handler with the status each gives; `otherWay` when the status is set apart from a send. */
export function expressSends(body: string): { sends: Send[]; otherWay?: string } {
  const sends: Send[] = [];
  for (const m of body.matchAll(new RegExp(`\\b(?:res|response|resp)\\s*\\.\\s*(?:status\\s*\\(\\s*${EXPRESS_STATUS_ARG}\\s*\\)\\s*\\.\\s*)?(json|send|end)\\s*\\(`, 'g'))) {
    const arg = m[1];
    sends.push({ index: m.index, status: arg ? statusOfArgument(arg) : 200, explicit: Boolean(arg), kind: m[2]!, ...(arg && !/^\d/.test(arg) ? { constant: arg } : {}) });
  }
  for (const m of body.matchAll(/\b(?:res|response|resp)\s*\.\s*sendStatus\s*\(\s*(\d{3})\s*\)/g)) sends.push({ index: m.index, status: Number(m[1]), explicit: true, kind: 'sendStatus' });
  const apart = new RegExp(`\\b(?:res|response|resp)\\s*\\.\\s*status\\s*\\(\\s*[^)]*\\)\\s*;|\\b(?:res|response|resp)\\s*\\.\\s*statusCode\\s*=|\\b(?:res|response|resp)\\s*\\.\\s*status\\s*\\((?!\\s*${EXPRESS_STATUS_ARG}\\s*\\)\\s*\\.\\s*(?:json|send|end)\\s*\\()\\s*[^\\d\\s)][^)]*\\)`).exec(body);
  return { sends, ...(apart ? { otherWay: apart[0].replace(/\s+/g, ' ').trim() } : {}) };
}

/**
 * The code of an Express handler: the functions written inline in the route call, else the named
 * function it passes (`router.post('/', createOrder)`, `router.post('/', orders.create)`), found in
 * the module or in the one it is imported from.
 */
export function expressHandlerCode(table: RouteTable, site: RouteSite): HandlerCode | { error: string } {
  const text = table.texts.get(site.file) ?? '';
  const call = text.slice(site.handlerStart, site.handlerEnd);
  if (/=>|\bfunction\b/.test(call.slice(call.indexOf('(')))) return { file: site.file, fileText: text, text: call, start: site.handlerStart };
  const open = site.handlerStart + call.indexOf('(');
  const close = matchBracket(text, open, 'js');
  const args = close > open ? text.slice(open + 1, close).split(',').map((a) => a.trim()) : [];
  const last = args[args.length - 1] ?? '';
  const ref = /^([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?$/.exec(last);
  if (!ref) return { error: `the handler of the route at ${site.file}:${site.line} is not a function that can be found` };
  const mod = table.modules.find((m) => m.file === site.file);
  const lookIn: Array<{ file: string; name: string }> = [];
  if (!ref[2]) lookIn.push({ file: site.file, name: ref[1]! });
  const binding = mod && [...mod.imports, ...mod.innerImports].find((b) => b.local === ref[1]);
  if (binding) {
    for (const f of table.ws.moduleFiles(site.file, binding.module)) lookIn.push({ file: f, name: ref[2] ?? (binding.imported === 'default' || binding.imported === '*module*' ? ref[1]! : binding.imported) });
  }
  for (const { file, name } of lookIn) {
    const fileText = table.texts.get(file);
    const found = fileText === undefined ? undefined : functionNamed(fileText, name);
    if (found) return { file, fileText: fileText!, text: fileText!.slice(found.start, found.end), start: found.start };
  }
  // `const { teamController } = require('../controllers')` where the index re-exports
  // `module.exports.teamController = require('./team.controller')`: the function is in that module.
  if (binding && ref[2]) {
    const member = binding.imported === 'default' || binding.imported === '*module*' ? undefined : binding.imported;
    for (const f of table.ws.moduleFiles(site.file, binding.module)) {
      const index = table.texts.get(f);
      const key = (member ?? '').replace(/[$]/g, '\\$');
      const re = member ? new RegExp(`(?:\\bexports\\.${key}\\s*=|\\b${key}\\s*:)\\s*require\\(\\s*(["'])([^"']+)\\1\\s*\\)`) : undefined;
      const m = index && re ? re.exec(index) : null;
      if (!m) continue;
      for (const target of table.ws.moduleFiles(f, m[2]!)) {
        const fileText = table.texts.get(target);
        const found = fileText === undefined ? undefined : functionNamed(fileText, ref[2]);
        if (found) return { file: target, fileText: fileText!, text: fileText!.slice(found.start, found.end), start: found.start };
      }
    }
  }
  return { error: `the handler \`${last}\` of the route at ${site.file}:${site.line} is not defined in a module of the workspace` };
}

/** A named function's extent: `function name(`, `name = (req, res) => {`, `exports.name = ...`, a method `name(req, res) {`. */
function functionNamed(text: string, name: string): { start: number; end: number } | undefined {
  const n = name.replace(/[$]/g, '\\$');
  const patterns = [
    new RegExp(`\\b(?:async\\s+)?function\\s*\\*?\\s*${n}\\s*\\(`, 'g'),
    // `const getUser = catchAsync(async (req, res) => {...})`: a handler wrapped by a helper.
    new RegExp(`(?:\\b(?:const|let|var)\\s+|\\bexports\\.|\\bmodule\\.exports\\.)${n}\\s*=\\s*(?:[A-Za-z_$][\\w$.]*\\s*\\(\\s*)?(?:async\\s+)?(?:function\\b[^(]*)?\\(`, 'g'),
    new RegExp(`(?:^|[,{]\\s*)(?:async\\s+)?${n}\\s*(?::\\s*(?:async\\s+)?(?:function\\b[^(]*)?)?\\(`, 'gm'),
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const brace = text.indexOf('{', m.index + m[0].length);
      if (brace < 0) continue;
      const close = matchBracket(text, brace, 'js');
      if (close > 0) return { start: m.index, end: close + 1 };
    }
  }
  return undefined;
}
