/**
 * Routing faults: a router / blueprint inclusion or an `app.use(...)` line removed (`remove-mount`),
 * a success status changed (`status-code`), a literal route segment changed (`route-path`).
 */
import { edit, wholeLines, type AppSources, type Edit, type Fault } from '../faults';
import { functionAt, lineEnd, matchClose, pythonStatements, ROUTE_METHODS, stringAt, type SourceFile } from '../source';
import { makeFault } from './common';

/** Top-level comma-separated arguments of a call whose parentheses are at `open`..`close` (masked text). */
function callArgs(src: SourceFile, open: number, close: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < close; i++) {
    const c = src.masked[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(src.text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = src.text.slice(start, close).trim();
  if (last) out.push(last);
  return out;
}

/**
 * Whether the last argument of a `use` names a router: a member of a loop variable (a list of
 * `{ path, route }`), a `Router()` made in this file, or a binding imported from a workspace module
 * that makes one. Error handlers and other middleware imported from the workspace are not routers.
 */
function isRouterName(app: AppSources, src: SourceFile, arg: string): boolean {
  if (arg.includes('.')) return !/^(express|app)\./.test(arg);
  const made = new RegExp(`\\b(?:const|let|var)\\s+${arg.replace(/\$/g, '\\$')}\\s*=\\s*(?:express\\s*\\.\\s*)?Router\\s*\\(`);
  if (made.test(src.text)) return true;
  const bound = new RegExp(`(?:\\b(?:const|let|var)\\s+(?:\\{[^}]*\\b${arg}\\b[^}]*\\}|${arg})\\s*=\\s*require\\(\\s*|^import\\s+(?:${arg}\\b|\\{[^}]*\\b${arg}\\b[^}]*\\})[^'"\\n]*from\\s*)(['"])(\\.[^'"]+)\\1`, 'm').exec(src.text);
  if (!bound) return true; // bound some other way (a parameter, a loop): taken to be a router, as before
  const base = `${src.file.includes('/') ? src.file.slice(0, src.file.lastIndexOf('/') + 1) : ''}${bound[2]}`;
  const parts: string[] = [];
  for (const seg of base.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  const target = parts.join('/');
  const file = app.sources.find((f) => [target, `${target}.js`, `${target}.mjs`, `${target}.cjs`, `${target}/index.js`].includes(f.file));
  return !file || /\bRouter\s*\(/.test(file.text);
}

export function removeMountFaults(app: AppSources): Fault[] {
  const out: Fault[] = [];
  for (const src of app.sources) {
    if (src.lang === 'python') {
      for (const s of pythonStatements(src)) {
        const m = /^\s*([\w.]+)\.(include_router|register_blueprint)\s*\(/.exec(s.masked);
        if (!m) continue;
        const [a, z] = wholeLines(src.text, s.start, s.end);
        const e = edit(src, a, z, '');
        out.push(
          makeFault(app, {
            kind: 'remove-mount',
            variant: m[2]!,
            file: src.file,
            line: e.line,
            summary: `remove \`${src.text.slice(s.start, s.end).trim().replace(/\s+/g, ' ')}\``,
            edits: [e],
            ruleFixable: true,
          }),
        );
      }
      continue;
    }
    for (const m of src.masked.matchAll(/^[ \t]*([\w$]+)\s*\.\s*use\s*\(/gm)) {
      const open = m.index! + m[0].length - 1;
      const close = matchClose(src.masked, open);
      if (close < 0) continue;
      const end = lineEnd(src.masked, close);
      if (!/^\s*;?\s*$/.test(src.masked.slice(close + 1, end))) continue;
      const args = callArgs(src, open, close);
      const mount = args.length > 0 && /^[\w$]+(\.[\w$]+)*$/.test(args[args.length - 1]!) && isRouterName(app, src, args[args.length - 1]!);
      const [a, z] = wholeLines(src.text, m.index!, end);
      const e = edit(src, a, z, '');
      const shown = src.text.slice(m.index!, close + 1).trim().replace(/\s+/g, ' ');
      out.push(
        makeFault(app, {
          kind: 'remove-mount',
          variant: mount ? 'use-router' : 'use-middleware',
          file: src.file,
          line: e.line,
          summary: `remove \`${shown.length > 90 ? `${shown.slice(0, 87)}...` : shown}\``,
          edits: [e],
          ruleFixable: mount,
          ...(mount ? {} : { note: 'middleware, not a router: no rule restores a removed middleware' }),
        }),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- status codes

const nonDefaultSuccess = (code: string) => /^2\d\d$/.test(code) && code !== '200';

export function statusCodeFaults(app: AppSources): Fault[] {
  const out: Fault[] = [];
  const add = (src: SourceFile, variant: string, e: Edit, summary: string) =>
    out.push(makeFault(app, { kind: 'status-code', variant, file: src.file, line: e.line, summary, edits: [e], ruleFixable: true }));
  for (const src of app.sources) {
    const t = src.masked;
    if (src.lang === 'python') {
      // status_code=201 (a route decorator, a response class) → 200.
      for (const m of t.matchAll(/\bstatus_code\s*=\s*(\d{3})\b/g)) {
        if (!nonDefaultSuccess(m[1]!)) continue;
        const at = m.index! + m[0].length - 3;
        add(src, 'status_code=', edit(src, at, at + 3, '200'), `status_code=${m[1]} → status_code=200`);
      }
      for (const m of t.matchAll(/\bstatus_code\s*=\s*(?:status\.)?HTTP_(\d{3})_\w+/g)) {
        if (!nonDefaultSuccess(m[1]!)) continue;
        const at = m.index! + m[0].indexOf('HTTP_');
        add(src, 'status_code=HTTP_', edit(src, at, m.index! + m[0].length, 'HTTP_200_OK'), `${m[0].split('=')[1]!.trim()} → HTTP_200_OK`);
      }
      // return body, 201 (Flask) → return body.
      for (const s of pythonStatements(src)) {
        if (!/^\s*return\s/.test(s.masked) || !functionAt(src, s.start)) continue;
        let depth = 0;
        const commas: number[] = [];
        for (let i = s.start; i < s.end; i++) {
          const c = t[i]!;
          if ('([{'.includes(c)) depth++;
          else if (')]}'.includes(c)) depth--;
          else if (c === ',' && depth === 0) commas.push(i);
        }
        if (commas.length !== 1) continue;
        const tail = /^\s*(\d{3})\s*$/.exec(t.slice(commas[0]! + 1, s.end));
        if (!tail || !nonDefaultSuccess(tail[1]!)) continue;
        const end = commas[0]! + 1 + tail[0].trimEnd().length;
        add(src, 'return-tuple', edit(src, commas[0]!, end, ''), `\`${src.text.slice(s.start, s.end).trim()}\` → without the status (200)`);
      }
      continue;
    }
    // res.status(201).json(x) → res.json(x); res.sendStatus(201) → res.sendStatus(200).
    for (const m of t.matchAll(/\.\s*status\s*\(\s*(\d{3})\s*\)(?=\s*\.)/g)) {
      if (!nonDefaultSuccess(m[1]!)) continue;
      add(src, 'res.status', edit(src, m.index!, m.index! + m[0].length, ''), `\`${m[0]}\` removed (200)`);
    }
    // res.status(httpStatus.CREATED) → res.status(httpStatus.OK): a status constant module.
    for (const m of t.matchAll(/\.\s*status\s*\(\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\.(CREATED|ACCEPTED|NO_CONTENT)\s*\)(?=\s*\.)/g)) {
      const at = m.index! + m[0].lastIndexOf(m[2]!);
      add(src, 'res.status-constant', edit(src, at, at + m[2]!.length, 'OK'), `\`${m[1]}.${m[2]}\` → \`${m[1]}.OK\``);
    }
    for (const m of t.matchAll(/\.\s*sendStatus\s*\(\s*(\d{3})\s*\)/g)) {
      if (!nonDefaultSuccess(m[1]!)) continue;
      const at = m.index! + m[0].indexOf(m[1]!);
      add(src, 'sendStatus', edit(src, at, at + 3, '200'), `sendStatus(${m[1]}) → sendStatus(200)`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- route paths

/** A small, plausible change to a literal segment: singular ↔ plural. */
export function mutateSegment(seg: string): string {
  if (/ies$/.test(seg) && seg.length > 4) return `${seg.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh|o)es$/.test(seg)) return seg.slice(0, -2);
  if (/[^s]s$/.test(seg)) return seg.slice(0, -1);
  if (/y$/.test(seg) && !/[aeiou]y$/.test(seg)) return `${seg.slice(0, -1)}ies`;
  return `${seg}s`;
}

const isParameter = (seg: string) => /^\{.*\}$|^<.*>$|^:|[*()?+]/.test(seg);

/** Route path strings: route decorators and method calls, prefixes and mount paths. */
function routeStrings(src: SourceFile): Array<{ quote: number; how: string }> {
  const out: Array<{ quote: number; how: string }> = [];
  const t = src.masked;
  const methods = ROUTE_METHODS.join('|');
  if (src.lang === 'python') {
    for (const m of t.matchAll(new RegExp(`^[ \\t]*@[\\w.]+\\.(${methods})\\s*\\(\\s*[rRuU]?(['"])`, 'gm'))) out.push({ quote: m.index! + m[0].length - 1, how: `@…${m[1]}(` });
    for (const m of t.matchAll(/\b(prefix|url_prefix)\s*=\s*[rRuU]?(['"])/g)) out.push({ quote: m.index! + m[0].length - 1, how: `${m[1]}=` });
  } else {
    for (const m of t.matchAll(new RegExp(`\\.\\s*(${[...ROUTE_METHODS, 'use'].join('|')})\\s*\\(\\s*(['"\`])`, 'g'))) out.push({ quote: m.index! + m[0].length - 1, how: `.${m[1]}(` });
  }
  return out;
}

export function routePathFaults(app: AppSources): Fault[] {
  const out: Fault[] = [];
  for (const src of app.sources) {
    for (const r of routeStrings(src)) {
      const s = stringAt(src, r.quote);
      if (!s || !s.value.startsWith('/') || /\$\{/.test(s.value)) continue;
      let offset = s.start;
      for (const seg of s.value.split('/')) {
        if (seg && !isParameter(seg) && /^[\w.-]+$/.test(seg)) {
          const to = mutateSegment(seg);
          const e = edit(src, offset, offset + seg.length, to);
          out.push(
            makeFault(app, {
              kind: 'route-path',
              variant: r.how.startsWith('@') || /^\.(get|post|put|patch|delete|head|options|all|route|api_route)\($/.test(r.how) ? 'route' : 'mount-or-prefix',
              file: src.file,
              line: e.line,
              summary: `${r.how}"${s.value}": segment "${seg}" → "${to}"`,
              edits: [e],
              ruleFixable: true,
            }),
          );
        }
        offset += seg.length + 1;
      }
    }
  }
  return out;
}
