import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { LocatedError } from '../model';
import { configSchema, CONFIG_FILE, type SmokeConfig } from './schema';
import { literalCredentialWarnings } from './credentials';
import { descriptionOf, describeSchema, describeValue, knownKeys, schemaAt, typeWords } from './describe';
import { formatPath, keyNodeAt, lookup, positionOf, type PathKey } from './locate';
import { closest } from './suggest';

export * from './schema';
export { credentialPlaces, literalSecrets, type CredentialPlace } from './credentials';

/**
 * Reading `smoke-repair.yaml`: YAML with positions, validated by the zod schema, every problem
 * turned into a LocatedError (file, 1-based line and column, plain words, a remedy when obvious).
 * Nothing here throws on bad input.
 */

export type LoadedConfig =
  | {
      ok: true;
      config: SmokeConfig;
      file: string;
      /** 1-based line of each entry of `scenarios`, in order. */
      scenarioLines: number[];
      text: string;
      /** Credentials written into the file (docs/configuration.md, "Secrets stay secret"): valid, but better read from the environment. */
      warnings: LocatedError[];
    }
  | { ok: false; file: string; errors: LocatedError[] };

const DOCS_HINT = 'docs/configuration.md lists every key with an example';

/** Load the configuration of `workspace` (from `file`, relative or absolute, or `smoke-repair.yaml`). */
export async function loadConfig(workspace: string, file?: string): Promise<LoadedConfig> {
  const full = path.resolve(workspace, file ?? CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `no configuration file at ${full}`
        : code === 'EISDIR'
          ? `${full} is a folder, expected a YAML file`
          : `cannot read ${full}: ${(err as Error).message}`;
    const remedy =
      code === 'ENOENT'
        ? `create ${CONFIG_FILE} in the workspace root with at least \`app: { baseUrl: http://127.0.0.1:8000 }\`; ${DOCS_HINT}`
        : `check the file's permissions; ${DOCS_HINT}`;
    return { ok: false, file: full, errors: [new LocatedError(message, full, 1, 1, remedy)] };
  }
  return parseConfigText(text, full);
}

/** Validate configuration text (e.g. an unsaved editor buffer). `file` is used in error locations only. */
export function parseConfigText(text: string, file: string): LoadedConfig {
  try {
    return parseUnsafe(text, file);
  } catch (err) {
    // A defect in this module must still not crash the caller: report it at the top of the file.
    return {
      ok: false,
      file,
      errors: [new LocatedError(`could not read the configuration: ${(err as Error)?.message ?? String(err)}`, file, 1, 1, DOCS_HINT)],
    };
  }
}

function parseUnsafe(text: string, file: string): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One error per line, and only the first few: later ones are mostly echoes of the first.
    const seen = new Set<number>();
    const errors = doc.errors
      .map((e) => yamlError(e, file, lines))
      .filter((e) => !seen.has(e.line) && seen.add(e.line))
      .slice(0, 5);
    return { ok: false, file, errors };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, file, errors: [new LocatedError(`YAML: ${(err as Error).message}`, file, 1, 1)] };
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    const pos = positionOf(doc.contents as Node | null, lines);
    return {
      ok: false,
      file,
      errors: [
        new LocatedError(`expected a mapping of settings (app:, scenarios:, ...), got ${describeValue(data)}`, file, pos.line, pos.column, DOCS_HINT),
      ],
    };
  }
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) => issueErrors(issue, doc, data, lines, file));
    errors.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, file, errors };
  }
  return { ok: true, config: parsed.data, file, scenarioLines: scenarioLines(doc, lines), text, warnings: literalCredentialWarnings(parsed.data, doc, lines, file) };
}

function scenarioLines(doc: Document, lines: LineCounter): number[] {
  const { node, depth } = lookup(doc, ['scenarios']);
  if (depth !== 1 || !isSeq(node)) return [];
  return node.items.map((item) => positionOf(item as Node, lines).line);
}

function yamlError(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]]; pos: [number, number] }, file: string, lines: LineCounter): LocatedError {
  const at = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
  const first = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const remedy = /flow-map-start|flow-seq-start/.test(first)
    ? 'a `{` or `[` inside a value starts a nested mapping or list: put the value in quotes, e.g. "/carts/{cart_id}"'
    : /tab/i.test(first)
    ? 'indent with spaces, not tabs'
    : /duplicate/i.test(first) || /unique/i.test(first)
      ? 'keep one of the two keys'
      : /indent|mapping|collection/i.test(first)
        ? 'check the indentation: nested keys go two spaces further in than their parent'
        : undefined;
  return new LocatedError(`YAML syntax: ${first}`, file, at.line, at.col, remedy);
}

function valueAt(data: unknown, p: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let v: unknown = data;
  for (const seg of p) {
    if (v === null || typeof v !== 'object' || !(String(seg) in (v as object))) return { found: false, value: undefined };
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return { found: true, value: v };
}

function locate(doc: Document, p: readonly PathKey[], lines: LineCounter): { line: number; column: number } {
  return positionOf(lookup(doc, p).node, lines);
}

type Issue = z.core.$ZodIssue;

function issueErrors(issue: Issue, doc: Document, data: unknown, lines: LineCounter, file: string): LocatedError[] {
  const p = issue.path.filter((s): s is PathKey => typeof s === 'string' || typeof s === 'number');
  const where = formatPath(p);

  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(configSchema, p);
    return issue.keys.map((key) => {
      const keyNode = keyNodeAt(doc, p, key);
      const pos = keyNode ? positionOf(keyNode, lines) : locate(doc, p, lines);
      const guess = closest(key, known);
      const remedy = guess
        ? `did you mean "${guess}"?`
        : known.length > 0
          ? `keys allowed here: ${known.join(', ')}`
          : undefined;
      return new LocatedError(`${where}: unknown key "${key}"`, file, pos.line, pos.column, remedy);
    });
  }

  const at = valueAt(data, p);
  if (!at.found && p.length > 0) {
    // A required key is absent: point at the mapping that should hold it.
    const parent = p.slice(0, -1);
    const key = String(p[p.length - 1]);
    const expected = describeSchema(schemaAt(configSchema, p));
    const pos = locate(doc, parent, lines);
    return [
      new LocatedError(
        `${formatPath(parent)}: missing key "${key}"${expected ? ` (expected ${expected})` : ''}`,
        file,
        pos.line,
        pos.column,
        `add \`${key}:\` here; ${DOCS_HINT}`,
      ),
    ];
  }

  if (issue.code === 'invalid_key') {
    const parent = p.slice(0, -1);
    const key = String(p[p.length - 1]);
    const pos = positionOf(keyNodeAt(doc, parent, key) ?? lookup(doc, parent).node, lines);
    const why = issue.issues.map((i) => i.message).join('; ');
    return [new LocatedError(`${formatPath(parent)}: "${key}" is not a valid key (${why})`, file, pos.line, pos.column)];
  }

  const pos = locate(doc, p, lines);
  const got = describeValue(at.value);
  const here = schemaAt(configSchema, p);
  const expectedHere = issue.code === 'too_small' || issue.code === 'too_big' ? descriptionOf(here) : describeSchema(here);
  const message = issue.code === 'custom' ? `${where}: ${issue.message}` : `${where}: ${expectation(issue, expectedHere, at.value)}, got ${got}`;
  const remedy = remedyFor(issue, at.value);
  return [new LocatedError(message, file, pos.line, pos.column, remedy)];
}

function expectation(issue: Issue, expectedHere: string | undefined, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${expectedHere ?? typeWords(issue.expected)}`;
    case 'too_small':
    case 'too_big': {
      if (expectedHere && issue.origin === 'number') return `expected ${expectedHere}`;
      const small = issue.code === 'too_small';
      const bound = Number(small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum);
      const inclusive = issue.inclusive !== false;
      const cmp = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
      if (issue.origin === 'string') return bound === 1 && small ? 'expected a non-empty text' : `expected a text of ${cmp} ${bound} characters`;
      if (issue.origin === 'array') return `expected a list with ${cmp} ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
      return `expected a number ${cmp} ${bound}`;
    }
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}`;
    case 'invalid_format':
      if (issue.format === 'url') return 'expected an http:// or https:// URL';
      if (issue.format === 'starts_with') return `expected a text starting with ${JSON.stringify((issue as { prefix?: string }).prefix ?? '')}`;
      return issue.message.startsWith('Invalid') ? `expected ${expectedHere ?? `a text in ${issue.format} format`}` : `expected ${issue.message}`;
    case 'invalid_union':
      return `expected ${expectedHere ?? 'a different kind of value'}`;
    case 'invalid_key':
      return `a key is not valid (${issue.issues.map((i) => i.message).join('; ')})`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`;
    default:
      void value;
      return issue.message;
  }
}

function remedyFor(issue: Issue, value: unknown): string | undefined {
  if (issue.code === 'invalid_value' && typeof value === 'string') {
    const guess = closest(value.toUpperCase(), issue.values.map(String));
    if (guess) return `did you mean "${guess}"?`;
  }
  if (issue.code === 'invalid_format' && issue.format === 'starts_with' && typeof value === 'string') {
    return `write "/${value.replace(/^\/*/, '')}"`;
  }
  if (issue.code === 'invalid_type' && issue.expected === 'number' && typeof value === 'string' && /^\d+$/.test(value.trim())) {
    return `write ${value.trim()} without quotes`;
  }
  return undefined;
}
