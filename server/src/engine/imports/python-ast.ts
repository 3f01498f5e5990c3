import { z } from 'zod';
import { ANALYSE_SCRIPT } from './python-ast-script';
import { PythonHelperPool } from './python-helper';

/**
 * Python import analysis through Python's own parser: a script (python-ast-script.ts), served by a
 * long-lived `python3` helper (python-helper.ts), reads a module and answers, as JSON, every import
 * statement (with the span of each imported name in UTF-16 offsets, ready for JavaScript string
 * slicing), where it stands, whether each bound name is used in its scope, and why an import must be
 * left alone. Exact where a tokenizer would guess.
 */

const nameSchema = z.object({
  name: z.string(),
  asname: z.string().nullable(),
  bound: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  /** 1-based line of the name itself (a `# noqa` there covers it). */
  line: z.number().int(),
  reexport: z.boolean(),
  used: z.boolean(),
  /** Bound again later in the same scope: not the binding a use or an F401 report is about. */
  rebound: z.boolean(),
  /** The binding's rank among its scope's bindings, in source order (null for `*`). */
  order: z.number().int().nullable(),
  /** Something other than an import binds the name again later in the scope. */
  laterOther: z.boolean(),
});

const importSchema = z.object({
  kind: z.enum(['import', 'from']),
  module: z.string(),
  level: z.number().int(),
  line: z.number().int(),
  endLine: z.number().int(),
  start: z.number().int(),
  end: z.number().int(),
  scope: z.number().int(),
  scopeKind: z.enum(['module', 'function', 'class']),
  topLevel: z.boolean(),
  /** The statement list holding the statement (an id), and how many statements it holds. */
  body: z.number().int(),
  bodySize: z.number().int(),
  /** The compound statement owning that list (an id), null at module level. */
  group: z.number().int().nullable(),
  /** A statement of the module's body itself (not inside if/try/def). */
  direct: z.boolean(),
  guard: z.enum(['future', 'star', 'try-import-error']).nullable(),
  names: z.array(nameSchema),
});

const outputSchema = z.union([
  z.object({ ok: z.literal(true), imports: z.array(importSchema), all: z.array(z.string()), docstringEnd: z.number().int().nullable() }),
  z.object({ ok: z.literal(false), message: z.string(), line: z.number().int(), column: z.number().int() }),
]);

export type PythonAstOutput = z.infer<typeof outputSchema>;
export type PythonImportStatement = z.infer<typeof importSchema>;
export type PythonImportedName = z.infer<typeof nameSchema>;

export interface PythonAstOptions {
  /** The interpreter; `SMOKE_REPAIR_PYTHON` or `python3` by default. */
  python?: string;
  /** Time limit of one call (15 s): past it the call fails and the helper is restarted. */
  timeoutMs?: number;
  /** How long the helper stays without calls before it exits (60 s). */
  idleMs?: number;
}

/** The interpreter could not be run, or printed something that is not the expected JSON. */
export class PythonAnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PythonAnalysisError';
  }
}

const helpers = new PythonHelperPool({ script: ANALYSE_SCRIPT, purpose: 'analyse imports', error: (message) => new PythonAnalysisError(message) });

/**
 * Runs the analysis script on `source` in the interpreter's long-lived helper (started on the first
 * call). Syntax errors come back as `{ ok: false }`, located.
 */
export async function runPythonAst(source: string, options: PythonAstOptions = {}): Promise<PythonAstOutput> {
  const python = options.python ?? process.env.SMOKE_REPAIR_PYTHON ?? 'python3';
  const json = await helpers.call(python, source, { timeoutMs: options.timeoutMs ?? 15_000, idleMs: options.idleMs });
  const parsed = outputSchema.safeParse(json);
  if (!parsed.success) throw new PythonAnalysisError(`the import analysis printed unexpected JSON: ${parsed.error.message}`);
  return parsed.data;
}

/** Ends the analysis helpers (each answers its pending calls first); the next call starts a new one. */
export function closePythonHelpers(): Promise<void> {
  return helpers.close();
}
