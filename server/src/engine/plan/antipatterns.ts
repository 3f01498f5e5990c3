import type { FixPlanInput } from '../fixPlan';
import type { NoPlan, Planner, PlannerOutcome, PlanningContext } from '../contracts';
import type { Trace } from '../model';
import { topWorkspaceFrame } from '../traces/pathmap';
import { loadSources } from '../routes';
import { detectEol, indentOf, languageOf, matchBracket, pythonBlockEnd } from '../routes/syntax';
import { BUILTIN_CATALOG } from './antipatterns/catalog';
import { catalogSchema, type AntiPattern } from './antipatterns/schema';

/**
 * The anti-pattern planner: for a violation with a stack trace, look at the innermost workspace
 * frame's file; when a catalog entry for the exception matches the code at or near the frame's line
 * (entries without an exception: anywhere in the frame's function), plan a `replace_pattern` of
 * exactly that text. The text must occur once in the file; else the whole line is used; else no plan.
 */

/** Validate a catalog (the built-in one by default); a bad entry is reported with its index and field. */
export function loadCatalog(entries: unknown = BUILTIN_CATALOG): AntiPattern[] {
  const parsed = catalogSchema.safeParse(entries);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  [${i.path.join('.')}]: ${i.message}`);
    throw new Error(`the anti-pattern catalog is invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

const NEAR = 2;
const noPlan = (code: NoPlan['code'], reason: string): PlannerOutcome => ({ ok: false, noPlan: { code, reason } });

interface Region {
  /** 0-based first and last line. */
  first: number;
  last: number;
}

interface MatchContext {
  ctx: PlanningContext;
  file: string;
  text: string;
  lines: string[];
  trace: Trace;
  frameLine: number;
  fn: Region;
  sources?: Map<string, string>;
}

/** The function around a 0-based line: Python by `def` and indentation, JavaScript by braces. */
function enclosingFunction(lines: string[], line: number, lang: 'python' | 'js', text: string): Region {
  if (lang === 'python') {
    const ind = indentOf(lines[line] ?? '').length;
    for (let i = line; i >= 0; i--) {
      const l = lines[i]!;
      if (/^\s*(async\s+)?def\s/.test(l) && (indentOf(l).length < ind || i === line)) return { first: i, last: pythonBlockEnd(lines, i) };
    }
    return { first: Math.max(0, line - 20), last: Math.min(lines.length - 1, line + 20) };
  }
  const starts: number[] = [0];
  for (let i = 0; i < lines.length - 1; i++) starts.push(starts[i]! + lines[i]!.length + 1);
  for (let i = line; i >= Math.max(0, line - 200); i--) {
    const l = lines[i]!;
    if (!/(function\b[^{]*|=>\s*)\{\s*$/.test(l.replace(/\r$/, ''))) continue;
    const open = starts[i]! + l.replace(/\r$/, '').lastIndexOf('{');
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    let last = i;
    while (last + 1 < starts.length && starts[last + 1]! <= close) last++;
    if (last >= line) return { first: i, last };
  }
  return { first: Math.max(0, line - 20), last: Math.min(lines.length - 1, line + 20) };
}

function compile(entry: AntiPattern): RegExp {
  if ('regex' in entry.wrong) return new RegExp(entry.wrong.regex, 'g');
  const src = entry.wrong.literal
    .split(/(\$[A-Za-z_]\w*\$)/)
    .map((part) => (/^\$\w+\$$/.test(part) ? `(?<${part.slice(1, -1)}>[A-Za-z_][\\w.]*)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(src, 'g');
}

/** The key a KeyError names (`KeyError: 'price'`). */
function keyErrorKey(trace: Trace): string | undefined {
  for (const t of [trace, ...trace.causes]) {
    if (t.exceptionClass.endsWith('KeyError')) return /^\s*['"]?(.*?)['"]?\s*$/.exec(t.message)?.[1];
  }
  return undefined;
}

/** Classes of the workspace's Python sources, with the attributes they declare. */
function classAttributes(sources: Map<string, string>, cls: string): Set<string> | undefined {
  for (const text of sources.values()) {
    const lines = text.split(/\r?\n/);
    const i = lines.findIndex((l) => new RegExp(`^class\\s+${cls}\\b`).test(l));
    if (i < 0) continue;
    const end = pythonBlockEnd(lines, i);
    const attrs = new Set<string>();
    for (let j = i + 1; j <= end; j++) {
      const m = /^\s+([A-Za-z_]\w*)\s*(?::|=)(?!=)/.exec(lines[j]!);
      if (m && indentOf(lines[j]!).length === indentOf(lines[i + 1] ?? '    ').length) attrs.add(m[1]!);
    }
    return attrs;
  }
  return undefined;
}

/** The return annotation of a workspace function (`def load_product(...) -> Product:`). */
function returnType(sources: Map<string, string>, fn: string): string | undefined {
  for (const text of sources.values()) {
    const m = new RegExp(`^\\s*(?:async\\s+)?def\\s+${fn}\\s*\\([^)]*\\)\\s*->\\s*([A-Za-z_]\\w*)`, 'm').exec(text);
    if (m) return m[1];
  }
  return undefined;
}

const ROW_LOAD = /^\s*([A-Za-z_]\w*)\s*(?::\s*([A-Za-z_]\w*))?\s*=\s*(?:await\s+)?(.*)$/;

/** A variable loaded from the database before `line` in the function whose class declares `key`. */
async function rowWithAttribute(m: MatchContext, key: string, line: number, exclude: string): Promise<{ name: string; cls: string; line: number } | undefined> {
  m.sources ??= new Map([...(await loadSources(m.ctx))].filter(([f]) => f.endsWith('.py')));
  for (let i = line; i >= m.fn.first; i--) {
    const a = ROW_LOAD.exec(m.lines[i]!);
    if (!a || a[1] === exclude) continue;
    const rhs = a[3]!;
    let cls: string | undefined = a[2];
    const get = /\b\w+\.(?:get|get_one)\(\s*([A-Za-z_]\w*)\s*,/.exec(rhs);
    const loader = /^([A-Za-z_]\w*)\s*\(/.exec(rhs);
    if (!cls && get) cls = get[1]!;
    if (!cls && loader && /^(load|get|fetch|find)_\w+|_or_404$/.test(loader[1]!)) cls = returnType(m.sources!, loader[1]!);
    if (!cls) continue;
    if (classAttributes(m.sources!, cls)?.has(key)) return { name: a[1]!, cls, line: i + 1 };
  }
  return undefined;
}

/** Whether `key` is optional in the request model `data` was dumped from (`data = payload.model_dump(...)`, `payload: CartItemIn`). */
function optionalInRequestModel(m: MatchContext, data: string, key: string): string | undefined {
  const fnText = m.lines.slice(m.fn.first, m.fn.last + 1).join('\n');
  const dump = new RegExp(`\\b${data}\\s*=\\s*([A-Za-z_]\\w*)\\.(?:model_dump|dict)\\(`).exec(fnText);
  const model = dump && new RegExp(`\\b${dump[1]}\\s*:\\s*([A-Za-z_]\\w*)`).exec(fnText)?.[1];
  if (!model || !m.sources) return undefined;
  for (const text of m.sources.values()) {
    const lines = text.split(/\r?\n/);
    const i = lines.findIndex((l) => new RegExp(`^class\\s+${model}\\b`).test(l));
    if (i < 0) continue;
    const end = pythonBlockEnd(lines, i);
    for (let j = i + 1; j <= end; j++) if (new RegExp(`^\\s+${key}\\s*:[^=]*=\\s*None\\b|^\\s+${key}\\s*:\\s*Optional`).test(lines[j]!)) return `${key} is optional in ${model} (the client may leave it out)`;
  }
  return undefined;
}

async function conditionsHold(entry: AntiPattern, m: MatchContext, groups: Record<string, string>, line: number, vars: Record<string, string>, evidence: string[]): Promise<boolean> {
  for (const c of entry.conditions) {
    switch (c) {
      case 'key-matches-exception':
        if (!groups.key || keyErrorKey(m.trace) !== groups.key) return false;
        evidence.push(`${m.trace.exceptionClass}: '${groups.key}' raised at ${m.file}:${m.frameLine + 1}`);
        break;
      case 'row-attribute': {
        const row = await rowWithAttribute(m, groups.key ?? '', line, groups.data ?? '');
        if (!row) return false;
        vars.row = row.name;
        evidence.push(`${m.file}:${row.line}: ${row.name} is a ${row.cls} row loaded from the database, and ${row.cls} declares ${groups.key}`);
        const optional = optionalInRequestModel(m, groups.data ?? '', groups.key ?? '');
        if (optional) evidence.push(optional);
        break;
      }
      case 'not-in-query':
        if (/\.(where|filter|filter_by|having|join)\s*\(/.test(m.lines[line]!)) return false;
        break;
      case 'imports-timezone':
        if (!/^\s*from\s+datetime\s+import\s+[^\n]*\btimezone\b/m.test(m.text)) return false;
        break;
      case 'async-callee': {
        const fn = groups.fn ?? '';
        if (!new RegExp(`async\\s+function\\s+${fn}\\b|\\b(?:const|let|var)\\s+${fn}\\s*=\\s*async\\b`).test(m.text)) return false;
        if (!/\basync\b/.test(m.lines[m.fn.first]!)) return false;
        evidence.push(`${fn} is an async function, and the handler awaits nothing from it`);
        break;
      }
      case 'no-docstring-after': {
        const next = m.lines.slice(line + 1).find((l) => l.trim() !== '');
        if (next && /^\s*[rbuRBU]?("""|'''|"|')/.test(next)) return false;
        break;
      }
    }
  }
  return true;
}

function render(entry: AntiPattern, groups: Record<string, string>, vars: Record<string, string>, lineText: string, eol: string): string {
  const indent = indentOf(lineText);
  const all: Record<string, string> = {
    ...groups,
    ...vars,
    indent,
    bodyIndent: `${indent}    `,
    isop: groups.op === '!=' ? 'is not' : 'is',
    strictnull: groups.op === '!=' ? `(${groups.lhs} !== null && ${groups.lhs} !== undefined)` : `(${groups.lhs} === null || ${groups.lhs} === undefined)`,
  };
  return entry.correct.replace(/\$([A-Za-z_]\w*)\$/g, (whole, name: string) => all[name] ?? whole).replace(/\n/g, eol);
}

function count(text: string, find: string): number {
  let n = 0;
  for (let i = text.indexOf(find); i !== -1 && n < 2; i = text.indexOf(find, i + 1)) n++;
  return n;
}

/**
 * Which entries a planner over the catalog tries: `explains` — entries for the exception the trace
 * reports (they explain the failure's signal, so they may rank before the rules); `smells` —
 * entries with no exception, matched anywhere in the failing function (a wrong pattern that may
 * have nothing to do with this failure: tried only after the rules, so an unrelated smell never
 * crowds out the fix the signal asks for); `all` — both, in that order.
 */
export type AntiPatternScope = 'explains' | 'smells' | 'all';

export function createAntiPatternPlanner(catalog: AntiPattern[] = loadCatalog(), scope: AntiPatternScope = 'all'): Planner {
  return {
    name: scope === 'smells' ? 'anti-pattern (smells)' : 'anti-pattern',
    async plan(ctx: PlanningContext): Promise<PlannerOutcome> {
      const v = ctx.violation;
      if (!v.trace) {
        if (v.actualStatus === v.expectedStatus && v.actualStatus > 0 && v.actualStatus < 400) {
          return noPlan('no_rule', `a JSON expectation failed with the right status (${v.message.replace(/^.*?: /, '')}) and no stack trace: a logic error no anti-pattern explains`);
        }
        return noPlan('not_applicable', `${v.method} ${v.path} → ${v.actualStatus} left no stack trace to look for an anti-pattern at`);
      }
      const frame = topWorkspaceFrame(v.trace);
      if (!frame) return noPlan('not_applicable', `no frame of the ${v.trace.exceptionClass} trace is in the workspace`);
      const lang = languageOf(frame.file);
      const text = await ctx.read(frame.file);
      if (!lang || text === undefined) return noPlan('not_applicable', `${frame.file} is not a Python or JavaScript source that can be read`);
      const eol = detectEol(text);
      const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
      const frameLine = Math.min(Math.max(frame.line - 1, 0), lines.length - 1);
      const m: MatchContext = { ctx, file: frame.file, text, lines, trace: v.trace, frameLine, fn: enclosingFunction(lines, frameLine, lang, text) };
      const classes = new Set([v.trace.exceptionClass, ...v.trace.causes.map((c) => c.exceptionClass)].flatMap((c) => [c, c.split('.').pop()!]));
      const entries = catalog.filter((e) => e.language === (lang === 'python' ? 'python' : 'javascript'));
      const withException = scope === 'smells' ? [] : entries.filter((e) => e.exceptionClass && classes.has(e.exceptionClass));
      const withoutException = scope === 'explains' ? [] : entries.filter((e) => !e.exceptionClass);
      const rejected: string[] = [];
      const plans: FixPlanInput[] = [];
      for (const [group, region] of [
        [withException, { first: Math.max(m.fn.first, frameLine - NEAR), last: Math.min(m.fn.last, frameLine + NEAR) }],
        [withoutException, m.fn],
      ] as const) {
        // Lines nearest the frame first.
        const order = Array.from({ length: region.last - region.first + 1 }, (_, i) => region.first + i).sort((a, b) => Math.abs(a - frameLine) - Math.abs(b - frameLine) || a - b);
        for (const entry of group) {
          const re = compile(entry);
          let planned = false;
          for (const line of order) {
            if (planned) break;
            for (const hit of lines[line]!.matchAll(re)) {
              const groups = Object.fromEntries(Object.entries(hit.groups ?? {}).filter(([, val]) => val !== undefined)) as Record<string, string>;
              const vars: Record<string, string> = {};
              const evidence: string[] = [];
              if (!(await conditionsHold(entry, m, groups, line, vars, evidence))) continue;
              let find = hit[0];
              let replace = render(entry, groups, vars, lines[line]!, eol);
              if (count(text, find) !== 1) {
                const whole = lines[line]!;
                replace = whole.slice(0, hit.index) + replace + whole.slice(hit.index + hit[0].length);
                find = whole;
                if (count(text, find) !== 1) {
                  rejected.push(`${entry.id} matched ${frame.file}:${line + 1}, but neither the snippet nor the whole line occurs exactly once in the file`);
                  continue;
                }
              }
              if (find === replace) continue;
              plans.push({
                root_cause: `${entry.description} (${frame.file}:${line + 1})`,
                category: 'ANTI_PATTERN',
                confidence: Math.min(1, entry.confidence + (evidence.some((e) => / is optional in /.test(e)) ? 0.1 : 0)),
                files: [frame.file],
                operations: [
                  {
                    type: 'replace_pattern',
                    file: frame.file,
                    details: { pattern: entry.id, find, replace },
                    rationale: `${find.trim()} → ${replace.trim()}`,
                    evidence: [`${frame.file}:${line + 1}: ${lines[line]!.trim()}`, ...entry.evidence, ...evidence],
                  },
                ],
                evidence: [v.message],
              });
              planned = true;
              break;
            }
          }
        }
        if (plans.length > 0) break;
      }
      if (plans.length === 0) {
        const looked = scope === 'explains' ? `near line ${frame.line}` : scope === 'smells' ? `in its function (entries for any exception)` : `near line ${frame.line} or in its function`;
        return noPlan('no_rule', rejected[0] ?? `no catalog entry for ${v.trace.exceptionClass} matches ${frame.file} ${looked}`);
      }
      plans.sort((a, b) => b.confidence - a.confidence);
      return { ok: true, plans };
    },
  };
}

/** The planner over the built-in catalog: every entry. */
export const antiPatternPlanner: Planner = createAntiPatternPlanner();
/** Entries that explain the failure's exception (tried before the rules). */
export const explainingAntiPatternPlanner: Planner = createAntiPatternPlanner(undefined, 'explains');
/** Entries with no exception of their own (tried after the rules). */
export const smellAntiPatternPlanner: Planner = createAntiPatternPlanner(undefined, 'smells');
