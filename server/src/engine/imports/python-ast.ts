import { z } from 'zod';
import { PythonHelperPool } from './python-helper';

/**
 * Python import analysis through Python's own parser: a small script, served by a long-lived
 * `python3` helper (python-helper.ts), reads a module and answers, as JSON, every import statement
 * (with the span of each imported name in UTF-16 offsets, ready for JavaScript string slicing),
 * whether each bound name is used in its scope, and why an import must be left alone. Exact where
 * a tokenizer would guess.
 */

const SCRIPT = String.raw`
import ast, re, sys

BASE_RECURSION = sys.getrecursionlimit()
DEEP_RECURSION = 10000

def analyse(src):
    sys.setrecursionlimit(BASE_RECURSION)
    starts = [0]
    for m in re.finditer(r'\r\n|\r|\n', src):
        starts.append(m.end())
    lines = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(src)
        lines.append(src[s:e])

    def u16(s):
        return len(s.encode('utf-16-le', 'surrogatepass')) // 2

    prefix16 = [0]
    for ln in lines:
        prefix16.append(prefix16[-1] + u16(ln))

    def off(lineno, col):
        ln = lines[lineno - 1] if lineno - 1 < len(lines) else ''
        head = ln.encode('utf-8', 'surrogatepass')[:col].decode('utf-8', 'surrogatepass')
        return prefix16[lineno - 1] + u16(head)

    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        return {'ok': False, 'message': str(e.msg), 'line': e.lineno or 1, 'column': e.offset or 1}
    except (ValueError, RecursionError, MemoryError) as e:
        return {'ok': False, 'message': str(e), 'line': 1, 'column': 1}

    scopes = []  # each: {'kind', 'parent', 'loads': set()}
    imports = []
    all_names = []

    def new_scope(kind, parent):
        scopes.append({'kind': kind, 'parent': parent, 'loads': set()})
        return len(scopes) - 1

    def catches_import_error(handler):
        t = handler.type
        if t is None:
            return False
        names = t.elts if isinstance(t, ast.Tuple) else [t]
        for n in names:
            name = n.attr if isinstance(n, ast.Attribute) else getattr(n, 'id', None)
            if name in ('ImportError', 'ModuleNotFoundError'):
                return True
        return False

    def is_type_checking(test):
        if isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING':
            return True
        if isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING':
            return True
        return False

    def string_annotation(node, scope):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value.strip(), mode='eval')
            except Exception:
                return
            for n in ast.walk(inner):
                if isinstance(n, ast.Name):
                    scopes[scope]['loads'].add(n.id)
        elif node is not None:
            for n in ast.walk(node):
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and n is not node:
                    string_annotation(n, scope)

    def collect_all(node):
        def strings(v):
            if isinstance(v, (ast.List, ast.Tuple, ast.Set)):
                for e in v.elts:
                    if isinstance(e, ast.Constant) and isinstance(e.value, str):
                        all_names.append(e.value)
            elif isinstance(v, ast.BinOp):
                strings(v.left); strings(v.right)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == '__all__' for t in targets) and node.value is not None:
                strings(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            f = node.value.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == '__all__':
                for a in node.value.args:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str):
                        all_names.append(a.value)
                    else:
                        strings(a)

    def visit_import(node, scope, guard, alone):
        is_from = isinstance(node, ast.ImportFrom)
        entry = {
            'kind': 'from' if is_from else 'import',
            'module': (node.module or '') if is_from else '',
            'level': node.level if is_from else 0,
            'line': node.lineno, 'endLine': node.end_lineno,
            'start': off(node.lineno, node.col_offset), 'end': off(node.end_lineno, node.end_col_offset),
            'scope': scope, 'topLevel': scopes[scope]['kind'] == 'module', 'alone': alone,
            'guard': guard, 'names': [], 'direct': id(node) in direct,
        }
        if is_from and node.module == '__future__':
            entry['guard'] = 'future'
        for a in node.names:
            if a.name == '*':
                entry['guard'] = entry['guard'] or 'star'
                bound = '*'
            elif a.asname:
                bound = a.asname
            else:
                bound = a.name if is_from else a.name.split('.')[0]
            entry['names'].append({
                'name': a.name, 'asname': a.asname, 'bound': bound,
                'start': off(a.lineno, a.col_offset), 'end': off(a.end_lineno, a.end_col_offset),
                'reexport': bool(a.asname) and a.asname == (a.name if is_from else a.name),
            })
        imports.append(entry)

    def visit_block(stmts, scope, guard):
        for s in stmts:
            visit(s, scope, guard, len(stmts) == 1)

    def visit(node, scope, guard, alone=False):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            visit_import(node, scope, guard, alone)
            return
        if scopes[scope]['kind'] == 'module':
            collect_all(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                visit(d, scope, guard)
            args = node.args
            for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
                visit(d, scope, guard)
            for a in args.posonlyargs + args.args + args.kwonlyargs + [x for x in (args.vararg, args.kwarg) if x]:
                if a.annotation is not None:
                    visit(a.annotation, scope, guard)
                    string_annotation(a.annotation, scope)
            if node.returns is not None:
                visit(node.returns, scope, guard)
                string_annotation(node.returns, scope)
            for tp in getattr(node, 'type_params', []) or []:
                visit(tp, scope, guard)
            inner = new_scope('function', scope)
            visit_block(node.body, inner, guard)
            return
        if isinstance(node, ast.Lambda):
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                visit(d, scope, guard)
            inner = new_scope('function', scope)
            visit(node.body, inner, guard)
            return
        if isinstance(node, ast.ClassDef):
            for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                visit(d, scope, guard)
            inner = new_scope('class', scope)
            visit_block(node.body, inner, guard)
            return
        if isinstance(node, ast.AnnAssign):
            string_annotation(node.annotation, scope)
        if isinstance(node, (ast.Try, getattr(ast, 'TryStar', ast.Try))):
            g = 'try-import-error' if any(catches_import_error(h) for h in node.handlers) else guard
            visit_block(node.body, scope, g)
            for h in node.handlers:
                if h.type is not None:
                    visit(h.type, scope, guard)
                visit_block(h.body, scope, guard)
            visit_block(node.orelse, scope, guard)
            visit_block(node.finalbody, scope, guard)
            return
        if isinstance(node, ast.If) and is_type_checking(node.test):
            visit(node.test, scope, guard)
            visit_block(node.body, scope, 'type-checking')
            visit_block(node.orelse, scope, guard)
            return
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Store):
                scopes[scope]['loads'].add(node.id)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            for n in node.names:
                scopes[scope]['loads'].add(n)
            return
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                if value and all(isinstance(v, ast.stmt) for v in value):
                    visit_block(value, scope, guard)
                else:
                    for v in value:
                        if isinstance(v, ast.AST):
                            visit(v, scope, guard)
            elif isinstance(value, ast.AST):
                visit(value, scope, guard)

    module_scope = new_scope('module', None)
    direct = set(id(s) for s in tree.body)
    body = tree.body
    doc_end = None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        doc_end = off(body[0].end_lineno, body[0].end_col_offset)
    sys.setrecursionlimit(DEEP_RECURSION)
    try:
        visit_block(tree.body, module_scope, None)
    except RecursionError:
        return {'ok': False, 'message': 'module too deeply nested to analyse', 'line': 1, 'column': 1}

    children = {i: [] for i in range(len(scopes))}
    for i, s in enumerate(scopes):
        if s['parent'] is not None:
            children[s['parent']].append(i)

    def visible_loads(scope):
        seen = set(scopes[scope]['loads'])
        if scopes[scope]['kind'] == 'class':
            return seen
        stack = list(children[scope])
        while stack:
            c = stack.pop()
            seen |= scopes[c]['loads']
            stack.extend(children[c])
        return seen

    cache = {}
    for imp in imports:
        sc = imp['scope']
        if sc not in cache:
            cache[sc] = visible_loads(sc)
        loads = cache[sc]
        for n in imp['names']:
            n['used'] = n['bound'] == '*' or n['bound'] in loads or (imp['topLevel'] and n['bound'] in all_names)

    return {'ok': True, 'imports': imports, 'all': sorted(set(all_names)), 'docstringEnd': doc_end}
`;

const nameSchema = z.object({
  name: z.string(),
  asname: z.string().nullable(),
  bound: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  reexport: z.boolean(),
  used: z.boolean(),
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
  topLevel: z.boolean(),
  alone: z.boolean(),
  /** A statement of the module's body itself (not inside if/try/def). */
  direct: z.boolean(),
  guard: z.enum(['future', 'star', 'try-import-error', 'type-checking']).nullable(),
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

const helpers = new PythonHelperPool({ script: SCRIPT, purpose: 'analyse imports', error: (message) => new PythonAnalysisError(message) });

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
