import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { LocatedError, type Scenario } from '../model';
import { formatPath, lookup, positionOf, type PathKey } from '../config/locate';
import type { CredentialPlacement, SuppliedNames } from './decorate';
import { idBase, idPathIn, isGenericId, modelBase, singulars, snake } from './resourceNames';
import { sample, type JsonSchema } from './sample';
import { IdAllocator } from './scenarios';
import { securityFor } from './security';
import { isSwagger2, swagger2Schema, swagger2ToOpenApi3 } from './swagger2';
import { placeholdersOf } from './variables';

/**
 * Scenarios derived from an OpenAPI 3.x (or Swagger 2.0) document: one positive request per
 * operation, chained statefully. A create (POST to a collection, with or without a trailing slash)
 * saves the new id; reads, updates, nested resources, actions and deletes of that resource, and
 * other resources' requests that name its id, follow it in the same chain. Every operation ends
 * with a scenario or a reason why it has none.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

const refOr = <T extends z.ZodType>(s: T) => z.union([z.looseObject({ $ref: z.string() }), s]);
const parameterSchema = z.looseObject({
  name: z.string(),
  in: z.enum(['path', 'query', 'header', 'cookie']),
  required: z.boolean().optional(),
  schema: z.unknown().optional(),
  example: z.unknown().optional(),
  examples: z.unknown().optional(),
});
const mediaSchema = z.looseObject({ schema: z.unknown().optional(), example: z.unknown().optional(), examples: z.unknown().optional() });
const requestBodySchema = z.looseObject({ required: z.boolean().optional(), content: z.record(z.string(), mediaSchema).optional() });
const operationSchema = z.looseObject({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  parameters: z.array(refOr(parameterSchema)).optional(),
  requestBody: refOr(requestBodySchema).optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
  security: z.unknown().optional(),
});
const pathItemSchema = z.looseObject({
  parameters: z.array(refOr(parameterSchema)).optional(),
  ...Object.fromEntries(METHODS.map((m) => [m, operationSchema.optional()])),
});
const documentSchema = z.looseObject({
  openapi: z.string().regex(/^3\.\d+/, 'an OpenAPI version 3.x, e.g. "3.1.0"'),
  paths: z.record(z.string().startsWith('/', 'a path starting with "/"'), pathItemSchema),
  servers: z.array(z.looseObject({ url: z.string() })).optional(),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()).optional(), securitySchemes: z.record(z.string(), z.unknown()).optional() }).optional(),
});
type Operation = z.infer<typeof operationSchema>;
type Parameter = z.infer<typeof parameterSchema>;
type Media = z.infer<typeof mediaSchema>;

export interface OpenApiDocument {
  /** The document as OpenAPI 3 (a Swagger 2.0 document is converted; for $ref resolution). */
  raw: Record<string, unknown>;
  /** Where it came from, for messages and scenario sources. */
  origin: string;
  /** Line of `paths./x.method` in the source text, when the text was parsed here. */
  lineOf(pointer: PathKey[]): number | undefined;
}

export type ParsedOpenApi = { ok: true; doc: OpenApiDocument } | { ok: false; errors: LocatedError[] };

function locatedIssues(issues: z.core.$ZodIssue[], yamlDoc: Document, lines: LineCounter, origin: string, kind: string): LocatedError[] {
  return issues.slice(0, 10).map((issue) => {
    const p = issue.path.filter((s): s is PathKey => typeof s === 'string' || typeof s === 'number');
    const found = lookup(yamlDoc, p);
    const pos = positionOf(issue.code === 'invalid_key' ? (found.keyNode ?? found.node) : found.node, lines);
    const detail = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') : issue.message;
    const what = issue.code === 'invalid_type' && issue.input === undefined ? `missing ${formatPath(p)}` : `${formatPath(p)}: ${detail}`;
    return new LocatedError(`not a usable ${kind} document: ${what}`, origin, pos.line, pos.column);
  });
}

/** Parse an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML). Never throws; problems come back located. */
export function parseOpenApi(text: string, origin: string): ParsedOpenApi {
  try {
    const lines = new LineCounter();
    const yamlDoc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
    if (yamlDoc.errors.length > 0) {
      const e = yamlDoc.errors[0];
      const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      return { ok: false, errors: [new LocatedError(`not a JSON or YAML document: ${e.message.split('\n')[0]}`, origin, at.line, at.col)] };
    }
    let raw = yamlDoc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (isSwagger2(raw)) {
      const old = swagger2Schema.safeParse(raw);
      if (!old.success) return { ok: false, errors: locatedIssues(old.error.issues, yamlDoc, lines, origin, 'Swagger 2.0') };
      raw = swagger2ToOpenApi3(old.data);
    }
    const parsed = documentSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, errors: locatedIssues(parsed.error.issues, yamlDoc, lines, origin, 'OpenAPI 3.x') };
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

/** What became of one operation of the document. */
export interface OperationOutcome {
  method: string;
  /** The request path template: the server's base path, then the document's path. */
  path: string;
  operationId: string;
  /** The scenario derived for it, when there is one. */
  scenarioId?: string;
  /** Why there is no scenario (or, with `excluded`, why it was left out). */
  reason?: string;
  excluded?: boolean;
  /** Parameters given made-up values (nothing creates them and the document has no example): `path report_key`, `query q`. */
  invented: string[];
  /** Where `smoke.auth` goes for this operation, as its security scheme says; absent: where smoke.auth names. */
  credentialAt?: CredentialPlacement[];
}

export interface Derivation {
  scenarios: Scenario[];
  /** Operations no scenario could be derived for, with why. */
  unsatisfied: Unsatisfied[];
  /** Operations left out by `exclude` ("METHOD /path"). */
  excluded: string[];
  /** Every operation, in document order, with what became of it. */
  operations: OperationOutcome[];
}

export interface DeriveOptions {
  /** Operation ids or "METHOD /path" to leave out. */
  exclude?: string[];
  /** Workspace-relative file the document was read from (for scenario sources); none when fetched. */
  file?: string;
  ids?: IdAllocator;
  /** What the configuration supplies, by name: which security requirements can be met, which parameters it fills. */
  supplied?: SuppliedNames;
  /** The path part of the app's base URL: a server path the document declares is not added twice. */
  basePath?: string;
}

const isParam = (seg: string) => /^\{[^}]+\}$/.test(seg);
/** Segments without the trailing slash: `/heroes/` and `/heroes` are the same collection. */
const segmentsOf = (p: string) => p.split('/').filter(Boolean);
const shape = (segs: string[]) => segs.map((s) => (isParam(s) ? '{}' : s)).join('/');

type Kind = 'create' | 'nested-create' | 'read' | 'update' | 'action' | 'delete';
const PHASE: Record<Kind, number> = { create: 0, 'nested-create': 1, read: 2, update: 3, action: 4, delete: 5 };

interface Op {
  method: string;
  /** The path as the document writes it. */
  docPath: string;
  /** The path requested: server base path + docPath. */
  path: string;
  segs: string[];
  pointer: PathKey[];
  op: Operation;
  params: Parameter[];
  operationId: string;
  kind: Kind;
  status: number;
  /** Why no scenario can be made, whatever other operations do. */
  problem?: string;
  credentialAt?: CredentialPlacement[];
  body?: { type: string; media: Media };
  response: { schema: unknown; refName?: string };
  /** For creates: the variable the new id is saved as, the resources it is the id of, and where it is in the response. */
  variable?: string;
  bases?: string[];
  idPath?: string;
}

/** The path that the first server of the document adds in front of every operation's path, if the base URL lacks it. */
function serverPrefix(raw: Record<string, unknown>, basePath: string | undefined): string {
  const first = (raw.servers as Array<{ url: string; variables?: Record<string, { default?: unknown }> }> | undefined)?.[0];
  if (!first || typeof first.url !== 'string') return '';
  const url = first.url.replace(/\{([^}]+)\}/g, (_w, name: string) => String(first.variables?.[name]?.default ?? ''));
  let p: string;
  try {
    p = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url).pathname : url.startsWith('//') ? new URL(`http:${url}`).pathname : url;
  } catch {
    return '';
  }
  p = `/${p.replace(/^\/+|\/+$/g, '')}`;
  if (p === '/') return '';
  const base = (basePath ?? '').replace(/\/+$/, '');
  return base.endsWith(p) ? '' : p;
}

const FORM = 'application/x-www-form-urlencoded';

/** The request body media type a scenario can send: JSON first, then a URL-encoded form, then plain text. */
function pickBody(content: Record<string, Media>): { type: string; media: Media } | undefined {
  const types = Object.keys(content);
  const type = types.find((t) => /[/+]json\b/i.test(t) || /json/i.test(t)) ?? types.find((t) => t.toLowerCase().startsWith(FORM)) ?? types.find((t) => /^text\/plain/i.test(t));
  return type ? { type, media: content[type] } : undefined;
}

/** A documented value for a parameter; `closed` when it comes from a closed set (enum, const) and so names something that exists. */
function documentedValue(p: Parameter, resolve: (s: unknown) => JsonSchema): { value: unknown; closed: boolean } | undefined {
  if (p.example !== undefined) return { value: p.example, closed: false };
  if (p.examples && typeof p.examples === 'object') {
    const first = Object.values(p.examples as Record<string, unknown>)[0];
    const ex = resolve(first) as { value?: unknown };
    if (ex && ex.value !== undefined) return { value: ex.value, closed: false };
  }
  const s = resolve(p.schema ?? {});
  if (Array.isArray(s.examples) && s.examples.length) return { value: s.examples[0], closed: false };
  if (s.example !== undefined) return { value: s.example, closed: false };
  if (s.const !== undefined) return { value: s.const, closed: true };
  if (Array.isArray(s.enum) && s.enum.some((v) => v !== null)) return { value: s.enum.find((v) => v !== null), closed: true };
  if (s.default !== undefined && s.default !== null) return { value: s.default, closed: false };
  return undefined;
}

function asText(v: unknown): string {
  if (Array.isArray(v)) return v.map(asText).join(',');
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A URL-encoded form body; a value that is exactly `{name}` stays a placeholder for the runner to fill. */
function formBody(value: unknown): string {
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const enc = (v: string) => (/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(v) ? v : encodeURIComponent(v).replace(/%20/g, '+'));
  return Object.entries(obj)
    .map(([k, v]) => `${enc(k)}=${enc(asText(v))}`)
    .join('&');
}

/** Derive one positive scenario per operation of `doc`. */
export function deriveScenarios(doc: OpenApiDocument, options: DeriveOptions = {}): Derivation {
  const raw = doc.raw;
  const resolve = makeResolver(raw);
  const paths = raw.paths as Record<string, Record<string, unknown>>;
  const docPaths = Object.keys(paths);
  const prefix = serverPrefix(raw, options.basePath);
  const exclude = new Set((options.exclude ?? []).map((e) => e.trim()));
  const supplied: SuppliedNames = options.supplied ?? { headers: [], query: [] };
  const schemes = ((raw.components as { securitySchemes?: Record<string, unknown> } | undefined)?.securitySchemes ?? {}) as Record<string, unknown>;
  const outcomes: OperationOutcome[] = [];
  const outcomeOf = new Map<Op, OperationOutcome>();
  const ops: Op[] = [];
  const shapes = new Set(docPaths.map((p) => shape(segmentsOf(p))));

  for (const docPath of docPaths) {
    const item = paths[docPath] ?? {};
    const shared = ((item.parameters as unknown[]) ?? []).map((p) => resolve(p) as unknown as Parameter);
    const path = prefix + docPath;
    for (const method of [...METHODS, 'trace'] as const) {
      const op = item[method] as Operation | undefined;
      if (!op || typeof op !== 'object') continue;
      const M = method.toUpperCase();
      const operationId = op.operationId ?? `${M} ${path}`;
      const outcome: OperationOutcome = { method: M, path, operationId, invented: [] };
      outcomes.push(outcome);
      // Evaluated for every operation, so a file scenario standing in for an excluded one still gets the credential in the right place.
      const security = securityFor(op.security, raw.security, schemes, supplied, resolve);
      if (security.ok && security.at) outcome.credentialAt = security.at;
      if (exclude.has(operationId) || exclude.has(`${M} ${docPath}`) || exclude.has(`${M} ${path}`)) {
        const entry = [operationId, `${M} ${docPath}`, `${M} ${path}`].find((e) => exclude.has(e));
        Object.assign(outcome, { excluded: true, reason: `left out by openapi.exclude ("${entry}")` });
        continue;
      }
      if (method === 'trace') {
        outcome.reason = 'TRACE requests are not sent';
        continue;
      }
      const own = (op.parameters ?? []).map((p) => resolve(p) as unknown as Parameter);
      const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      // A template parameter the document forgot to declare still needs a value.
      for (const m of docPath.matchAll(/\{([^}]+)\}/g)) {
        if (!params.some((p) => p.in === 'path' && p.name === m[1])) params.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
      }
      const responses = op.responses ?? {};
      const codes = Object.keys(responses).filter((c) => /^2\d\d$/.test(c)).map(Number).sort((a, b) => a - b);
      const status = codes[0] ?? 200;
      const segs = segmentsOf(docPath);
      const last = segs[segs.length - 1] ?? '';
      const endsWithParam = isParam(last);
      const hasItemRoute = shapes.has(shape([...segs, '{}']));
      const response = responseSchema(op, status, resolve);
      let kind: Kind;
      const looksLikeCollection = !endsWithParam && last !== '' && (hasItemRoute || status === 201 || (/s$/i.test(last) && idPathIn(response.schema, singulars(last), resolve).found));
      if (method === 'post' && looksLikeCollection) kind = segs.some(isParam) ? 'nested-create' : 'create';
      else if (method === 'get' || method === 'head' || method === 'options') kind = 'read';
      else if (method === 'put' || method === 'patch') kind = 'update';
      else if (method === 'delete') kind = 'delete';
      else kind = 'action';
      const o: Op = { method: M, docPath, path, segs, pointer: ['paths', docPath, method], op, params, operationId, kind, status, response };
      outcomeOf.set(o, outcome);
      ops.push(o);

      // What no other operation can change: credentials, and a body this deriver can write.
      if (!security.ok) o.problem = security.reason;
      else if (security.at) o.credentialAt = security.at;
      const authParam = params.find((p) => p.in === 'header' && p.required && p.name.toLowerCase() === 'authorization');
      if (!o.problem && authParam && !supplied.auth && !supplied.headers.includes('authorization')) {
        o.problem = 'needs credentials: the Authorization header is required; set smoke.auth (e.g. { bearer: "${env:API_TOKEN}" }) or smoke.headers.Authorization';
      }
      const rb = op.requestBody ? (resolve(op.requestBody) as z.infer<typeof requestBodySchema>) : undefined;
      if (!o.problem && rb?.content && Object.keys(rb.content).length > 0) {
        const body = pickBody(rb.content);
        if (body) o.body = body;
        else if (rb.required) o.problem = `the request body must be ${Object.keys(rb.content).join(' or ')}; only JSON, URL-encoded form and plain-text bodies are made`;
      }
    }
  }

  // Producers: every create that can be made. The variable takes the item route's own name for the id when it has one.
  const producers = new Map<string, Op>();
  const pathOfShape = new Map<string, string>();
  for (const p of docPaths) if (!pathOfShape.has(shape(segmentsOf(p)))) pathOfShape.set(shape(segmentsOf(p)), p);
  const itemOf = (o: Op) => pathOfShape.get(shape([...o.segs, '{}']));
  // The plain name goes to the most central create: one with an item route, then the least nested.
  const creates = ops
    .filter((o) => (o.kind === 'create' || o.kind === 'nested-create') && !o.problem)
    .sort((a, b) => Number(!itemOf(a)) - Number(!itemOf(b)) || a.segs.length - b.segs.length);
  for (const o of creates) {
    const resource = o.segs[o.segs.length - 1];
    const item = itemOf(o);
    const itemParam = item ? segmentsOf(item).pop()!.slice(1, -1) : undefined;
    const specific = itemParam !== undefined && !isGenericId(itemParam);
    const bases = new Set(singulars(resource));
    if (specific && idBase(itemParam)) bases.add(idBase(itemParam)!);
    if (o.response.refName) bases.add(snake(modelBase(o.response.refName)));
    // The item route's own name for the id (`{heroId}` stays `heroId`), so paths read as documented.
    let variable = specific ? (IDENTIFIER.test(itemParam) ? itemParam : snake(itemParam)) : `${singulars(resource)[0]}_id`;
    if (producers.has(variable)) {
      const parent = [...o.segs].reverse().find((s, i) => i > 0 && !isParam(s));
      const base = parent ? `${singulars(parent)[0]}_${variable}` : variable;
      variable = base;
      for (let n = 2; producers.has(variable); n++) variable = `${base}_${n}`;
    }
    const prefer = itemParam ? [itemParam, itemParam.split('_').pop()!] : [];
    o.variable = variable;
    o.bases = [...bases];
    o.idPath = idPathIn(o.response.schema, o.bases, resolve, 0, prefer).path;
    producers.set(variable, o);
  }

  /** The create whose id a path parameter stands for: by the route's shape, then by the parameter's name. */
  const producerForPath = (o: Op, name: string, candidates: Op[]): Op | undefined => {
    const at = o.segs.indexOf(`{${name}}`);
    if (at >= 0) {
      const want = shape(o.segs.slice(0, at + 1));
      const structural = candidates.find((p) => shape([...p.segs, '{}']) === want);
      if (structural) return structural;
    }
    const byName = producerForName(name, candidates);
    if (byName) return byName;
    const before = at > 0 ? o.segs[at - 1] : '';
    if (isGenericId(name) && before && !isParam(before)) {
      const words = singulars(before);
      return shortest(candidates.filter((p) => p.bases!.some((b) => words.includes(b))));
    }
    return undefined;
  };
  const shortest = (list: Op[]) => list.sort((a, b) => a.segs.length - b.segs.length)[0];
  /** `hero_id`, `heroId`, `hero_uuid` → the create of heroes; an exact variable name too. */
  const producerForName = (name: string, candidates: Op[]): Op | undefined => {
    const wanted = snake(name);
    const exact = candidates.find((p) => p.variable === wanted);
    if (exact) return exact;
    const base = idBase(name);
    return base ? shortest(candidates.filter((p) => p.bases!.includes(base))) : undefined;
  };

  interface Draft {
    o: Op;
    scenario: Omit<Scenario, 'id' | 'order'>;
    needs: string[];
    /** A path parameter got a value no operation created. */
    madeUp: boolean;
  }
  const isProducer = (o: Op, live: Map<string, Op>) => o.variable !== undefined && live.get(o.variable) === o;
  /**
   * Path parameters kept under their documented name although a create of another name makes them
   * (`GET /orders/{order_id}` fed by `POST /carts/{cart_id}/checkout`): that create saves its id under
   * this name too, so a derived path reads as the document writes it.
   */
  const aliases = new Map<Op, Set<string>>();

  const suppliedHeader = (o: Op, name: string) => {
    const n = name.toLowerCase();
    return supplied.headers.includes(n) || (o.credentialAt ?? (supplied.authAt ? [supplied.authAt] : [])).some((a) => a.in === 'header' && a.name.toLowerCase() === n);
  };
  const suppliedQuery = (o: Op, name: string) =>
    supplied.query.includes(name) || (o.credentialAt ?? (supplied.authAt ? [supplied.authAt] : [])).some((a) => a.in === 'query' && a.name === name);
  const suppliedCookie = (o: Op, name: string) => (o.credentialAt ?? (supplied.authAt ? [supplied.authAt] : [])).some((a) => a.in === 'cookie' && a.name === name);

  const build = (o: Op, live: Map<string, Op>): Draft => {
    const outcome = outcomeOf.get(o)!;
    outcome.invented = [];
    const others = [...live.values()].filter((x) => x !== o);
    const placeholderFor = (prop: string): string | undefined => {
      const p = producerForName(prop, others);
      return p ? `{${p.variable}}` : undefined;
    };
    const ctx = { resolve, placeholderFor };
    let path = o.path;
    const madeUp: string[] = [];
    const aliasOf = new Map<string, string>();
    for (const p of o.params.filter((x) => x.in === 'path')) {
      const producer = producerForPath(o, p.name, others);
      if (producer) {
        const keep = p.name !== producer.variable && !isGenericId(p.name) && IDENTIFIER.test(p.name) && !live.has(p.name);
        if (keep) {
          aliasOf.set(p.name, producer.variable!);
          if (!aliases.has(producer)) aliases.set(producer, new Set());
          aliases.get(producer)!.add(p.name);
        } else path = path.replace(`{${p.name}}`, `{${producer.variable}}`);
        continue;
      }
      const documented = documentedValue(p, resolve);
      const value = documented?.value ?? sample(p.schema ?? { type: 'string' }, ctx, p.name);
      if (!documented) outcome.invented.push(`path ${p.name}`);
      // A value nothing created may name nothing: "not found" is then a correct answer too.
      if (!documented?.closed) madeUp.push(documented ? `${p.name} from the document` : `${p.name} invented`);
      path = path.replace(`{${p.name}}`, encodeURIComponent(asText(value)));
    }
    const query: Record<string, string> = {};
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const p of o.params.filter((x) => x.required && x.in !== 'path')) {
      if (p.in === 'header' && (/^(accept|content-type|authorization)$/i.test(p.name) || suppliedHeader(o, p.name))) continue;
      if (p.in === 'query' && suppliedQuery(o, p.name)) continue;
      if (p.in === 'cookie' && suppliedCookie(o, p.name)) continue;
      const documented = documentedValue(p, resolve);
      let value = placeholderFor(p.name);
      if (value === undefined) {
        if (!documented) outcome.invented.push(`${p.in} ${p.name}`);
        value = asText(documented?.value ?? sample(p.schema ?? { type: 'string' }, ctx, p.name));
      }
      if (p.in === 'query') query[p.name] = value;
      else if (p.in === 'header') headers[p.name] = value;
      else cookies.push(`${p.name}=${value}`);
    }
    if (cookies.length) headers.cookie = cookies.join('; ');
    let body: unknown;
    if (o.body) {
      const { type, media } = o.body;
      const example = media.example ?? firstExample(media.examples, resolve);
      const value = example ?? sample(media.schema ?? {}, ctx, 'body');
      if (/json/i.test(type)) {
        body = value;
        if (type !== 'application/json') headers['content-type'] = type;
      } else {
        body = type.toLowerCase().startsWith(FORM) ? formBody(value) : asText(value);
        headers['content-type'] = type;
      }
    }
    const request = {
      method: o.method,
      path,
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(Object.keys(query).length ? { query } : {}),
      ...(body !== undefined ? { body } : {}),
    };
    const needs = placeholdersOf(request)
      .map((n) => aliasOf.get(n) ?? n)
      .filter((n) => live.has(n) && live.get(n) !== o);
    const line = options.file ? doc.lineOf(o.pointer) : undefined;
    const label = `${o.method} ${o.path}${madeUp.length ? `; ${madeUp.join(', ')}` : ''}`;
    return {
      o,
      needs,
      madeUp: madeUp.length > 0,
      scenario: {
        name: o.op.summary ? `${o.op.summary} (${label})` : label,
        request,
        expectStatus: madeUp.length && o.status !== 404 ? [o.status, 404] : [o.status],
        ...(isProducer(o, live) ? { save: { [o.variable!]: o.idPath! } } : {}),
        source: {
          kind: 'openapi',
          operationId: o.operationId,
          pointer: `#/${o.pointer.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`,
          ...(options.file ? { file: options.file } : {}),
          ...(line ? { line } : {}),
        },
      },
    };
  };

  // Build every draft. A create that fails to build is no producer; nor is one under a made-up parent
  // id (`POST /users/{user_id}/todos` with no user created): it may well answer 404 and save nothing,
  // so what follows it takes made-up values too rather than waiting for an id that will not come.
  // The drafts are then made again without it, until no producer is lost.
  const live = new Map(producers);
  let drafts: Draft[] = [];
  for (let round = 0; round < ops.length + 1; round++) {
    drafts = [];
    aliases.clear();
    let lost = false;
    for (const o of ops) {
      if (o.problem) continue;
      try {
        const draft = build(o, live);
        drafts.push(draft);
        if (draft.madeUp && isProducer(o, live)) {
          live.delete(o.variable!);
          lost = true;
        }
      } catch (err) {
        o.problem = `could not build a request: ${(err as Error).message}`;
        if (isProducer(o, live)) {
          live.delete(o.variable!);
          lost = true;
        }
      }
    }
    if (!lost) break;
  }

  for (const d of drafts) {
    const names = aliases.get(d.o);
    if (names && d.scenario.save && isProducer(d.o, live)) for (const n of names) d.scenario.save[n] = d.o.idPath!;
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
  for (const d of drafts) for (const n of d.needs) union(live.get(n)!, d.o);

  const draftOf = new Map(drafts.map((d) => [d.o, d]));
  // Dependency depth of each producer: creates that need other ids come after those creates.
  const depth = new Map<Op, number>();
  const depthOf = (o: Op, seen = new Set<Op>()): number => {
    if (depth.has(o)) return depth.get(o)!;
    if (seen.has(o)) return 0;
    seen.add(o);
    const d = draftOf.get(o);
    const needs = (d?.needs ?? []).map((n) => live.get(n)!).filter((p) => p !== o);
    const v = needs.length ? 1 + Math.max(...needs.map((p) => depthOf(p, seen))) : 0;
    depth.set(o, v);
    return v;
  };
  const rankOf = (d: Draft): number => {
    const own = isProducer(d.o, live) ? depthOf(d.o) : d.needs.length ? Math.max(...d.needs.map((n) => depthOf(live.get(n)!))) : 0;
    return d.o.kind === 'delete' ? -own : own;
  };

  const ids = options.ids ?? new IdAllocator();
  const chainName = new Map<Op, string>();
  const chainNames = new Set<string>();
  const needed = new Set(drafts.flatMap((d) => d.needs.map((n) => live.get(n)!)));
  const inChain = (d: Draft) => d.needs.length > 0 || needed.has(d.o);
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
      if (!chainName.has(root)) {
        // Named for the root resource; two chains never share a name (they would share variables).
        const base = `openapi:${root.segs[0] ?? 'root'}`;
        let name = base;
        for (let n = 2; chainNames.has(name); n++) name = `${base}-${n}`;
        chainNames.add(name);
        chainName.set(root, name);
      }
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
    const outcome = outcomeOf.get(d.o)!;
    outcome.scenarioId = s.id;
  }
  for (const o of ops) if (o.problem) outcomeOf.get(o)!.reason = o.problem;

  const unsatisfied = outcomes.filter((u) => !u.scenarioId && !u.excluded).map((u) => ({ method: u.method, path: u.path, operationId: u.operationId, reason: u.reason ?? 'no scenario' }));
  const excluded = outcomes.filter((u) => u.excluded).map((u) => `${u.method} ${u.path}`);
  return { scenarios, unsatisfied, excluded, operations: outcomes };
}

/** A name that can stand as a variable in a path template. */
const IDENTIFIER = /^[A-Za-z_]\w*$/;

function firstExample(examples: unknown, resolve: (s: unknown) => JsonSchema): unknown {
  if (!examples || typeof examples !== 'object') return undefined;
  const first = Array.isArray(examples) ? examples[0] : Object.values(examples)[0];
  const ex = resolve(first) as { value?: unknown };
  return ex?.value;
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

function responseSchema(op: Operation, status: number, resolve: (s: unknown) => JsonSchema): { schema: unknown; refName?: string } {
  const responses = op.responses ?? {};
  const res = resolve(responses[String(status)] ?? responses['2XX'] ?? responses['2xx']) as { content?: Record<string, { schema?: unknown }> };
  const media = Object.entries(res.content ?? {}).find(([t]) => /json/i.test(t))?.[1];
  const rawSchema = media?.schema as { $ref?: string } | undefined;
  const refName = typeof rawSchema?.$ref === 'string' ? rawSchema.$ref.split('/').pop() : undefined;
  return { schema: rawSchema ?? {}, refName };
}

/** Path segments without the query string and trailing slash. */
const requestSegments = (p: string) => segmentsOf(p.split('?')[0]);

/**
 * How well a scenario's path fits an operation's template: the number of literal segments that
 * agree, or -1 when it does not fit. `{x}` in the template fits any segment; `{x}` in the scenario
 * fits only a template parameter. A trailing slash makes no difference.
 */
export function templateFit(template: string, requestPath: string): number {
  const t = requestSegments(template);
  const r = requestSegments(requestPath);
  if (t.length !== r.length) return -1;
  let literal = 0;
  for (let i = 0; i < t.length; i++) {
    if (isParam(t[i])) continue;
    if (t[i].includes('{')) {
      const re = new RegExp(`^${t[i].split(/\{[^}]+\}/).map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
      if (!re.test(r[i])) return -1;
    } else if (t[i] !== r[i]) return -1;
    literal++;
  }
  return literal;
}

/** The operation a scenario exercises: same method, best-fitting template. */
export function operationFor<T extends { method: string; path: string }>(operations: T[], scenario: Scenario): T | undefined {
  let best: T | undefined;
  let bestFit = -1;
  for (const op of operations) {
    if (op.method !== scenario.request.method.toUpperCase()) continue;
    const fit = templateFit(op.path, scenario.request.path);
    if (fit > bestFit) {
      best = op;
      bestFit = fit;
    }
  }
  return best;
}

export interface Merged {
  scenarios: Scenario[];
  /** Derived scenario id → the file scenario that replaced it. */
  replacedBy: Map<string, Scenario>;
}

/**
 * File scenarios win over derived ones for the same operation (same method, a path that fits its
 * template); a winner takes the derived one's place in its chain, and its `save` when it has none
 * (or adds the derived variable when it saves the same value under another name).
 */
export function mergeScenarios(fromFile: Scenario[], derivation: Pick<Derivation, 'scenarios' | 'operations'>): Merged {
  const withScenario = derivation.operations.filter((o) => o.scenarioId);
  const replacedBy = new Map<string, Scenario>();
  for (const f of fromFile) {
    const op = operationFor(withScenario, f);
    if (op && !replacedBy.has(op.scenarioId!)) replacedBy.set(op.scenarioId!, f);
  }
  const kept: Scenario[] = [];
  for (const d of derivation.scenarios) {
    const f = replacedBy.get(d.id);
    if (!f) {
      kept.push(d);
      continue;
    }
    if (!f.chain && d.chain) {
      f.chain = d.chain;
      f.order = d.order;
    }
    if (!f.save && d.save) f.save = { ...d.save };
    else if (f.save && d.save) {
      const paths = new Set(Object.values(f.save));
      for (const [name, at] of Object.entries(d.save)) if (!Object.hasOwn(f.save, name) && paths.has(at)) f.save[name] = at;
    }
  }
  return { scenarios: [...fromFile, ...kept], replacedBy };
}
