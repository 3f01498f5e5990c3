import { z } from 'zod';
import { fixPlanSchema, MAX_OPERATIONS, OPERATION_TYPES, type OperationType } from '../../fixPlan';

/**
 * The FixPlan format in words, for the model's prompt. The structure (keys, which are required,
 * types, enums, bounds) is generated from `fixPlanSchema`, so the prompt cannot drift from what
 * the parser accepts; the hints below add meaning, and a test checks that every hint names a key
 * the schema has and every key of `details` has a hint.
 */

type JsonSchema = {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
};

/** What each operation type does, in one sentence. */
export const OPERATION_PURPOSES: Record<OperationType, string> = {
  add_dependency: 'add a package to a dependency manifest (requirements.txt, pyproject.toml, package.json)',
  pin_dependency: 'set the version of a package already in a manifest',
  sync_lockfile: 'bring a lockfile (package-lock.json) in line with the manifest beside it after a dependency change',
  remove_unused: 'remove imported names that the module never uses',
  add_import: 'import a name the module uses but never imports',
  include_router: 'include or mount a router (blueprint) that is defined but never registered on the app',
  update_route: "change a route's path to the documented one",
  set_status_code: "change the status code a route answers with",
  replace_pattern: 'replace a known wrong pattern from the anti-pattern catalog with its correct form',
  modify_code: 'replace one exact snippet of a file with new text (any other code change)',
};

/** Meaning of keys, by `key` for the plan, `operation.key` for every operation, `type.key` for details. */
export const FIELD_HINTS: Record<string, string> = {
  root_cause: 'what is wrong and why, in one or two sentences',
  category: 'the kind of fix',
  confidence: 'how sure you are that the plan fixes the failure',
  files: 'every file an operation touches, each once, relative to the workspace root with forward slashes',
  evidence: 'short facts from the failure or the code that support the plan',
  operations: 'the changes, in the order they are made',
  'operation.type': 'one of the operation types below',
  'operation.file': 'the file this operation changes; it must be one of "files"',
  'operation.rationale': 'why this change, in one sentence',
  'operation.evidence': 'facts that support this operation',
  'operation.details': 'the fields of this operation type, listed below',
  'add_dependency.name': 'the package name as the registry knows it (PyYAML, not yaml)',
  'add_dependency.version': 'version specifier such as ">=8,<9" or "^6.0.0"; leave it out for any version',
  'add_dependency.importName': 'the name the code imports, when it differs from the package name',
  'add_dependency.group': 'dependency group (Poetry group, "dev" for npm devDependencies, a PEP 621 extra)',
  'pin_dependency.name': 'the package name in the manifest',
  'pin_dependency.version': 'the version specifier to set',
  'sync_lockfile.manager': 'the package manager that owns the lockfile (npm)',
  'remove_unused.names': 'the imported names (as bound in the module) to remove',
  'remove_unused.line': '1-based line of the import statement',
  'remove_unused.notReexported': 'in a package __init__.py: true when no workspace module imports these names from the package (so they are not re-exports)',
  'add_import.name': 'the name that is not defined',
  'add_import.module': 'the module that provides it (uuid, app.services.pricing, ../text)',
  'add_import.style': '"module": import the module itself (import uuid); "named": import the name from the module; "default": default import',
  'include_router.framework': 'the web framework',
  'include_router.module': 'the module that defines the router, as the app file would import it (app.routers.reviews, ./routes/tags)',
  'include_router.router': 'the router\'s name in that module (router, bp), or "default" for module.exports',
  'include_router.mountPath': 'mount path, when the router has no prefix of its own',
  'update_route.method': 'HTTP method of the route',
  'update_route.from': 'the route path as the code has it',
  'update_route.to': 'the documented route path',
  'update_route.line': '1-based line of the route declaration',
  'update_route.target': '"route" (default): the route\'s own path; "mount": a mount path or router prefix (app.use path, prefix=, url_prefix=) that every route below it shares',
  'set_status_code.method': 'HTTP method of the route',
  'set_status_code.path': 'the route path',
  'set_status_code.from': 'the status the route answers with now',
  'set_status_code.to': 'the status it should answer with',
  'set_status_code.line': '1-based line of the route declaration',
  'replace_pattern.pattern': 'the anti-pattern catalog id',
  'replace_pattern.find': 'exact text copied from the file; it must occur exactly once in the file',
  'replace_pattern.replace': 'the text that takes its place',
  'modify_code.find':
    'exact text copied from the file (whole lines, with their indentation, without the line-number prefix of the excerpts); it must occur exactly once in the file',
  'modify_code.replace': 'the text that takes its place (same indentation style)',
};

let cached: JsonSchema | undefined;

/** The plan's JSON Schema as the model writes it (input side: before normalisation). */
export function planJsonSchema(): JsonSchema {
  cached ??= z.toJSONSchema(fixPlanSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return cached;
}

/** Operation type → its JSON Schema (an object with type, file, rationale, evidence, details). */
export function operationSchemas(): Map<string, JsonSchema> {
  const items = planJsonSchema().properties?.operations?.items;
  const variants = items?.oneOf ?? items?.anyOf ?? [];
  const out = new Map<string, JsonSchema>();
  for (const v of variants) {
    const t = v.properties?.type?.const;
    if (typeof t === 'string') out.set(t, v);
  }
  return out;
}

function typeWords(s: JsonSchema | undefined): string {
  if (!s) return 'any value';
  if (s.const !== undefined) return `exactly ${JSON.stringify(s.const)}`;
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeWords).join(' or ');
  switch (s.type) {
    case 'string':
      return s.minLength ? 'text (not empty)' : 'text';
    case 'number':
    case 'integer': {
      const word = s.type === 'integer' ? 'whole number' : 'number';
      const step = s.type === 'integer' ? 1 : 0;
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + step : undefined);
      let max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - step : undefined);
      if (max !== undefined && max >= Number.MAX_SAFE_INTEGER) max = undefined;
      const strict = s.type === 'number' && s.minimum === undefined && s.exclusiveMinimum !== undefined;
      if (min !== undefined && max !== undefined) return `${word} from ${min} to ${max}`;
      if (min !== undefined) return `${word}, ${strict ? 'above' : 'at least'} ${min}`;
      if (max !== undefined) return `${word}, at most ${max}`;
      return word;
    }
    case 'boolean':
      return 'true or false';
    case 'array': {
      const bounds =
        s.minItems !== undefined && s.maxItems !== undefined
          ? `${s.minItems} to ${s.maxItems} `
          : s.minItems
            ? `at least ${s.minItems} `
            : s.maxItems !== undefined
              ? `at most ${s.maxItems} `
              : '';
      return `list of ${bounds}${itemWords(s.items)}`;
    }
    case 'object':
      return 'object';
    default:
      return 'any value';
  }
}

function itemWords(s: JsonSchema | undefined): string {
  if (!s) return 'values';
  if (s.type === 'object' || (s.oneOf ?? s.anyOf)?.every((v) => v.type === 'object')) return 'objects';
  if (s.type === 'string' && !s.enum && s.const === undefined) return s.minLength ? 'texts (none empty)' : 'texts';
  return `values, each ${typeWords(s)}`;
}

function keyLine(key: string, s: JsonSchema, required: boolean, hint: string | undefined, indent: string): string {
  const presence = required ? 'required' : s.default !== undefined ? `optional, default ${JSON.stringify(s.default)}` : 'optional';
  return `${indent}- "${key}" (${presence}): ${typeWords(s)}${hint ? `. ${hint}` : ''}`;
}

/**
 * The plan format in words, with the operation types `allowed` (all by default) and at most
 * `maxOperations` operations.
 */
export function describePlanFormat(opts: { maxOperations?: number; allowed?: readonly OperationType[] } = {}): string {
  const root = planJsonSchema();
  const maxOps = Math.min(opts.maxOperations ?? MAX_OPERATIONS, MAX_OPERATIONS);
  const allowed = new Set(opts.allowed ?? OPERATION_TYPES);
  const lines: string[] = ['A FixPlan is ONE JSON object with exactly these keys, and no others:'];
  const required = new Set(root.required ?? []);
  for (const [key, s] of Object.entries(root.properties ?? {})) {
    const shown = key === 'operations' ? { ...s, maxItems: maxOps } : s;
    lines.push(keyLine(key, shown, required.has(key), FIELD_HINTS[key], ''));
  }

  const ops = operationSchemas();
  const first = ops.values().next().value;
  lines.push('', 'Each operation is an object with exactly these keys, and no others:');
  const opRequired = new Set(first?.required ?? []);
  for (const [key, s] of Object.entries(first?.properties ?? {})) {
    const shown = key === 'type' ? { type: 'string' } : key === 'details' ? { type: 'object' } : s;
    lines.push(keyLine(key, shown, opRequired.has(key), FIELD_HINTS[`operation.${key}`], ''));
  }

  lines.push('', 'Operation types ("type") and the keys of their "details" (no other keys are allowed in "details"):');
  for (const [type, s] of ops) {
    if (!allowed.has(type as OperationType)) continue;
    lines.push(`- ${type}: ${OPERATION_PURPOSES[type as OperationType] ?? ''}`);
    const details = s.properties?.details;
    const dRequired = new Set(details?.required ?? []);
    for (const [key, ds] of Object.entries(details?.properties ?? {})) {
      lines.push(keyLine(key, ds, dRequired.has(key), FIELD_HINTS[`${type}.${key}`], '    '));
    }
  }
  return lines.join('\n');
}
