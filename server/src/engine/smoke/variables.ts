import type { ScenarioRequest } from '../model';

/**
 * `{name}` placeholders in a request, filled from variables saved by earlier steps of a chain.
 */

export type Variables = Record<string, unknown>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the variables a request refers to, in order of first appearance. */
export function placeholdersOf(request: ScenarioRequest): string[] {
  const names = new Set<string>();
  const scan = (text: string) => {
    for (const m of text.matchAll(PLACEHOLDER)) names.add(m[1]);
  };
  const walk = (v: unknown) => {
    if (typeof v === 'string') scan(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  scan(request.path);
  walk(request.query);
  walk(request.headers);
  walk(request.body);
  return [...names];
}

function fillText(text: string, vars: Variables, encode: boolean): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!Object.hasOwn(vars, name)) return whole;
    const raw = String(vars[name]);
    return encode ? encodeURIComponent(raw) : raw;
  });
}

/** A body value: a string that is exactly `{name}` takes the variable's own type (a number stays a number). */
function fillValue(v: unknown, vars: Variables): unknown {
  if (typeof v === 'string') {
    const whole = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(v);
    if (whole && Object.hasOwn(vars, whole[1])) return vars[whole[1]];
    return fillText(v, vars, false);
  }
  if (Array.isArray(v)) return v.map((x) => fillValue(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillValue(x, vars)]));
  return v;
}

export interface FilledRequest {
  method: string;
  /** Path with variables filled in, without the query string. */
  path: string;
  /** Path and query string, as sent. */
  target: string;
  headers: Record<string, string>;
  body?: unknown;
}

export function fillRequest(request: ScenarioRequest, vars: Variables): FilledRequest {
  const path = fillText(request.path, vars, true);
  let target = path;
  if (request.query && Object.keys(request.query).length > 0) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(request.query)) qs.append(k, fillText(String(v), vars, false));
    target += (path.includes('?') ? '&' : '?') + qs.toString();
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = fillText(v, vars, false);
  return { method: request.method.toUpperCase(), path, target, headers, body: request.body === undefined ? undefined : fillValue(request.body, vars) };
}
