import { z } from 'zod';
import { PythonAnalysisError } from './python-ast';
import { PythonHelperPool } from './python-helper';

/**
 * Names a Python module's functions and classes read that nothing binds: not a builtin, not bound
 * at module level (assignment, import, def, class, `global` + assignment), not local, not from an
 * enclosing function. What pyflakes reports as F821, read with Python's own `symtable`, so scopes
 * are exactly the interpreter's. A module with `from x import *` binds names nobody can list: it
 * gets no answer. Module-level reads are left out: a module that reads an unbound name at import
 * time does not start, and its trace says so.
 */
const SCRIPT = String.raw`
import ast, builtins, symtable

MODULE_NAMES = frozenset('__name__ __file__ __doc__ __package__ __spec__ __loader__ __builtins__ __path__ __annotations__ __dict__ __cached__'.split())

def _tables(t):
    yield t
    for c in t.get_children():
        yield from _tables(c)

def analyse(src):
    try:
        tree = ast.parse(src)
        top = symtable.symtable(src, '<module>', 'exec')
    except SyntaxError as e:
        return {'ok': False, 'message': str(e.msg), 'line': e.lineno or 1}
    except (ValueError, RecursionError, MemoryError) as e:
        return {'ok': False, 'message': str(e) or type(e).__name__, 'line': 1}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and any(a.name == '*' for a in n.names):
            return {'ok': True, 'star': True, 'undefined': []}
    bound = set(MODULE_NAMES) | set(dir(builtins))
    for s in top.get_symbols():
        if s.is_assigned() or s.is_imported() or s.is_namespace():
            bound.add(s.get_name())
    tables = [t for t in _tables(top) if t is not top]
    for t in tables:
        for s in t.get_symbols():
            if s.is_declared_global() and s.is_assigned():
                bound.add(s.get_name())
    nodes = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            nodes.setdefault((n.name, n.lineno), n)
    out = []
    for t in tables:
        node = nodes.get((t.get_name(), t.get_lineno()))
        for s in t.get_symbols():
            name = s.get_name()
            if not s.is_referenced() or not s.is_global() or name in bound:
                continue
            line = t.get_lineno()
            if node is not None:
                loads = [n.lineno for n in ast.walk(node) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
                if loads:
                    line = min(loads)
            out.append({'name': name, 'line': line, 'scope': t.get_name(), 'scopeKind': t.get_type(), 'scopeLine': t.get_lineno(),
                        'scopeEnd': getattr(node, 'end_lineno', None) if node is not None else None})
    out.sort(key=lambda u: (u['line'], u['name']))
    return {'ok': True, 'star': False, 'undefined': out}
`;

const undefinedSchema = z.object({
  name: z.string(),
  /** 1-based line of the first read in its scope. */
  line: z.number().int(),
  /** The function or class that reads it. */
  scope: z.string(),
  scopeKind: z.string(),
  /** Lines of that scope's `def`/`class` and its last line (null before Python 3.8). */
  scopeLine: z.number().int(),
  scopeEnd: z.number().int().nullable(),
});

const outputSchema = z.union([
  z.object({ ok: z.literal(true), star: z.boolean(), undefined: z.array(undefinedSchema) }),
  z.object({ ok: z.literal(false), message: z.string(), line: z.number().int() }),
]);

export type UndefinedPythonName = z.infer<typeof undefinedSchema>;
export type PythonNamesOutput = z.infer<typeof outputSchema>;

const helpers = new PythonHelperPool({ script: SCRIPT, purpose: 'find undefined names', error: (message) => new PythonAnalysisError(message) });

/** The names `source`'s functions and classes read that nothing binds, first read first. */
export async function undefinedPythonNames(source: string, options: { python?: string; timeoutMs?: number } = {}): Promise<PythonNamesOutput> {
  const python = options.python ?? process.env.SMOKE_REPAIR_PYTHON ?? 'python3';
  const json = await helpers.call(python, source, { timeoutMs: options.timeoutMs ?? 15_000 });
  const parsed = outputSchema.safeParse(json);
  if (!parsed.success) throw new PythonAnalysisError(`the undefined-name analysis printed unexpected JSON: ${parsed.error.message}`);
  return parsed.data;
}

/** Ends the helpers of this analysis (the next call starts a new one). */
export function closePythonNameHelpers(): Promise<void> {
  return helpers.close();
}
