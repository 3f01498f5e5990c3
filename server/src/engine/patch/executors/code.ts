import * as path from 'node:path';
import { PatchError, type Executor, type ExecutorContext } from '../../contracts';
import { findHandler, scanModule, scanRoutes, type RouteSite } from '../../routes';
import { EXPRESS_STATUS_ARG, statusOfArgument, SUCCESS_STATUS_NAMES } from '../../routes/responses';
import { detectEol, indentOf, languageOf, lineOfOffset, lineStarts, lineTextAt, matchBracket } from '../../routes/syntax';

/**
 * Executors for operations that edit source code: include a router, set a status code, rewrite a
 * route path, replace an exact snippet. Each touches only the bytes it is about; line endings,
 * indentation and quote style follow the file. The operation index is not known here: errors carry
 * 0 and the patch generator that runs the plan puts the real index in.
 */

const fail = (ctx: ExecutorContext, message: string, offset?: number): never => {
  throw new PatchError(message, ctx.file, 0, offset === undefined ? undefined : lineOfOffset(lineStarts(ctx.text), offset) + 1);
};

const insertAt = (text: string, at: number, piece: string) => text.slice(0, at) + piece + text.slice(at);

/** Offset of the end of the line containing `offset` (before its line ending). */
function endOfLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl < 0) return text.length;
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}

function startOfLine(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function requireExisting(ctx: ExecutorContext): void {
  if (!ctx.exists) fail(ctx, `${ctx.file} does not exist`);
}

function quoteOf(text: string, fallback: '"' | "'"): '"' | "'" {
  const d = (text.match(/"[^"\n]*"/g) ?? []).length;
  const s = (text.match(/'[^'\n]*'/g) ?? []).length;
  return d === s ? fallback : d > s ? '"' : "'";
}

// ---------------------------------------------------------------- include_router

export const includeRouter: Executor<'include_router'> = (op, ctx) => {
  requireExisting(ctx);
  const d = op.details;
  return d.framework === 'express' ? includeExpress(op.details, ctx) : includePython(op.details, ctx);
};

function includePython(d: { framework: string; module: string; router: string; mountPath?: string }, ctx: ExecutorContext): string {
  let text = ctx.text;
  const eol = detectEol(text);
  const facts = scanModule(ctx.file, text);
  const app = facts.apps.find((a) => a.framework === d.framework) ?? facts.apps[0];
  if (!app) fail(ctx, `${ctx.file} creates no ${d.framework === 'flask' ? 'Flask(...)' : 'FastAPI()'} app to include ${d.module} in`);
  const call = d.framework === 'flask' ? 'register_blueprint' : 'include_router';
  const dot = d.module.lastIndexOf('.');
  const parent = dot > 0 ? d.module.slice(0, dot) : '';
  const name = d.module.slice(dot + 1);
  if (!/^[A-Za-z_]\w*$/.test(name) || !/^[A-Za-z_]\w*$/.test(d.router) || !/^[\w.]*$/.test(parent)) fail(ctx, `"${d.module}" / "${d.router}" are not Python names`);
  // Already included?
  const refs = new Set<string>();
  for (const b of facts.imports) {
    if (b.module === parent && b.imported === name) refs.add(`${b.local}.${d.router}`);
    if (b.module === d.module && b.imported === d.router) refs.add(b.local);
    if (b.imported === '*module*' && b.module === d.module) refs.add(`${b.local}.${d.router}`);
  }
  const already = facts.inclusions.find((i) => refs.has(i.argument));
  if (already) fail(ctx, `${d.module}.${d.router} is already included at ${ctx.file}:${already.line}`);

  let ref = [...refs][0];
  const lastInclusion = [...facts.inclusions].reverse().find((i) => i.owner === app!.name && /include_router|register_blueprint/.test(text.slice(i.start, i.end)));
  // 1. The include line, inserted first (it comes after the imports, so their offsets stay valid).
  const q = quoteOf(lastInclusion ? text.slice(lastInclusion.start, lastInclusion.end) : text, '"');
  const prefixKw = d.framework === 'flask' ? 'url_prefix' : 'prefix';
  const refExpr = ref ?? (parent ? `${name}.${d.router}` : `${name}.${d.router}`);
  const line = `${app!.name}.${call}(${refExpr}${d.mountPath ? `, ${prefixKw}=${q}${d.mountPath}${q}` : ''})`;
  if (lastInclusion) {
    const at = endOfLine(text, lastInclusion.end);
    text = insertAt(text, at, eol + indentOf(lineTextAt(text, lineStarts(text), lineOfOffset(lineStarts(text), lastInclusion.start))) + line);
  } else {
    const at = endOfLine(text, app!.end);
    text = insertAt(text, at, eol + eol + line);
  }
  if (ref) return text;
  // 2. The import: into an existing `from parent import ...`, else a new line after the last import.
  const fromStmt = parent ? facts.imports.find((b) => b.module === parent && b.imported !== '*module*') : undefined;
  if (fromStmt) {
    const stmt = text.slice(fromStmt.start, fromStmt.end);
    const head = /^from[ \t]+[\w.]+[ \t]+import[ \t]+/.exec(stmt)!;
    const body = stmt.slice(head[0].length);
    if (body.startsWith('(')) {
      return addToParenthesised(text, fromStmt.start + head[0].length, body, name, eol);
    }
    const trimmed = body.replace(/[ \t]*(#.*)?$/, '');
    const names = trimmed.split(',').map((s) => s.trim());
    const plain = names.map((n) => n.split(/\s+as\s+/)[0]!);
    const sorted = plain.every((n, i) => i === 0 || plain[i - 1]!.localeCompare(n) <= 0);
    const idx = sorted ? plain.findIndex((n) => n.localeCompare(name) > 0) : -1;
    const next = [...names];
    next.splice(idx < 0 ? names.length : idx, 0, name);
    const start = fromStmt.start + head[0].length;
    return text.slice(0, start) + next.join(', ') + text.slice(start + trimmed.length);
  }
  const importLine = parent ? `from ${parent} import ${name}` : `import ${name}`;
  const lastImport = [...facts.imports].sort((a, b) => a.end - b.end).pop();
  if (lastImport) return insertAt(text, endOfLine(text, lastImport.end), eol + importLine);
  return importLine + eol + text;
}

function addToParenthesised(text: string, open: number, body: string, name: string, eol: string): string {
  const close = open + body.indexOf(')');
  const inner = text.slice(open + 1, close);
  if (!inner.includes('\n')) {
    const items = inner.split(',').map((s) => s.trim()).filter(Boolean);
    const trailing = /,\s*$/.test(inner);
    items.push(name);
    return text.slice(0, open + 1) + items.join(', ') + (trailing ? ',' : '') + text.slice(close);
  }
  // One name per line: insert a line in sorted position with the same indentation.
  const lines = inner.split('\n');
  const nameLines = lines.map((l, i) => ({ l, i, n: /^\s*([A-Za-z_]\w*)/.exec(l)?.[1] })).filter((x) => x.n);
  const indent = nameLines[0] ? indentOf(nameLines[0].l) : '    ';
  const sorted = nameLines.every((x, i) => i === 0 || nameLines[i - 1]!.n!.localeCompare(x.n!) <= 0);
  const before = sorted ? nameLines.find((x) => x.n!.localeCompare(name) > 0) : undefined;
  let offset = open + 1;
  const target = before?.i ?? (nameLines.length > 0 ? nameLines[nameLines.length - 1]!.i + 1 : lines.length - 1);
  if (!before && nameLines.length > 0 && !/,\s*(#.*)?\r?$/.test(nameLines[nameLines.length - 1]!.l)) {
    // The last name has no trailing comma: add one.
    const last = nameLines[nameLines.length - 1]!;
    let o = open + 1;
    for (let i = 0; i < last.i; i++) o += lines[i]!.length + 1;
    const at = o + last.l.replace(/\r$/, '').replace(/\s*(#.*)?$/, '').length;
    text = insertAt(text, at, ',');
    return addToParenthesised(text, open, text.slice(open), name, eol);
  }
  for (let i = 0; i < target; i++) offset += lines[i]!.length + 1;
  return insertAt(text, offset, `${indent}${name},${eol === '\r\n' ? '\r' : ''}\n`);
}

function includeExpress(d: { module: string; router: string; mountPath?: string }, ctx: ExecutorContext): string {
  let text = ctx.text;
  const eol = detectEol(text);
  const facts = scanModule(ctx.file, text);
  const app = facts.apps.find((a) => a.framework === 'express');
  if (!app) fail(ctx, `${ctx.file} creates no express() app to mount ${d.module} on`);
  if (!/^\.{1,2}\/[\w./-]+$/.test(d.module)) fail(ctx, `"${d.module}" is not a relative module path`);
  if (d.mountPath !== undefined && !/^\/[\w\-./:{}]*$/.test(d.mountPath)) fail(ctx, `"${d.mountPath}" is not a mount path`);
  const strip = (s: string) => s.replace(/\.(m|c)?(j|t)s$/, '').replace(/\/index$/, '');
  const sameModule = (m: string) => strip(m) === strip(d.module);
  const wanted = d.router === 'default' ? 'default' : d.router;
  const binding = facts.imports.find((b) => sameModule(b.module) && b.imported === wanted);
  if (binding) {
    const used = facts.inclusions.find((i) => i.argument === binding.local);
    if (used) fail(ctx, `${d.module} is already mounted at ${ctx.file}:${used.line}`);
  }
  const inline = facts.inclusions.find((i) => /^require\(/.test(i.argument) && sameModule(/["']([^"']+)["']/.exec(i.argument)?.[1] ?? ''));
  if (inline) fail(ctx, `${d.module} is already mounted at ${ctx.file}:${inline.line}`);

  const base = path.posix.basename(strip(d.module)).replace(/[^A-Za-z0-9_$]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
  const requires = facts.imports.filter((b) => b.module.startsWith('.'));
  const routerStyle = requires.some((b) => /Router$/.test(b.local));
  let local = binding?.local ?? (routerStyle ? `${base}Router` : base);
  if (!binding && facts.imports.some((b) => b.local === local)) local = `${local}Router`;
  const q = quoteOf(requires.map((b) => text.slice(b.start, b.end)).join('\n') || text, "'");
  const semi = /;\s*$/.test(lineTextAt(text, lineStarts(text), app!.line - 1)) ? ';' : '';
  // 1. The mount, after the last `app.use('/…', …)`, else after the app's creation.
  const mounts = facts.inclusions.filter((i) => i.owner === app!.name && i.mountPath);
  const anchor = mounts[mounts.length - 1];
  const useLine = `${app!.name}.use(${q}${d.mountPath ?? '/'}${q}, ${local})${semi}`;
  const middleware = anchor ? undefined : lastMiddlewareBeforeCatchAll(text, app!.name, app!.end);
  if (anchor) {
    const starts = lineStarts(text);
    text = insertAt(text, endOfLine(text, anchor.end), eol + indentOf(lineTextAt(text, starts, anchor.line - 1)) + useLine);
  } else if (middleware !== undefined) {
    // After the app's middleware (body parsers, loggers), before its not-found and error handlers:
    // a router mounted ahead of `express.json()` gets no body, one behind a catch-all is never reached.
    text = insertAt(text, middleware.end, eol + middleware.indent + useLine);
  } else {
    const starts = lineStarts(text);
    text = insertAt(text, endOfLine(text, app!.end), eol + indentOf(lineTextAt(text, starts, app!.line - 1)) + useLine);
  }
  if (binding) return text;
  // 2. The require (or import), after the other route modules' requires.
  const esm = /^import\s/m.test(text) && !/\brequire\(/.test(text);
  // Node's ES module loader needs the file's extension on a relative import.
  const esmSpec = esm && /\.m?js$/.test(ctx.file) && !/\.[cm]?[jt]sx?$/.test(d.module) ? `${d.module}${ctx.file.endsWith('.mjs') ? '.mjs' : '.js'}` : d.module;
  const decl = esm
    ? d.router === 'default'
      ? `import ${local} from ${q}${esmSpec}${q}${semi}`
      : `import { ${d.router === local ? local : `${d.router} as ${local}`} } from ${q}${esmSpec}${q}${semi}`
    : d.router === 'default'
      ? `const ${local} = require(${q}${d.module}${q})${semi}`
      : `const { ${d.router === local ? local : `${d.router}: ${local}`} } = require(${q}${d.module}${q})${semi}`;
  const dir = path.posix.dirname(d.module);
  const siblings = requires.filter((b) => path.posix.dirname(b.module) === dir);
  const after = (siblings.length > 0 ? siblings : facts.imports).reduce<number>((m, b) => Math.max(m, b.end), -1);
  if (after >= 0) return insertAt(text, endOfLine(text, after), eol + decl);
  const strict = /^(['"])use strict\1;?[ \t]*\r?\n/.exec(text);
  return strict ? insertAt(text, strict[0].length, eol + decl + eol) : decl + eol + text;
}

/**
 * The end of the last `app.use(...)` statement that mounts middleware (no inline handler) before
 * the first `app.use` of an inline function (a not-found or error handler), after the app is made.
 */
function lastMiddlewareBeforeCatchAll(text: string, app: string, after: number): { end: number; indent: string } | undefined {
  const re = new RegExp(`^([ \\t]*)${app.replace(/[$]/g, '\\$')}\\.use\\(\\s*(.)`, 'gm');
  let last: { end: number; indent: string } | undefined;
  for (const m of text.matchAll(re)) {
    if (m.index! < after) continue;
    const rest = text.slice(m.index! + m[0].length - 1, m.index! + m[0].length + 40);
    // An inline handler: `(req, res) =>`, `function (err, ...)`, `async (req, res) =>`.
    if (/^(?:\(|function\b|async\b)/.test(rest)) break;
    const close = matchBracket(text, m.index! + m[0].indexOf('.use(') + 4, 'js');
    if (close < 0) break;
    let end = close + 1;
    while (end < text.length && (text[end] === ';' || text[end] === ' ' || text[end] === '\t')) end++;
    last = { end, indent: m[1]! };
  }
  return last;
}

// ---------------------------------------------------------------- set_status_code

const PY_STATUS_NAMES: Record<number, string> = { 200: 'HTTP_200_OK', 201: 'HTTP_201_CREATED', 202: 'HTTP_202_ACCEPTED', 203: 'HTTP_203_NON_AUTHORITATIVE_INFORMATION', 204: 'HTTP_204_NO_CONTENT', 205: 'HTTP_205_RESET_CONTENT', 206: 'HTTP_206_PARTIAL_CONTENT' };

function siteAt(ctx: ExecutorContext, method: string, line: number | undefined, routePath: string): RouteSite {
  const facts = scanModule(ctx.file, ctx.text);
  const m = method.toUpperCase();
  const match = (s: RouteSite) => s.method === m || s.method === '*';
  if (line !== undefined) {
    // The innermost declaration whose decorator/call or handler spans the line.
    const starts = lineStarts(ctx.text);
    const inner = facts.sites.filter((s) => match(s) && line >= s.line && line <= lineOfOffset(starts, Math.max(s.handlerEnd - 1, s.callStart)) + 1);
    const best = inner.sort((a, b) => b.line - a.line)[0];
    if (best) return best;
    fail(ctx, `no ${m} route is declared at or around ${ctx.file}:${line}`);
  }
  const decl = findHandler(scanRoutes(ctx.file, ctx.text), m, routePath);
  const site = decl && facts.sites.find((s) => match(s) && (s.handlerLine === decl.location.line || s.line === decl.location.line));
  if (!site) return fail(ctx, `no ${m} ${routePath} route is declared in ${ctx.file}`);
  return site;
}

export const setStatusCode: Executor<'set_status_code'> = (op, ctx) => {
  requireExisting(ctx);
  const { from, to, method, line, path: routePath } = op.details;
  const text = ctx.text;
  const lang = languageOf(ctx.file);
  if (lang === 'python') {
    const site = siteAt(ctx, method, line, routePath);
    const deco = text.slice(site.callStart, site.callEnd);
    const num = /\bstatus_code(\s*=\s*)(\d{3})\b/.exec(deco);
    if (num) {
      if (Number(num[2]) !== from) fail(ctx, `the decorator declares status_code=${num[2]}, not ${from}`, site.callStart);
      const at = site.callStart + num.index + 'status_code'.length + num[1]!.length;
      return text.slice(0, at) + String(to) + text.slice(at + 3);
    }
    const named = /\bstatus_code\s*=\s*((?:[\w.]*\.)?)(HTTP_(\d{3})_\w+)/.exec(deco);
    if (named) {
      if (Number(named[3]) !== from) fail(ctx, `the decorator declares ${named[2]}, not ${from}`, site.callStart);
      const name = PY_STATUS_NAMES[to] ?? fail(ctx, `no status constant is known for ${to}; write the number`);
      const at = site.callStart + named.index + named[0].length - named[2]!.length;
      return text.slice(0, at) + name + text.slice(at + named[2]!.length);
    }
    if (/\bstatus_code\s*=/.test(deco)) fail(ctx, `the decorator's status_code is not a number or a status constant`, site.callStart);
    if (from !== 200) fail(ctx, `the decorator declares no status (200 applies), not ${from}`, site.callStart);
    return addKeyword(text, site.callEnd - 1, `status_code=${to}`);
  }
  // Express: the line names the send to change; else the one success send of the handler.
  const starts = lineStarts(text);
  const sendRe = new RegExp(`\\b(res|response|resp)\\s*\\.\\s*(?:status\\s*\\(\\s*${EXPRESS_STATUS_ARG}\\s*\\)\\s*\\.\\s*)?(json|send|end)\\s*\\(`, 'g');
  const pick = (from_: number, to_: number) =>
    [...text.slice(from_, to_).matchAll(sendRe)].map((m) => ({ m, at: from_ + m.index })).filter(({ m }) => (m[2] ? statusOfArgument(m[2]) : 200) === from);
  let cands = line !== undefined && line >= 1 && line <= starts.length ? pick(starts[line - 1]!, starts[line] ?? text.length) : [];
  if (cands.length === 0) {
    const site = siteAt(ctx, method, line, routePath);
    cands = pick(site.handlerStart, site.handlerEnd);
  }
  if (cands.length !== 1) fail(ctx, `expected exactly one response with status ${from} to change, found ${cands.length}`, line !== undefined ? starts[line - 1] : undefined);
  const { m, at } = cands[0]!;
  if (m[2]) {
    const argAt = at + m[0].indexOf(m[2], m[0].indexOf('status'));
    if (/^\d/.test(m[2])) return text.slice(0, argAt) + String(to) + text.slice(argAt + 3);
    // A named constant keeps its module: `httpStatus.OK` → `httpStatus.CREATED`.
    const name = Object.entries(SUCCESS_STATUS_NAMES).find(([, code]) => code === to)?.[0] ?? fail(ctx, `no status name is known for ${to}; write the number`);
    const old = /[A-Z0-9_]+$/.exec(m[2])![0];
    const nameAt = argAt + m[2].length - old.length;
    return text.slice(0, nameAt) + name + text.slice(nameAt + old.length);
  }
  const dotAt = at + m[0].indexOf('.') + 1;
  const spaced = /\.\s+$/.test(m[0].slice(0, m[0].indexOf(m[3]!)));
  return insertAt(text, dotAt + (spaced ? m[0].slice(m[0].indexOf('.') + 1).search(/\S/) : 0), `status(${to}).`);
}

/** Add `kw` as the last argument of the call whose closing parenthesis is at `close`, in the call's layout. */
function addKeyword(text: string, close: number, kw: string): string {
  let i = close - 1;
  while (i >= 0 && /\s/.test(text[i]!)) i--;
  const lastChar = text[i];
  const multiline = text.slice(i + 1, close).includes('\n');
  if (lastChar === ',' && multiline) {
    // One argument per line with a trailing comma: a new line with the arguments' indentation.
    const argLine = lineTextAt(text, lineStarts(text), lineOfOffset(lineStarts(text), i));
    const lineStart = startOfLine(text, close);
    const eol = detectEol(text);
    return insertAt(text, lineStart, `${indentOf(argLine)}${kw},${eol === '\r\n' ? '\r' : ''}\n`);
  }
  if (lastChar === ',') return insertAt(text, i + 1, ` ${kw}`);
  if (lastChar === '(') return insertAt(text, i + 1, kw);
  return insertAt(text, i + 1, `, ${kw}`);
}

// ---------------------------------------------------------------- update_route

export const updateRoute: Executor<'update_route'> = (op, ctx) => {
  requireExisting(ctx);
  const { method, from, to, line, target } = op.details;
  if (!/^\/[^\s"'`\\]*$/.test(to)) fail(ctx, `"${to}" is not a route path (it starts with "/" and holds no quotes, spaces or backslashes)`);
  if (target === 'mount') return updateMountPath(ctx, from, to, line);
  const sites = scanModule(ctx.file, ctx.text).sites.filter((s) => (s.method === method.toUpperCase() || s.method === '*') && s.literal === from);
  const atLine = line === undefined ? sites : sites.filter((s) => s.line === line || s.handlerLine === line);
  const chosen = atLine.length === 1 ? atLine : line === undefined ? sites : [];
  if (chosen.length !== 1) {
    fail(ctx, line !== undefined && atLine.length === 0 ? `no ${method} route "${from}" is declared at ${ctx.file}:${line}` : `${method} "${from}" is declared ${sites.length} times in ${ctx.file}; expected exactly once`);
  }
  const s = chosen[0]!;
  return ctx.text.slice(0, s.literalStart) + to + ctx.text.slice(s.literalEnd);
};

/** Rewrite a mount path or router prefix written as a plain string: exactly one such literal `from` at `line`. */
function updateMountPath(ctx: ExecutorContext, from: string, to: string, line: number | undefined): string {
  const facts = scanModule(ctx.file, ctx.text);
  const spans = new Map<number, number>();
  for (const r of facts.routers) if (r.prefixSpan && r.prefix === from && (line === undefined || r.line === line)) spans.set(r.prefixSpan.start, r.prefixSpan.end);
  for (const i of facts.inclusions) if (i.mountSpan && i.mountPath === from && (line === undefined || i.line === line)) spans.set(i.mountSpan.start, i.mountSpan.end);
  if (spans.size !== 1) {
    fail(ctx, spans.size === 0 ? `no mount path or router prefix "${from}" is written${line !== undefined ? ` at ${ctx.file}:${line}` : ` in ${ctx.file}`}` : `the mount path "${from}" is written ${spans.size} times${line !== undefined ? ` at ${ctx.file}:${line}` : ` in ${ctx.file}`}; expected exactly once`);
  }
  const [start, end] = [...spans][0]!;
  return ctx.text.slice(0, start) + to + ctx.text.slice(end);
}

// ---------------------------------------------------------------- replace_pattern, modify_code

function occurrences(text: string, find: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(find); i !== -1 && out.length < 1000; i = text.indexOf(find, i + 1)) out.push(i);
  return out;
}

/**
 * Replace the one occurrence of `find`. A snippet written with \n line endings matches a CRLF file
 * too; the replacement then gets CRLF. Any other count is an error that says how many there were.
 */
export function replaceExactlyOnce(ctx: ExecutorContext, find: string, replace: string): string {
  requireExisting(ctx);
  if (find.length === 0) fail(ctx, 'the text to find is empty');
  let hits = occurrences(ctx.text, find);
  let f = find;
  let r = replace;
  if (hits.length === 0 && find.includes('\n') && !find.includes('\r') && ctx.text.includes('\r\n')) {
    f = find.replace(/\n/g, '\r\n');
    r = replace.replace(/\r?\n/g, '\r\n');
    hits = occurrences(ctx.text, f);
  }
  if (hits.length !== 1) {
    fail(ctx, `the text to find occurs ${hits.length === 0 ? 'nowhere' : `${hits.length}${hits.length >= 1000 ? '+' : ''} times`} in ${ctx.file} (it must occur exactly once): ${JSON.stringify(find.length > 80 ? `${find.slice(0, 77)}...` : find)}`, hits[1]);
  }
  return ctx.text.slice(0, hits[0]) + r + ctx.text.slice(hits[0]! + f.length);
}

export const replacePattern: Executor<'replace_pattern'> = (op, ctx) => replaceExactlyOnce(ctx, op.details.find, op.details.replace);

export const modifyCode: Executor<'modify_code'> = (op, ctx) => replaceExactlyOnce(ctx, op.details.find, op.details.replace);
