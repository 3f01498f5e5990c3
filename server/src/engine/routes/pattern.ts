import type { Framework } from './sites';

/**
 * Route path patterns as each framework reads them, reduced to one comparable form: segments that
 * are literal text, `{}` for a parameter (one segment) and `*` for a catch-all (one or more
 * segments). A request path from a scenario is compared in the same form, where `{}` is a template
 * variable and any other segment is a concrete value or literal text.
 *
 * - FastAPI/Starlette: `{id}`, `{id:int}`, `{rest:path}` (catch-all).
 * - Flask/Werkzeug: `<id>`, `<int:id>`, `<any(a,b):kind>`, `<path:rest>` (catch-all).
 * - Express 4: `:id`, `:id?` (optional), `:id(\\d+)`, `*`; Express 5: `:id`, `{/:id}` (optional
 *   group), `*splat` and `{*splat}` (catch-all), `:"quoted"` names.
 */

/** At most this many alternatives per pattern (optional parts double them). */
const MAX_ALTERNATIVES = 16;

/** The normalised alternatives a declared route literal answers (one unless it has optional parts). */
export function routeAlternatives(literal: string, framework: Framework): string[] {
  if (framework !== 'express') return [joinSegments(literal.split('/').map((s) => pythonSegment(s, framework)))];
  const out: string[] = [];
  // In Express, `?` marks an optional parameter, not a query string.
  for (const expanded of expandBraces(literal)) {
    for (const alt of expandOptional(expanded.split('/'))) {
      const path = joinSegments(alt.map(expressSegment));
      if (!out.includes(path)) out.push(path);
      if (out.length >= MAX_ALTERNATIVES) return out;
    }
  }
  return out.length > 0 ? out : ['/'];
}

function joinSegments(segs: string[]): string {
  const kept = segs.filter((s) => s !== '');
  return `/${kept.join('/')}`;
}

function pythonSegment(seg: string, framework: Framework): string {
  if (framework === 'fastapi') {
    if (/\{[^}]*:path\}/.test(seg)) return '*';
    return /\{[^}]*\}/.test(seg) ? '{}' : seg;
  }
  if (/<path:[^>]*>/.test(seg)) return '*';
  return /<[^>]*>/.test(seg) ? '{}' : seg;
}

function expressSegment(seg: string): string {
  if (seg === '*' || /^\*[\w$]*$/.test(seg) || /^:[\w$]+[*+]$/.test(seg) || /^:[\w$]+\(\.\*\)$/.test(seg)) return '*';
  if (/:[\w$"]/.test(seg)) return '{}';
  // Express 4 treated `*` inside a segment as a wildcard too (`/file*`).
  if (seg.includes('*')) return '*';
  return seg.replace(/\\(.)/g, '$1');
}

/** Express 5 optional groups `{...}`: each either present or absent. Unbalanced braces are kept as text. */
function expandBraces(p: string): string[] {
  const open = p.indexOf('{');
  if (open < 0) return [p];
  let depth = 0;
  let close = -1;
  for (let i = open; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '{') depth++;
    else if (p[i] === '}' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return [p];
  const head = p.slice(0, open);
  const inner = p.slice(open + 1, close);
  const tail = p.slice(close + 1);
  const out: string[] = [];
  for (const rest of expandBraces(tail)) {
    for (const i of expandBraces(inner)) out.push(head + i + rest);
    out.push(head + rest);
    if (out.length >= MAX_ALTERNATIVES) break;
  }
  return out;
}

/** Express 4 optional parameters `:id?`: the segment present or absent. */
function expandOptional(segs: string[]): string[][] {
  let alts: string[][] = [[]];
  for (const s of segs) {
    const optional = /^:[\w$]+(\([^)]*\))?\?$/.test(s);
    const present = optional ? s.slice(0, -1) : s;
    const next: string[][] = [];
    for (const a of alts) {
      next.push([...a, present]);
      if (optional) next.push(a);
    }
    alts = next.slice(0, MAX_ALTERNATIVES);
  }
  return alts;
}

/** The segments of a normalised path. */
export function segmentsOf(normalised: string): string[] {
  return normalised.split('/').filter(Boolean);
}

/** Points for each kind of segment agreement: literal text agreeing with literal text says most. */
const SCORE = { literal: 3, param: 2, value: 1, rest: 0 } as const;

/**
 * How well declared segments answer requested ones, or undefined when they do not. A declared
 * parameter takes a template variable or a concrete value; a declared literal takes only the same
 * text (never a template variable: the framework would not know the value is that text).
 */
export function matchSegments(declared: readonly string[], requested: readonly string[]): number | undefined {
  return matchFrom(declared, 0, requested, 0);
}

function matchFrom(d: readonly string[], i: number, r: readonly string[], j: number): number | undefined {
  if (i === d.length) return j === r.length ? 0 : undefined;
  const seg = d[i]!;
  if (seg === '*') {
    // One or more segments; prefer the shortest that lets the rest match.
    for (let k = j + 1; k <= r.length; k++) {
      const rest = matchFrom(d, i + 1, r, k);
      if (rest !== undefined) return rest + SCORE.rest;
    }
    return undefined;
  }
  if (j >= r.length) return undefined;
  const req = r[j]!;
  let points: number;
  if (seg === '{}') points = req === '{}' ? SCORE.param : SCORE.value;
  else if (seg === req) points = SCORE.literal;
  else return undefined;
  const rest = matchFrom(d, i + 1, r, j + 1);
  return rest === undefined ? undefined : rest + points;
}

/**
 * Whether a concrete path segment is a value a client filled in rather than a word of the API:
 * numbers, UUIDs, long hex ids, e-mail addresses, dates, codes like `SKU-1042`. Such a segment is
 * never written into a route as literal text.
 */
export function looksLikeValue(seg: string): boolean {
  const s = decodeSafe(seg);
  return (
    /^-?\d+(\.\d+)?$/.test(s) ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ||
    (/^[0-9a-f]{12,}$/i.test(s) && /\d/.test(s)) ||
    s.includes('@') ||
    /^\d{4}-\d{2}-\d{2}/.test(s) ||
    /^[A-Za-z]+[-_]\d{2,}$/.test(s) ||
    /\s/.test(s)
  );
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A parameter segment in the framework's own syntax. */
export function parameterSegment(name: string, framework: Framework): string {
  const clean = name.replace(/[^\w]/g, '_') || 'id';
  if (framework === 'express') return `:${clean}`;
  if (framework === 'flask') return `<${clean}>`;
  return `{${clean}}`;
}
