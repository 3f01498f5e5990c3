import { z } from 'zod';

/**
 * Swagger 2.0 documents (what swagger-jsdoc writes for many Express apps, and older Flask
 * extensions) read as OpenAPI 3.0, so one derivation serves both: `in: body` and `in: formData`
 * parameters become the request body, a parameter's `type`/`format` its `schema`, a response's
 * `schema` its JSON content, `definitions` the components' schemas, `securityDefinitions` the
 * security schemes and `basePath` the server. Path keys and methods stay as written, so pointers
 * into the original text still find each operation.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export function isSwagger2(raw: unknown): boolean {
  return !!raw && typeof raw === 'object' && 'swagger' in raw;
}

const parameter = z.looseObject({
  name: z.string(),
  in: z.enum(['path', 'query', 'header', 'body', 'formData']),
  required: z.boolean().optional(),
});
const refOr = <T extends z.ZodType>(s: T) => z.union([z.looseObject({ $ref: z.string() }), s]);
const operation = z.looseObject({
  parameters: z.array(refOr(parameter)).optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
  consumes: z.array(z.string()).optional(),
  produces: z.array(z.string()).optional(),
});
const pathItem = z.looseObject({
  parameters: z.array(refOr(parameter)).optional(),
  ...Object.fromEntries(METHODS.map((m) => [m, operation.optional()])),
});

/** The parts of a Swagger 2.0 document this reader relies on; located errors come from this schema. */
export const swagger2Schema = z.looseObject({
  swagger: z.union([z.literal('2.0'), z.literal(2)], { message: 'Swagger version "2.0" (or an OpenAPI 3.x document with `openapi: 3.x`)' }),
  basePath: z.string().optional(),
  consumes: z.array(z.string()).optional(),
  produces: z.array(z.string()).optional(),
  paths: z.record(z.string().startsWith('/', 'a path starting with "/"'), pathItem),
  definitions: z.record(z.string(), z.unknown()).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  responses: z.record(z.string(), z.unknown()).optional(),
  securityDefinitions: z.record(z.string(), z.unknown()).optional(),
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** `#/definitions/X` → `#/components/schemas/X`, everywhere in a schema. */
function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === '$ref' && typeof x === 'string' ? x.replace(/^#\/definitions\//, '#/components/schemas/') : rewriteRefs(x);
  }
  return out;
}

/** Keywords a 2.0 non-body parameter shares with a schema. */
const SCHEMA_KEYS = ['type', 'format', 'items', 'enum', 'default', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'multipleOf', 'uniqueItems'];

export function swagger2ToOpenApi3(doc: z.infer<typeof swagger2Schema>): Obj {
  const global = (doc.parameters ?? {}) as Obj;
  const globalResponses = (doc.responses ?? {}) as Obj;
  /** Follow `#/parameters/X` (and `#/responses/X`) of the 2.0 document; 3.0 would name them differently. */
  const deref = (v: unknown, table: Obj, prefix: string): unknown => {
    for (let i = 0; i < 8 && isObj(v) && typeof v.$ref === 'string' && v.$ref.startsWith(prefix); i++) v = table[decodeURIComponent(v.$ref.slice(prefix.length))];
    return v;
  };

  const toParameter = (p: Obj): Obj => {
    const schema: Obj = {};
    for (const k of SCHEMA_KEYS) if (p[k] !== undefined) schema[k] = rewriteRefs(p[k]);
    const out: Obj = { name: p.name, in: p.in, required: p.in === 'path' ? true : p.required === true, schema };
    if (p.description !== undefined) out.description = p.description;
    if (p['x-example'] !== undefined) out.example = p['x-example'];
    return out;
  };

  const convertOperation = (op: Obj, shared: Obj[]): Obj => {
    const own = ((op.parameters as unknown[]) ?? []).map((p) => deref(p, global, '#/parameters/')).filter(isObj);
    const params = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
    const consumes = (op.consumes as string[] | undefined) ?? doc.consumes ?? ['application/json'];
    const produces = (op.produces as string[] | undefined) ?? doc.produces ?? ['application/json'];
    const out: Obj = { ...op };
    delete out.consumes;
    delete out.produces;
    out.parameters = params.filter((p) => p.in !== 'body' && p.in !== 'formData').map(toParameter);

    const body = params.find((p) => p.in === 'body');
    const form = params.filter((p) => p.in === 'formData');
    if (body) {
      const types = consumes.length ? consumes : ['application/json'];
      out.requestBody = { required: body.required === true, content: Object.fromEntries(types.map((t) => [t, { schema: rewriteRefs(body.schema ?? {}) }])) };
    } else if (form.length) {
      const multipart = form.some((p) => p.type === 'file') || (consumes.includes('multipart/form-data') && !consumes.includes('application/x-www-form-urlencoded'));
      const properties = Object.fromEntries(form.map((p) => [p.name as string, toParameter(p).schema]));
      const required = form.filter((p) => p.required === true).map((p) => p.name as string);
      out.requestBody = {
        required: required.length > 0,
        content: { [multipart ? 'multipart/form-data' : 'application/x-www-form-urlencoded']: { schema: { type: 'object', properties, required } } },
      };
    }

    const responses: Obj = {};
    for (const [code, r] of Object.entries((op.responses as Obj) ?? {})) {
      const res = deref(r, globalResponses, '#/responses/');
      if (!isObj(res)) continue;
      const converted: Obj = { description: res.description ?? '' };
      if (res.schema !== undefined) {
        const types = produces.filter((t) => /json/i.test(t));
        converted.content = Object.fromEntries((types.length ? types : ['application/json']).map((t) => [t, { schema: rewriteRefs(res.schema) }]));
      }
      responses[code] = converted;
    }
    out.responses = responses;
    return out;
  };

  const paths: Obj = {};
  for (const [p, item] of Object.entries(doc.paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map((x) => deref(x, global, '#/parameters/')).filter(isObj);
    const converted: Obj = {};
    for (const [k, v] of Object.entries(item)) {
      if (k === 'parameters') continue;
      converted[k] = (METHODS as readonly string[]).includes(k) && isObj(v) ? convertOperation(v, shared) : v;
    }
    paths[p] = converted;
  }

  const securitySchemes: Obj = {};
  for (const [name, def] of Object.entries(doc.securityDefinitions ?? {})) {
    if (!isObj(def)) continue;
    securitySchemes[name] = def.type === 'basic' ? { type: 'http', scheme: 'basic' } : def.type === 'oauth2' ? { type: 'oauth2', flows: {} } : def;
  }

  const out: Obj = { ...doc, openapi: '3.0.0', paths, 'x-converted-from': 'swagger 2.0' };
  for (const k of ['swagger', 'basePath', 'host', 'schemes', 'consumes', 'produces', 'definitions', 'parameters', 'responses', 'securityDefinitions']) delete out[k];
  if (doc.basePath && doc.basePath !== '/') out.servers = [{ url: doc.basePath }];
  out.components = { schemas: rewriteRefs(doc.definitions ?? {}), securitySchemes };
  return out;
}
