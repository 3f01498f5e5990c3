import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { LocatedError, type Scenario } from '../model';
import { formatPath, lookup, positionOf, type PathKey } from '../config/locate';
import { IdAllocator } from './scenarios';
import { sample, type JsonSchema } from './sample';
import { placeholdersOf } from './variables';

/**
 * Scenarios derived from an OpenAPI 3.x document: one positive request per operation, chained
 * statefully. A create (POST to a collection) saves the new id; reads, updates, nested resources,
 * actions and deletes of that resource, and other resources' requests that name its id, follow it
 * in the same chain.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

const refOr = <T extends z.ZodType>(s: T) => z.union([z.looseObject({ $ref: z.string() }), s]);
const parameterSchema = z.looseObject({
  name: z.string(),
  in: z.enum(['path', 'query', 'header', 'cookie']),
  required: z.boolean().optional(),
  schema: z.unknown().optional(),
  example: z.unknown().optional(),
});
const mediaSchema = z.looseObject({ schema: z.unknown().optional(), example: z.unknown().optional() });
const operationSchema = z.looseObject({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  parameters: z.array(refOr(parameterSchema)).optional(),
  requestBody: refOr(z.looseObject({ required: z.boolean().optional(), content: z.record(z.string(), mediaSchema).optional() })).optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
});
const pathItemSchema = z.looseObject({
  parameters: z.array(refOr(parameterSchema)).optional(),
  ...Object.fromEntries(METHODS.map((m) => [m, operationSchema.optional()])),
});
const documentSchema = z.looseObject({
  openapi: z.string().regex(/^3\.\d+/, 'an OpenAPI version 3.x, e.g. "3.1.0"'),
  paths: z.record(z.string().startsWith('/', 'a path starting with "/"'), pathItemSchema),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()).optional() }).optional(),
});
type Operation = z.infer<typeof operationSchema>;
type Parameter = z.infer<typeof parameterSchema>;

export interface OpenApiDocument {
  /** The raw document (for $ref resolution). */
  raw: Record<string, unknown>;
  /** Where it came from, for messages and scenario sources. */
  origin: string;
  /** Line of `paths./x.method` in the source text, when the text was parsed here. */
  lineOf(pointer: PathKey[]): number | undefined;
}

export type ParsedOpenApi = { ok: true; doc: OpenApiDocument } | { ok: false; errors: LocatedError[] };

/** Parse an OpenAPI 3.x document (JSON or YAML). Never throws; problems come back located. */
export function parseOpenApi(text: string, origin: string): ParsedOpenApi {
  try {
    const lines = new LineCounter();
    const yamlDoc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
    if (yamlDoc.errors.length > 0) {
      const e = yamlDoc.errors[0];
      const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return { ok: false, errors: [new LocatedError(`not a JSON or YAML document: ${e.message.split('\n')[0]}`, origin, at.line, at.col)] };
    }
    const raw = yamlDoc.toJS({ maxAliasCount: 1000 }) as unknown;
    const parsed = documentSchema.safeParse(raw);
    if (!parsed.success) {
      const errors = parsed.error.issues.slice(0, 10).map((issue) => {
        const p = issue.path.filter((s): s is PathKey => typeof s === 'string' || typeof s === 'number');
        const found = lookup(yamlDoc, p);
        const pos = positionOf(issue.code === 'invalid_key' ? (found.keyNode ?? found.node) : found.node, lines);
        const detail = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : issue.message;
        const what = issue.code === 'invalid_type' && issue.input === undefined ? `missing ${formatPath(p)}` : `${formatPath(p)}: ${detail}`;
        return new LocatedError(`not a usable OpenAPI 3.x document: ${what}`, origin, pos.line, pos.column);
      });
      return { ok: false, errors };
    }
    return {
      ok: true,
      doc: {
        raw: raw as Record<string, unknown>,
        origin,
        lineOf: (pointer) => {
          const found = lookup(yamlDoc, pointer);
          return found.depth === pointer.length ? positionOf(found.keyNode ?? found.node, lines).line : undefined;
        },
      },
    };
  } catch (err) {
    return { ok: false, errors: [new LocatedError(`could not read the OpenAPI document: ${(err as Error).message}`, origin, 1, 1)] };
  }
}

export interface Unsatisfied {
  method: string;
  path: string;
  operationId: string;
  reason: string;
}

export interface Derivation {
  scenarios: Scenario[];
  /** Operations no scenario could be derived for, with why. */
  unsatisfied: Unsatisfied[];
  /** Operations left out by `exclude`. */
  excluded: string[];
}

export interface DeriveOptions {
  /** Operation ids or "METHOD /path" to leave out. */
  exclude?: string[];
  /** Workspace-relative file the document was read from (for scenario sources); none when fetched. */
  file?: string;
  ids?: IdAllocator;
}

function pluralToSingular(word: string): string {
  const w = word.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  if (/ies$/.test(w)) return w.replace(/ies$/, 'y');
  if (/(ss|sh|ch|x)es$/.test(w)) return w.replace(/es$/, '');
  if (/[^s]s$/.test(w)) return w.slice(0, -1);
  return w;
}

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
}

const isParam = (seg: string) => /^\{[^}]+\}$/.test(seg);

type Kind = 'create' | 'nested-create' | 'read' | 'update' | 'action' | 'delete';
const PHASE: Record<Kind, number> = { create: 0, 'nested-create': 1, read: 2, update: 3, action: 4, delete: 5 };

interface Op {
  method: string;
  path: string;
  pointer: PathKey[];
  op: Operation;
  params: Parameter[];
  operationId: string;
  kind: Kind;
  /** For creates: the variables the new id is saved as, and the response path it comes from. */
  saves?: Record<string, string>;
  status: number;
}

/** Derive one positive scenario per operation of `doc`. */
export function deriveScenarios(doc: OpenApiDocument, options: DeriveOptions = {}): Derivation {
  const raw = doc.raw;
  const resolve = makeResolver(raw);
  const paths = raw.paths as Record<string, Record<string, unknown>>;
  const allPaths = Object.keys(paths);
  const exclude = new Set((options.exclude ?? []).map((e) => e.trim()));
  const unsatisfied: Unsatisfied[] = [];
  const excluded: string[] = [];
  const ops: Op[] = [];

  for (const path of allPaths) {
    const item = paths[path] ?? {};
    const shared = ((item.parameters as unknown[]) ?? []).map((p) => resolve(p) as unknown as Parameter);
    for (const method of METHODS) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const M = method.toUpperCase();
      const operationId = op.operationId ?? `${M} ${path}`;
      if (exclude.has(operationId) || exclude.has(`${M} ${path}`)) {
        excluded.push(`${M} ${path}`);
        continue;
      }
      const own = (op.parameters ?? []).map((p) => resolve(p) as unknown as Parameter);
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const codes = Object.keys(op.responses ?? {}).filter((c) => /^2\d\d$/.test(c)).map(Number).sort((a, b) => a - b);
      const segs = path.split('/').filter(Boolean);
      const last = segs[segs.length - 1] ?? '';
      const endsWithParam = isParam(last);
      const hasItemRoute = allPaths.some((p) => p.startsWith(`${path.replace(/\/$/, '')}/{`) && p.split('/').length === path.split('/').length + 1);
      let kind: Kind;
      if (method === 'post' && !endsWithParam && (hasItemRoute || codes[0] === 201)) kind = segs.some(isParam) ? 'nested-create' : 'create';
      else if (method === 'get' || method === 'head' || method === 'options') kind = 'read';
      else if (method === 'put' || method === 'patch') kind = 'update';
      else if (method === 'delete') kind = 'delete';
      else kind = 'action';
      ops.push({ method: M, path, pointer: ['paths', path, method], op, params, operationId, kind, status: codes[0] ?? 200 });
    }
  }

  // What each create saves: `<singular of the collection>_id`, and the response schema's name when it differs.
  const producers = new Map<string, Op>();
  for (const o of ops) {
    if (o.kind !== 'create' && o.kind !== 'nested-create') continue;
    const segs = o.path.split('/').filter(Boolean);
    const names = new Set([`${pluralToSingular(segs[segs.length - 1])}_id`]);
    const { schema, refName } = responseSchema(o.op, o.status, resolve);
    if (refName) names.add(`${snake(refName.replace(/(In|Out|Read|Response|Schema|Public|Detail)$/, ''))}_id`);
    const idPath = idProperty(schema, [...names]);
    o.saves = Object.fromEntries([...names].map((n) => [n, idPath]));
    for (const n of names) if (!producers.has(n)) producers.set(n, o);
  }

  /** The variable a path parameter stands for: `{id}` under `/carts` is `cart_id`. */
  const varForParam = (path: string, param: string): string => {
    const segs = path.split('/').filter(Boolean);
    const at = segs.indexOf(`{${param}}`);
    const own = snake(param);
    if (producers.has(own)) return own;
    const before = at > 0 ? segs[at - 1] : '';
    const guess = before && !isParam(before) ? `${pluralToSingular(before)}_id` : own;
    if (/^(id|pk|key|uuid|slug)$/i.test(param) || /_?id$/i.test(param)) return producers.has(guess) ? guess : own;
    return own;
  };
  const placeholderFor = (prop: string): string | undefined => {
    const v = snake(prop);
    return producers.has(v) ? `{${v}}` : undefined;
  };

  interface Draft {
    o: Op;
    scenario: Omit<Scenario, 'id' | 'order'>;
    needs: string[];
  }
  const drafts: Draft[] = [];
  for (const o of ops) {
    try {
      let path = o.path;
      let literalProblem: string | undefined;
      for (const p of o.params.filter((x) => x.in === 'path')) {
        const v = varForParam(o.path, p.name);
        if (producers.has(v)) path = path.replace(`{${p.name}}`, `{${v}}`);
        else {
          const literal = literalFor(p, resolve);
          if (literal !== undefined) path = path.replace(`{${p.name}}`, encodeURIComponent(String(literal)));
          else literalProblem ??= `no operation creates a value for {${p.name}} and the parameter has no example, default or enum`;
        }
      }
      if (literalProblem) {
        unsatisfied.push({ method: o.method, path: o.path, operationId: o.operationId, reason: literalProblem });
        continue;
      }
      const query: Record<string, string> = {};
      const headers: Record<string, string> = {};
      for (const p of o.params.filter((x) => x.required && (x.in === 'query' || x.in === 'header'))) {
        const value = placeholderFor(p.name) ?? String(literalFor(p, resolve) ?? sample(p.schema ?? { type: 'string' }, { resolve, placeholderFor }, p.name));
        if (p.in === 'query') query[p.name] = value;
        else headers[p.name] = value;
      }
      let body: unknown;
      const rb = o.op.requestBody ? (resolve(o.op.requestBody) as { required?: boolean; content?: Record<string, { schema?: unknown; example?: unknown }> }) : undefined;
      if (rb?.content) {
        const jsonType = Object.keys(rb.content).find((t) => /json/i.test(t));
        if (jsonType) {
          const media = rb.content[jsonType];
          body = media.example ?? sample(media.schema ?? {}, { resolve, placeholderFor }, 'body');
        } else if (rb.required) {
          unsatisfied.push({ method: o.method, path: o.path, operationId: o.operationId, reason: `the request body must be ${Object.keys(rb.content).join(' or ')}; only JSON bodies are generated` });
          continue;
        }
        if (jsonType && jsonType !== 'application/json') headers['content-type'] = jsonType;
      }
      const request = {
        method: o.method,
        path,
        ...(Object.keys(headers).length ? { headers } : {}),
        ...(Object.keys(query).length ? { query } : {}),
        ...(body !== undefined ? { body } : {}),
      };
      const needs = placeholdersOf(request).filter((n) => producers.has(n));
      const line = options.file ? doc.lineOf(o.pointer) : undefined;
      drafts.push({
        o,
        needs,
        scenario: {
          name: o.op.summary ? `${o.op.summary} (${o.method} ${o.path})` : `${o.method} ${o.path}`,
          request,
          expectStatus: [o.status],
          ...(o.saves ? { save: o.saves } : {}),
          source: {
            kind: 'openapi',
            operationId: o.operationId,
            pointer: `#/${o.pointer.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
            ...(options.file ? { file: options.file } : {}),
            ...(line ? { line } : {}),
          },
        },
      });
    } catch (err) {
      unsatisfied.push({ method: o.method, path: o.path, operationId: o.operationId, reason: `could not build a request: ${(err as Error).message}` });
    }
  }

  // A producer that could not be built leaves its consumers unsatisfied too.
  let changed = true;
  while (changed) {
    changed = false;
    const built = new Set(drafts.map((d) => d.o));
    for (let i = drafts.length - 1; i >= 0; i--) {
      const d = drafts[i];
      const missing = d.needs.find((n) => !built.has(producers.get(n)!) || (producers.get(n) === d.o && d.o.kind !== 'create' && d.o.kind !== 'nested-create'));
      if (missing && producers.get(missing) !== d.o) {
        unsatisfied.push({ method: d.o.method, path: d.o.path, operationId: d.o.operationId, reason: `{${missing}} comes from ${producers.get(missing)!.method} ${producers.get(missing)!.path}, which could not be derived` });
        drafts.splice(i, 1);
        changed = true;
      }
    }
  }

  // Chains: a draft joins the chain of every producer it needs (union-find over producers).
  const parent = new Map<Op, Op>();
  const find = (o: Op): Op => {
    let r = o;
    while (parent.get(r) && parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const union = (a: Op, b: Op) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const d of drafts) for (const n of d.needs) union(producers.get(n)!, d.o);

  // Dependency depth of each producer: creates that need other ids come after those creates.
  const depth = new Map<Op, number>();
  const depthOf = (o: Op, seen = new Set<Op>()): number => {
    if (depth.has(o)) return depth.get(o)!;
    if (seen.has(o)) return 0;
    seen.add(o);
    const d = drafts.find((x) => x.o === o);
    const needs = (d?.needs ?? []).map((n) => producers.get(n)!).filter((p) => p !== o);
    const v = needs.length ? 1 + Math.max(...needs.map((p) => depthOf(p, seen))) : 0;
    depth.set(o, v);
    return v;
  };
  const rankOf = (d: Draft): number => {
    const own = d.o.saves ? depthOf(d.o) : d.needs.length ? Math.max(...d.needs.map((n) => depthOf(producers.get(n)!))) : 0;
    return d.o.kind === 'delete' ? -own : own;
  };

  const ids = options.ids ?? new IdAllocator();
  const chainName = new Map<Op, string>();
  const inChain = (d: Draft) => d.needs.length > 0 || (d.o.saves !== undefined && drafts.some((x) => x.needs.some((n) => producers.get(n) === d.o)));
  const ordered = [...drafts].sort(
    (a, b) =>
      PHASE[a.o.kind] - PHASE[b.o.kind] ||
      rankOf(a) - rankOf(b) ||
      (a.o.kind === 'delete' ? b.o.path.length - a.o.path.length : a.o.path.length - b.o.path.length) ||
      a.o.path.localeCompare(b.o.path) ||
      a.o.method.localeCompare(b.o.method),
  );
  const counters = new Map<string, number>();
  const byOp = new Map<Op, Scenario>();
  for (const d of ordered) {
    const root = find(d.o);
    let chain: string | undefined;
    if (inChain(d)) {
      if (!chainName.has(root)) chainName.set(root, `openapi:${root.path.split('/').filter(Boolean)[0] ?? 'root'}`);
      chain = chainName.get(root)!;
    }
    const order = chain ? (counters.get(chain) ?? 0) : 0;
    if (chain) counters.set(chain, order + 1);
    byOp.set(d.o, { id: '', ...d.scenario, ...(chain ? { chain } : {}), order });
  }
  // Ids in document order, so they do not move when the chain order changes.
  const scenarios: Scenario[] = [];
  for (const d of drafts) {
    const s = byOp.get(d.o)!;
    s.id = ids.next(d.o.op.summary ?? d.o.op.operationId ?? s.name);
    scenarios.push(s);
  }
  return { scenarios, unsatisfied, excluded };
}

function makeResolver(root: Record<string, unknown>) {
  return (schema: unknown): JsonSchema => {
    let s = schema;
    for (let i = 0; i < 32; i++) {
      if (!s || typeof s !== 'object' || typeof (s as { $ref?: unknown }).$ref !== 'string') break;
      const ref = (s as { $ref: string }).$ref;
      if (!ref.startsWith('#/')) return {};
      let target: unknown = root;
      for (const part of ref.slice(2).split('/')) {
        const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
        target = target && typeof target === 'object' ? (target as Record<string, unknown>)[key] : undefined;
      }
      s = target;
    }
    return s && typeof s === 'object' && !(s as { $ref?: unknown }).$ref ? (s as JsonSchema) : {};
  };
}

function literalFor(p: Parameter, resolve: (s: unknown) => JsonSchema): unknown {
  if (p.example !== undefined) return p.example;
  const s = resolve(p.schema ?? {});
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined && s.default !== null) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  return undefined;
}

function responseSchema(op: Operation, status: number, resolve: (s: unknown) => JsonSchema): { schema: JsonSchema; refName?: string } {
  const res = resolve((op.responses ?? {})[String(status)]) as { content?: Record<string, { schema?: unknown }> };
  const media = Object.entries(res.content ?? {}).find(([t]) => /json/i.test(t))?.[1];
  const rawSchema = media?.schema as { $ref?: string } | undefined;
  const refName = typeof rawSchema?.$ref === 'string' ? rawSchema.$ref.split('/').pop() : undefined;
  return { schema: resolve(rawSchema ?? {}), refName };
}

/** The response property holding the new id: `id`, else one of `names`, else the first `*_id`/`*Id`. */
function idProperty(schema: JsonSchema, names: string[]): string {
  const props = Object.keys((schema.properties as object) ?? {});
  if (props.length === 0 || props.includes('id')) return 'id';
  for (const n of names) {
    const hit = props.find((p) => snake(p) === n);
    if (hit) return hit;
  }
  return props.find((p) => /^uid$|(_id|Id|ID|uuid)$/.test(p)) ?? 'id';
}

/** File scenarios win over derived ones for the same METHOD and path; a winner takes the derived one's place in its chain. */
export function mergeScenarios(fromFile: Scenario[], derived: Scenario[]): Scenario[] {
  const key = (s: Scenario) => `${s.request.method.toUpperCase()} ${s.request.path.replace(/\{[^}]*\}/g, '{}')}`;
  const fileByKey = new Map(fromFile.map((s) => [key(s), s]));
  const kept: Scenario[] = [];
  for (const d of derived) {
    const f = fileByKey.get(key(d));
    if (!f) {
      kept.push(d);
      continue;
    }
    if (!f.chain && d.chain) {
      f.chain = d.chain;
      f.order = d.order;
      if (!f.save && d.save) f.save = d.save;
    }
  }
  return [...fromFile, ...kept];
}
