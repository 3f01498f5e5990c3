import type { z } from 'zod';

/**
 * Plain-word descriptions of what a zod schema expects, and the schema found at a path,
 * so configuration errors say "expected a number between 100 and 599" instead of zod's jargon.
 */

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}

function def(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** Strip optional/default/pipe wrappers, keeping the first description met. */
function unwrap(schema: AnySchema): { schema: AnySchema; description?: string } {
  let s = schema;
  let description = s.description;
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out) s = def(d.in).type === 'transform' ? d.out : d.in;
    else break;
    description ??= s.description;
  }
  return { schema: s, description };
}

/** The sub-schema that validates the value at `path`, when the walk can follow it. */
export function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let s: AnySchema | undefined = root;
  for (const seg of path) {
    if (!s) return undefined;
    const d = def(unwrap(s).schema);
    if (d.type === 'object' && d.shape) s = d.shape[String(seg)];
    else if (d.type === 'array' && d.element) s = d.element;
    else if (d.type === 'record' && d.valueType) s = d.valueType;
    else return undefined;
  }
  return s;
}

/** Keys a strict mapping at `path` accepts. */
export function knownKeys(root: AnySchema, path: readonly PropertyKey[]): string[] {
  const s = schemaAt(root, path);
  if (!s) return [];
  const d = def(unwrap(s).schema);
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}

/** The description set on the schema at its place (through wrappers), if any. */
export function descriptionOf(schema: AnySchema | undefined): string | undefined {
  return schema ? unwrap(schema).description : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (indented `key: value` lines)',
  array: 'a list (lines starting with `- `)',
  record: 'a mapping (indented `key: value` lines)',
  null: 'nothing (null)',
  bigint: 'a whole number',
};

export function typeWords(type: string): string {
  return TYPE_WORDS[type] ?? `a ${type}`;
}

/** "a number between 100 and 599", "one of GET, POST", "a text", ... */
export function describeSchema(schema: AnySchema | undefined): string | undefined {
  if (!schema) return undefined;
  const { schema: inner, description } = unwrap(schema);
  if (description) return description;
  const d = def(inner);
  switch (d.type) {
    case 'enum':
      return `one of ${Object.values(d.entries ?? {}).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'literal':
      return (d.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    case 'union':
      return (d.options ?? []).map((o) => describeSchema(o) ?? 'a value').join(' or ');
    default:
      return TYPE_WORDS[d.type];
  }
}

/** How a found value reads in a message: `"20x"`, `30`, `a mapping`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
