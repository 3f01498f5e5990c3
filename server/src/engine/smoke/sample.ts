/**
 * Deterministic example values from JSON Schema (as found in OpenAPI 3.0/3.1 documents):
 * examples, defaults, enums and consts first; then formats (email, uuid, date-time, ...) and
 * bounds (minimum, minLength, ...). The same schema always gives the same value.
 */

export type JsonSchema = Record<string, unknown>;

export interface SampleContext {
  /** Resolve `{ $ref }` objects; returns the schema itself when it is not a reference. */
  resolve(schema: unknown): JsonSchema;
  /** A placeholder (`{cart_id}`) for a property name that names a saved id, if any. */
  placeholderFor?(property: string): string | undefined;
}

const FORMATS: Record<string, string> = {
  email: 'smoke@example.com',
  'idn-email': 'smoke@example.com',
  uuid: '00000000-0000-4000-8000-000000000001',
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '12:00:00',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': '/example',
  hostname: 'example.com',
  ipv4: '127.0.0.1',
  ipv6: '::1',
  password: 'Smoke-Passw0rd',
  byte: 'c21va2U=',
  binary: 'smoke',
  duration: 'P1D',
};

function typeOf(schema: JsonSchema): string | undefined {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined;
  if (typeof t === 'string') return t;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function fitNumber(schema: JsonSchema, integer: boolean): number {
  let lo = num(schema.minimum);
  let hi = num(schema.maximum);
  // OpenAPI 3.0: exclusiveMinimum is a boolean beside minimum; 3.1: a number.
  const exMin = schema.exclusiveMinimum;
  const exMax = schema.exclusiveMaximum;
  const step = integer ? 1 : 0.5;
  if (typeof exMin === 'number') lo = exMin + step;
  else if (exMin === true && lo !== undefined) lo += step;
  if (typeof exMax === 'number') hi = exMax - step;
  else if (exMax === true && hi !== undefined) hi -= step;
  let v = 1;
  if (lo !== undefined && v < lo) v = lo;
  if (hi !== undefined && v > hi) v = hi;
  const mult = num(schema.multipleOf);
  if (mult && mult > 0) v = Math.ceil(v / mult) * mult;
  return integer ? Math.ceil(v) : v;
}

/** A string matching simple patterns: literals, classes ([A-Z], \d, \w), and quantifiers. */
export function sampleFromPattern(pattern: string): string | undefined {
  let src = pattern.replace(/^\^/, '').replace(/\$$/, '');
  let out = '';
  const classSample = (cls: string): string | undefined => {
    if (cls === '\\d') return '1';
    if (cls === '\\w') return 'a';
    if (cls === '\\s') return ' ';
    if (cls === '.') return 'a';
    if (cls.startsWith('[')) {
      const body = cls.slice(1, -1);
      if (body.startsWith('^')) return negatedClassSample(body.slice(1));
      const range = /^(.)-(.)/.exec(body);
      if (range) return range[1];
      return body[0] === '\\' ? classSample(body.slice(0, 2)) : body[0];
    }
    return cls.length === 1 ? cls : cls[1];
  };
  while (src.length > 0) {
    const atom = /^(\[(?:\\.|[^\]])+\]|\\.|[^()|*+?{}\\[\]])/.exec(src);
    if (!atom) return undefined;
    src = src.slice(atom[0].length);
    const ch = classSample(atom[0]);
    if (ch === undefined) return undefined;
    let count = 1;
    const q = /^(\{(\d+)(,(\d*))?\}|\+|\*|\?)/.exec(src);
    if (q) {
      src = src.slice(q[0].length);
      if (q[0] === '*' || q[0] === '?') count = 0;
      else if (q[2] !== undefined) count = Number(q[2]);
    }
    out += ch.repeat(Math.min(count, 256));
  }
  return out;
}

/** A character a negated class like `[^@\s]` accepts, or undefined when none of the usual ones does. */
function negatedClassSample(body: string): string | undefined {
  let excluded: RegExp;
  try {
    excluded = new RegExp(`[${body}]`);
  } catch {
    return undefined;
  }
  return ['a', 'x', '1', '-', '_'].find((c) => !excluded.test(c));
}

/** Values a property's name suggests when the schema gives no format (`email`, `website`, ...). */
const NAME_HINTS: Array<[RegExp, string]> = [
  [/e-?mail/i, 'smoke@example.com'],
  [/(^|_)(url|uri|website|homepage|link)$/i, 'https://example.com/smoke'],
  [/phone/i, '+15550100'],
  [/uuid|guid/i, '00000000-0000-4000-8000-000000000000'],
  [/(^|_)date$/i, '2024-01-01'],
];

function fitLength(s: string, schema: JsonSchema): string {
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength);
  while (s.length < min) s += 'x';
  if (max !== undefined && s.length > max) s = s.slice(0, Math.max(max, min));
  return s;
}

/**
 * A string for `schema`: from its format, else from the property name, else built from its pattern,
 * else a readable `smoke-<name>`; the first candidate that satisfies the pattern and the lengths wins.
 */
function sampleString(schema: JsonSchema, hint: string): string {
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
  let re: RegExp | undefined;
  try {
    re = pattern ? new RegExp(pattern, 'u') : undefined;
  } catch {
    re = undefined;
  }
  const candidates = [
    format ? FORMATS[format] : undefined,
    NAME_HINTS.find(([name]) => name.test(hint))?.[1],
    pattern ? sampleFromPattern(pattern) : undefined,
    `smoke-${hint || 'value'}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-'),
  ].filter((c): c is string => c !== undefined);
  const fitted = candidates.map((c) => fitLength(c, schema));
  return fitted.find((c) => !re || re.test(c)) ?? fitted[0];
}

/** An example value for `schema`; `hint` is the property name, used for readable strings. */
export function sample(schemaIn: unknown, ctx: SampleContext, hint = '', depth = 0): unknown {
  if (depth > 12) return null;
  const schema = ctx.resolve(schemaIn);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum.find((v) => v !== null) ?? schema.enum[0];
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return sample(mergeAllOf(schema, ctx), ctx, hint, depth + 1);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const pick = options.find((o) => ctx.resolve(o).type !== 'null') ?? options[0];
      return sample(pick, ctx, hint, depth + 1);
    }
  }
  switch (typeOf(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      for (const name of required) {
        const placeholder = ctx.placeholderFor?.(name);
        out[name] = placeholder ?? sample(props[name] ?? {}, ctx, name, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = num(schema.minItems) ?? 0;
      return Array.from({ length: Math.max(1, min) }, () => sample(schema.items ?? {}, ctx, hint, depth + 1));
    }
    case 'integer':
      return fitNumber(schema, true);
    case 'number':
      return fitNumber(schema, false);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return sampleString(schema, hint);
    default:
      return sampleString(schema, hint);
  }
}

function mergeAllOf(schema: JsonSchema, ctx: SampleContext): JsonSchema {
  const merged: JsonSchema = { ...schema, allOf: undefined };
  const properties: Record<string, unknown> = { ...((schema.properties as object) ?? {}) };
  const required = new Set<string>(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  for (const part of schema.allOf as unknown[]) {
    const p = ctx.resolve(part);
    Object.assign(properties, (p.properties as object) ?? {});
    for (const r of Array.isArray(p.required) ? (p.required as string[]) : []) required.add(r);
    for (const [k, v] of Object.entries(p)) if (!(k in merged) || merged[k] === undefined) merged[k] = v;
  }
  delete merged.allOf;
  merged.properties = properties;
  merged.required = [...required];
  if (Object.keys(properties).length > 0) merged.type ??= 'object';
  return merged;
}
