/**
 * `anti-pattern`: each entry of the product's anti-pattern catalog planted where its wrong form
 * fits, by turning the correct form (as written in the app) into the wrong one. Operators read
 * source text only; the catalog gives the ids (so an entry without an operator is reported).
 */
import { edit, wholeLines, type AppSources, type Edit, type Fault } from '../faults';
import { functionAt, functionRanges, handlers, matchClose, pythonStatements, type SourceFile } from '../source';
import { makeFault, type FaultDraft } from './common';
import { jsImports } from './imports';

type Planter = (app: AppSources, src: SourceFile) => Array<Omit<FaultDraft, 'kind' | 'file'>>;

const one = (variant: string, e: Edit, summary: string, ruleFixable = true, note?: string) => ({ variant, line: e.line, edits: [e], summary, ruleFixable, ...(note ? { note } : {}) });

/** Python classes of the app with the attributes their bodies declare (`name: str`, `name = ...`). */
function pythonClasses(app: AppSources): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const src of app.sources) {
    if (src.lang !== 'python') continue;
    const stmts = pythonStatements(src);
    stmts.forEach((s, k) => {
      const m = /^class\s+(\w+)/.exec(s.masked);
      if (!m || s.indent !== 0) return;
      const attrs = new Set<string>();
      for (let j = k + 1; j < stmts.length && stmts[j]!.indent > 0; j++) {
        const a = /^\s+(\w+)\s*(?::|=(?!=))/.exec(stmts[j]!.masked);
        if (a && stmts[j]!.indent === stmts[k + 1]!.indent) attrs.add(a[1]!);
      }
      out.set(m[1]!, attrs);
    });
  }
  return out;
}

export const PLANTERS: Record<string, Planter> = {
  // row.key (a row loaded from the database, its class declares key) → data["key"] (the request body).
  'py-payload-key-from-row': (app, src) => {
    if (src.lang !== 'python') return [];
    const classes = pythonClasses(app);
    const out: ReturnType<Planter> = [];
    for (const fn of functionRanges(src)) {
      const body = src.masked.slice(fn.bodyStart, fn.end);
      const payload = /\b(\w+)\s*=\s*(?:\w+\.(?:model_dump|dict)\(|request\.(?:get_json\(|json\b))/.exec(body);
      if (!payload) continue;
      for (const row of body.matchAll(/\b(\w+)\s*=\s*(?:await\s+)?[\w.]+\.(?:get|get_one)\(\s*(\w+)\s*,/g)) {
        const attrs = classes.get(row[2]!);
        if (!attrs) continue;
        for (const use of body.slice(row.index!).matchAll(new RegExp(`(?<![\\w.])${row[1]}\\.(\\w+)\\b(?!\\s*(?:=(?!=)|\\())`, 'g'))) {
          if (!attrs.has(use[1]!)) continue;
          const at = fn.bodyStart + row.index! + use.index!;
          out.push(one('row-attribute', edit(src, at, at + use[0].length, `${payload[1]}["${use[1]}"]`), `${use[0]} → ${payload[1]}["${use[1]}"] in ${fn.name}`));
        }
      }
    }
    return out;
  },
  'py-datetime-utcnow': (_app, src) =>
    src.lang !== 'python'
      ? []
      : [...src.masked.matchAll(/\bdatetime\.datetime\.now\(\s*datetime\.timezone\.utc\s*\)/g)].map((m) =>
          one('now-utc', edit(src, m.index!, m.index! + m[0].length, 'datetime.datetime.utcnow()'), `${m[0]} → datetime.datetime.utcnow()`),
        ),
  'py-utcnow-imported': (_app, src) =>
    src.lang !== 'python' || !/^\s*from\s+datetime\s+import\s+[^\n]*\btimezone\b/m.test(src.masked)
      ? []
      : [...src.masked.matchAll(/(?<![\w.])datetime\.now\(\s*timezone\.utc\s*\)/g)].map((m) =>
          one('now-utc', edit(src, m.index!, m.index! + m[0].length, 'datetime.utcnow()'), `${m[0]} → datetime.utcnow()`),
        ),
  // x is None → x == None (not in query filters, where == None is meant).
  'py-eq-none': (_app, src) => {
    if (src.lang !== 'python') return [];
    const out: ReturnType<Planter> = [];
    for (const m of src.masked.matchAll(/([A-Za-z_][\w.]*(?:\(\))?)(\s+)is(\s+not)?\s+None\b/g)) {
      const lineText = src.masked.slice(src.masked.lastIndexOf('\n', m.index!) + 1, src.masked.indexOf('\n', m.index!));
      if (/\.(where|filter|filter_by|having|join)\s*\(/.test(lineText)) continue;
      const at = m.index! + m[1]!.length;
      const op = m[3] ? '!=' : '==';
      out.push(one(m[3] ? 'is-not-none' : 'is-none', edit(src, at, m.index! + m[0].length, ` ${op} None`), `${m[0].trim()} → ${m[1]} ${op} None`));
    }
    return out;
  },
  // def f(x=None): if x is None: x = [] → def f(x=[]).
  'py-mutable-default': (_app, src) => {
    if (src.lang !== 'python') return [];
    const out: ReturnType<Planter> = [];
    const stmts = pythonStatements(src);
    for (const fn of functionRanges(src)) {
      const header = src.masked.slice(fn.headerStart, fn.bodyStart);
      const first = stmts.findIndex((s) => s.start >= fn.bodyStart);
      if (first < 0) continue;
      const a = stmts[first];
      const b = stmts[first + 1];
      const guard = a && /^\s*if\s+(\w+)\s+is\s+None\s*:\s*$/.exec(a.masked);
      const value = guard && b && new RegExp(`^\\s*${guard[1]}\\s*=\\s*(\\[\\]|\\{\\}|list\\(\\)|dict\\(\\)|set\\(\\))\\s*$`).exec(b.masked);
      const param = guard && new RegExp(`\\b${guard[1]}(\\s*:[^=,()]+)?\\s*=\\s*None\\b`).exec(header);
      if (!guard || !value || !param) continue;
      const at = fn.headerStart + param.index! + param[0].length - 4;
      const [x, y] = wholeLines(src.text, a.start, b.end);
      out.push({
        variant: 'none-guard',
        line: edit(src, at, at + 4, value[1]!).line,
        edits: [edit(src, at, at + 4, value[1]!), edit(src, x, y, '')],
        summary: `${fn.name}(${guard[1]}=None) with a None guard → ${guard[1]}=${value[1]}`,
        ruleFixable: true,
      });
    }
    return out;
  },
  'py-bare-except': (_app, src) =>
    src.lang !== 'python'
      ? []
      : [...src.masked.matchAll(/^([ \t]*)except\s+(?:BaseException|Exception)\s*:/gm)].map((m) =>
          one('except-exception', edit(src, m.index!, m.index! + m[0].length, `${m[1]}except:`), `${m[0].trim()} → except:`),
        ),
  // (x === null || x === undefined) → x == null; the != form likewise.
  'js-loose-null-check': (_app, src) => {
    if (src.lang !== 'js') return [];
    const out: ReturnType<Planter> = [];
    const re = /\(\s*([\w$.]+)\s*(===|!==)\s*(null|undefined)\s*(\|\||&&)\s*\1\s*\2\s*(null|undefined)\s*\)/g;
    for (const m of src.masked.matchAll(re)) {
      if (m[3] === m[5] || (m[2] === '===') !== (m[4] === '||')) continue;
      out.push(one(m[2] === '===' ? 'eq' : 'ne', edit(src, m.index!, m.index! + m[0].length, `${m[1]} ${m[2] === '===' ? '==' : '!='} null`), `${m[0]} → ${m[1]} ${m[2]!.slice(0, 2)} null`));
    }
    return out;
  },
  // res.json(x) → res.send(JSON.stringify(x)).
  'js-send-json-stringify': (_app, src) => {
    if (src.lang !== 'js') return [];
    const out: ReturnType<Planter> = [];
    for (const m of src.masked.matchAll(/\b(res|response)((?:\s*\.\s*status\s*\([^()]*\))?)\s*\.\s*json\s*\(/g)) {
      const open = m.index! + m[0].length - 1;
      const close = matchClose(src.masked, open);
      if (close < 0 || src.masked.slice(open + 1, close).trim() === '') continue;
      const value = src.text.slice(open + 1, close);
      const chained = m[2] !== '';
      const e = edit(src, m.index!, close + 1, `${m[1]}${src.text.slice(m.index! + m[1]!.length, m.index! + m[1]!.length + m[2]!.length)}.send(JSON.stringify(${value}))`);
      out.push(
        one(
          chained ? 'chained-status' : 'direct',
          e,
          `${src.text.slice(m.index!, close + 1)} → ${e.inserted}`,
          !chained,
          chained ? 'the catalog entry matches res.send(JSON.stringify(...)) only directly on res, not after .status(...)' : undefined,
        ),
      );
    }
    return out;
  },
  // res.json(await fn(...)) → res.json(fn(...)); and `await fn(...)` of an async function in an async handler → `fn(...)`.
  'js-missing-await': (app, src) => {
    if (src.lang !== 'js') return [];
    const out: ReturnType<Planter> = [];
    const asyncNames = new Set<string>();
    for (const s of app.sources) {
      if (s.lang !== 'js') continue;
      for (const m of s.masked.matchAll(/\basync\s+function\s+([\w$]+)|\b(?:const|let|var)\s+([\w$]+)\s*=\s*async\b/g)) asyncNames.add(m[1] ?? m[2]!);
    }
    const declaredHere = (name: string) => new RegExp(`async\\s+function\\s+${name}\\b|\\b(?:const|let|var)\\s+${name}\\s*=\\s*async\\b`).test(src.masked);
    const importedNames = new Set(jsImports(src).filter((i) => i.module.startsWith('.')).flatMap((i) => i.bindings.map((b) => b.name)));
    const inAsyncHandler = (at: number) => handlers(src).some((h) => h.async && at >= h.bodyStart && at < h.end && functionAt(src, at) === h);
    for (const m of src.masked.matchAll(/\b(res|response)\s*\.\s*(json|send)\s*\(\s*(await\s+)([\w$]+)\s*\(/g)) {
      const at = m.index! + m[0].indexOf(m[3]!);
      out.push(one('in-response', edit(src, at, at + m[3]!.length, ''), `${m[0]} → without await`, declaredHere(m[4]!), declaredHere(m[4]!) ? undefined : 'the callee is not declared in the file, which the catalog entry requires'));
    }
    for (const m of src.masked.matchAll(/\b(?:const|let|var)\s+[\w${}\s,]+=\s*(await\s+)([\w$]+)\s*\(/g)) {
      const name = m[2]!;
      const at = m.index! + m[0].indexOf(m[1]!);
      if (!inAsyncHandler(at) || !(asyncNames.has(name) && (declaredHere(name) || importedNames.has(name)))) continue;
      out.push(
        one('awaited-value', edit(src, at, at + m[1]!.length, ''), `${m[0].trim()} → without await`, false, 'the catalog entry matches only res.json(fn(...)); here the pending promise is stored in a variable first'),
      );
    }
    return out;
  },
};

export function antiPatternFaults(app: AppSources, ids: string[]): Fault[] {
  const out: Fault[] = [];
  for (const id of ids) {
    const planter = PLANTERS[id];
    if (!planter) continue;
    for (const src of app.sources) {
      for (const d of planter(app, src)) out.push(makeFault(app, { ...d, kind: 'anti-pattern', file: src.file, variant: `${id}:${d.variant}` }));
    }
  }
  return out;
}
