/**
 * The Python side of the import analysis (python-ast.ts runs it in a long-lived helper): a module's
 * import statements, where each stands, and whether each name it binds is used, read the way
 * ruff's F401 reads them.
 *
 * - Scopes as Python has them: a function (or lambda, or comprehension) sees the names of its
 *   enclosing scopes unless it binds them itself; a class body's names are invisible to its methods.
 * - A use is a load, a `del`, an augmented assignment, an `__all__` entry, or a name inside a string
 *   that holds a type: an annotation (`x: "Foo"`), a type argument (`Optional["Foo"]`), a TypeVar
 *   bound or constraint, a TypeAlias value, `cast`'s type, a NewType, NamedTuple or TypedDict
 *   field type. Strings in `Literal[...]` and `Annotated` metadata are values, not types.
 * - Only the last binding of a name in a scope can be reported unused: an import bound again later
 *   (in another branch, by an assignment, another import, a def) is `rebound`. `order` numbers the
 *   bindings of a scope in source order; `laterOther` says a later one is not an import (so it stays
 *   whatever is removed).
 * - Each statement tells the statement list it sits in (`body`, with its length) and the compound
 *   statement owning that list (`group`; null at module level): ruff replaces the last statement
 *   of a list with `pass`, and fixes one statement per compound statement and pass.
 */
export const ANALYSE_SCRIPT = String.raw`
import ast, re, sys

BASE_RECURSION = sys.getrecursionlimit()
DEEP_RECURSION = 10000

# Subscripted names whose arguments are types, so strings in them are forward references
# (typing's and collections.abc's generics, the builtin ones, the special forms).
GENERICS = frozenset('''
    AbstractSet AsyncContextManager AsyncGenerator AsyncIterable AsyncIterator Awaitable BinaryIO
    Callable ChainMap ClassVar Collection Concatenate Container ContextManager Coroutine Counter
    DefaultDict Deque Dict Final FrozenSet Generator Generic IO ItemsView Iterable Iterator KeysView
    List Mapping MappingView Match MutableMapping MutableSequence MutableSet NotRequired Optional
    OrderedDict Pattern Protocol ReadOnly Required Reversible Sequence Set TextIO Tuple Type TypeGuard
    TypeIs Union Unpack ValuesView AbstractContextManager AbstractAsyncContextManager
    Buffer Hashable Sized ByteString
    dict list set frozenset tuple type deque defaultdict
'''.split())
# Subscripts whose arguments are read as types (Literal's and Annotated's metadata are values).
TYPE_SUBSCRIPTS = GENERICS | {'Annotated', 'Literal'}

def terminal(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None

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

    def head(lineno, col):
        ln = lines[lineno - 1] if lineno - 1 < len(lines) else ''
        return ln.encode('utf-8', 'surrogatepass')[:col].decode('utf-8', 'surrogatepass')

    def off(lineno, col):
        return prefix16[lineno - 1] + u16(head(lineno, col))

    def starts_with(node, word):
        ln = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ''
        return ln[len(head(node.lineno, node.col_offset)):].startswith(word)

    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        return {'ok': False, 'message': str(e.msg), 'line': e.lineno or 1, 'column': e.offset or 1}
    except (ValueError, RecursionError, MemoryError) as e:
        return {'ok': False, 'message': str(e), 'line': 1, 'column': 1}

    scopes = []
    imports = []
    all_names = []
    bodies = [0]
    groups = [0]
    order = [0]

    def new_scope(kind, parent):
        scopes.append({'kind': kind, 'parent': parent, 'loads': set(), 'binds': set(), 'declared': set(), 'last': {}, 'other': {}})
        return len(scopes) - 1

    def load(scope, name):
        scopes[scope]['loads'].add(name)

    def bind(scope, name, by_import=False):
        # Bindings in source order: the last one of each name is the one that can be unused.
        order[0] += 1
        s = scopes[scope]
        s['binds'].add(name)
        s['last'][name] = order[0]
        if not by_import:
            s['other'][name] = order[0]
        return order[0]

    def binding_scope(scope):
        # An assignment expression in a comprehension binds in the enclosing function or module.
        while scopes[scope]['kind'] == 'comprehension':
            scope = scopes[scope]['parent']
        return scope

    def catches_import_error(handler):
        t = handler.type
        if t is None:
            return False
        names = t.elts if isinstance(t, ast.Tuple) else [t]
        return any(terminal(n) in ('ImportError', 'ModuleNotFoundError') for n in names)

    def collect_all(node):
        def strings(v):
            if isinstance(v, (ast.List, ast.Tuple, ast.Set)):
                for e in v.elts:
                    if isinstance(e, ast.Constant) and isinstance(e.value, str):
                        all_names.append(e.value)
            elif isinstance(v, ast.BinOp):
                strings(v.left); strings(v.right)
            elif isinstance(v, ast.Call) and terminal(v.func) in ('list', 'tuple') and len(v.args) == 1:
                strings(v.args[0])
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == '__all__' for t in targets) and node.value is not None:
                strings(node.value)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            # __all__.extend([...]) / .append("x"): ruff 0.8 does not read these; a name they
            # export is still exported, so it counts as used here.
            f = node.value.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == '__all__':
                for a in node.value.args:
                    if isinstance(a, ast.Constant) and isinstance(a.value, str):
                        all_names.append(a.value)
                    else:
                        strings(a)

    # ------------------------------------------------------------ expressions

    def parse_type_string(node, scope):
        text = node.value
        for candidate in (text.strip(), '(' + text + ')'):
            try:
                inner = ast.parse(candidate, mode='eval')
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            type_expr(inner.body, scope)
            return

    def type_expr(node, scope):
        """An expression that is a type: names in it are used, strings in it are types too."""
        if node is None:
            return
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                parse_type_string(node, scope)
            return
        if isinstance(node, ast.Subscript):
            type_expr(node.value, scope)
            kind = terminal(node.value)
            if kind == 'Literal':
                expr(node.slice, scope)
            elif kind == 'Annotated' and isinstance(node.slice, ast.Tuple) and node.slice.elts:
                type_expr(node.slice.elts[0], scope)
                for e in node.slice.elts[1:]:
                    expr(e, scope)
            else:
                type_expr(node.slice, scope)
            return
        if isinstance(node, (ast.Name, ast.Attribute, ast.Tuple, ast.List, ast.BinOp, ast.Starred)):
            if isinstance(node, ast.Name):
                load(scope, node.id)
                return
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    type_expr(child, scope)
            return
        expr(node, scope)

    def type_call(node, scope):
        # Calls that take types: strings in those places are forward references.
        kind = terminal(node.func)
        args = node.args
        if kind == 'cast' and args:
            type_expr(args[0], scope)
        elif kind == 'TypeVar':
            for a in args[1:]:
                type_expr(a, scope)
            for k in node.keywords:
                if k.arg == 'bound':
                    type_expr(k.value, scope)
        elif kind == 'NewType' and len(args) > 1:
            type_expr(args[1], scope)
        elif kind == 'NamedTuple' and len(args) > 1 and isinstance(args[1], (ast.List, ast.Tuple)):
            for field in args[1].elts:
                if isinstance(field, (ast.Tuple, ast.List)) and len(field.elts) == 2:
                    type_expr(field.elts[1], scope)
        elif kind == 'TypedDict' and len(args) > 1 and isinstance(args[1], ast.Dict):
            for v in args[1].values:
                type_expr(v, scope)

    def comprehension(node, scope):
        gens = node.generators
        # The first iterable is evaluated in the enclosing scope; the rest in the comprehension's own.
        expr(gens[0].iter, scope)
        inner = new_scope('comprehension', scope)
        for i, g in enumerate(gens):
            if i:
                expr(g.iter, inner)
            expr(g.target, inner)
            for cond in g.ifs:
                expr(cond, inner)
        if isinstance(node, ast.DictComp):
            expr(node.key, inner); expr(node.value, inner)
        else:
            expr(node.elt, inner)

    def arguments(args, scope, inner):
        for d in args.defaults + [d for d in args.kw_defaults if d is not None]:
            expr(d, scope)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [x for x in (args.vararg, args.kwarg) if x]:
            if a.annotation is not None:
                type_expr(a.annotation, scope)
            bind(inner, a.arg)

    def expr(node, scope):
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                bind(scope, node.id)
            else:
                load(scope, node.id)
            return
        if isinstance(node, ast.NamedExpr):
            expr(node.value, scope)
            if isinstance(node.target, ast.Name):
                bind(binding_scope(scope), node.target.id)
            return
        if isinstance(node, ast.Lambda):
            inner = new_scope('function', scope)
            arguments(node.args, scope, inner)
            expr(node.body, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            comprehension(node, scope)
            return
        if isinstance(node, ast.Subscript) and terminal(node.value) in TYPE_SUBSCRIPTS:
            type_expr(node, scope)
            return
        if isinstance(node, ast.Call):
            type_call(node, scope)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                expr(child, scope)
            elif isinstance(child, ast.keyword):
                expr(child.value, scope)

    def pattern(node, scope):
        # Captures bind; value patterns load.
        if isinstance(node, ast.MatchAs) or isinstance(node, ast.MatchStar):
            if node.name:
                bind(scope, node.name)
        if isinstance(node, ast.MatchMapping) and node.rest:
            bind(scope, node.rest)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.pattern):
                pattern(child, scope)
            elif isinstance(child, ast.expr):
                expr(child, scope)

    # ------------------------------------------------------------ statements

    def visit_import(node, scope, guard, body, group):
        is_from = isinstance(node, ast.ImportFrom)
        entry = {
            'kind': 'from' if is_from else 'import',
            'module': (node.module or '') if is_from else '',
            'level': node.level if is_from else 0,
            'line': node.lineno, 'endLine': node.end_lineno,
            'start': off(node.lineno, node.col_offset), 'end': off(node.end_lineno, node.end_col_offset),
            'scope': scope, 'scopeKind': scopes[scope]['kind'], 'topLevel': scopes[scope]['kind'] == 'module',
            'body': body[0], 'bodySize': body[1], 'group': group,
            'guard': guard, 'names': [], 'direct': id(node) in direct,
        }
        if is_from and node.module == '__future__':
            entry['guard'] = 'future'
        for a in node.names:
            seq = None
            if a.name == '*':
                entry['guard'] = entry['guard'] or 'star'
                bound = '*'
            else:
                bound = a.asname or (a.name if is_from else a.name.split('.')[0])
                seq = bind(scope, bound, True)
            entry['names'].append({
                'name': a.name, 'asname': a.asname, 'bound': bound, 'order': seq,
                'start': off(a.lineno, a.col_offset), 'end': off(a.end_lineno, a.end_col_offset),
                'line': a.lineno,
                'reexport': bool(a.asname) and a.asname == (a.name if is_from else a.name),
            })
        imports.append(entry)

    def block(stmts, scope, guard, group):
        bodies[0] += 1
        body = (bodies[0], len(stmts))
        for s in stmts:
            stmt(s, scope, guard, body, group)

    def new_group():
        groups[0] += 1
        return groups[0]

    def if_stmt(node, scope, guard, group):
        expr(node.test, scope)
        block(node.body, scope, guard, group)
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], ast.If) and starts_with(orelse[0], 'elif'):
            # An elif clause belongs to the same if statement (one statement for ruff).
            if_stmt(orelse[0], scope, guard, group)
        else:
            block(orelse, scope, guard, group)

    def stmt(node, scope, guard, body, parent_group):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            visit_import(node, scope, guard, body, parent_group)
            return
        if scopes[scope]['kind'] == 'module':
            collect_all(node)
        group = new_group()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                expr(d, scope)
            for tp in getattr(node, 'type_params', None) or []:
                expr(getattr(tp, 'bound', None), scope)
            inner = new_scope('function', scope)
            arguments(node.args, scope, inner)
            type_expr(node.returns, scope)
            bind(scope, node.name)
            # A function body runs later, outside any try around the definition.
            block(node.body, inner, None, group)
            return
        if isinstance(node, ast.ClassDef):
            for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                expr(d, scope)
            inner = new_scope('class', scope)
            block(node.body, inner, guard, group)
            bind(scope, node.name)
            return
        if isinstance(node, ast.If):
            if_stmt(node, scope, guard, group)
            return
        if isinstance(node, (ast.Try, getattr(ast, 'TryStar', ast.Try))):
            block(node.body, scope, 'try-import-error' if any(catches_import_error(h) for h in node.handlers) else guard, group)
            for h in node.handlers:
                expr(h.type, scope)
                if h.name:
                    bind(scope, h.name)
                block(h.body, scope, guard, group)
            block(node.orelse, scope, guard, group)
            block(node.finalbody, scope, guard, group)
            return
        if isinstance(node, (ast.For, ast.AsyncFor)):
            expr(node.iter, scope)
            expr(node.target, scope)
            block(node.body, scope, guard, group)
            block(node.orelse, scope, guard, group)
            return
        if isinstance(node, ast.While):
            expr(node.test, scope)
            block(node.body, scope, guard, group)
            block(node.orelse, scope, guard, group)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr(item.context_expr, scope)
                expr(item.optional_vars, scope)
            block(node.body, scope, guard, group)
            return
        if isinstance(node, getattr(ast, 'Match', ())):
            expr(node.subject, scope)
            for case in node.cases:
                pattern(case.pattern, scope)
                expr(case.guard, scope)
                block(case.body, scope, guard, group)
            return
        if isinstance(node, ast.AnnAssign):
            type_expr(node.annotation, scope)
            if node.value is not None:
                if terminal(node.annotation) == 'TypeAlias':
                    type_expr(node.value, scope)
                else:
                    expr(node.value, scope)
                expr(node.target, scope)
            elif not isinstance(node.target, ast.Name):
                expr(node.target, scope)
            return
        if isinstance(node, ast.AugAssign):
            expr(node.value, scope)
            if isinstance(node.target, ast.Name):
                load(scope, node.target.id)
            expr(node.target, scope)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            scopes[scope]['declared'].update(node.names)
            return
        if isinstance(node, getattr(ast, 'TypeAlias', ())):
            type_expr(node.value, scope)
            expr(node.name, scope)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                expr(child, scope)

    module_scope = new_scope('module', None)
    direct = set(id(s) for s in tree.body)
    body = tree.body
    doc_end = None
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        doc_end = off(body[0].end_lineno, body[0].end_col_offset)
    sys.setrecursionlimit(DEEP_RECURSION)
    try:
        block(tree.body, module_scope, None, None)
    except RecursionError:
        return {'ok': False, 'message': 'module too deeply nested to analyse', 'line': 1, 'column': 1}

    # What each scope reads from the scopes around it: its loads and its inner scopes', less the
    # names a function or comprehension binds itself (unless declared global or nonlocal). Scopes
    # are numbered parents first, so walking the numbers backwards sees every child before its parent.
    free = [None] * len(scopes)
    inner_free = [set() for _ in scopes]
    for i in range(len(scopes) - 1, -1, -1):
        s = scopes[i]
        names = s['loads'] | inner_free[i]
        if s['kind'] in ('function', 'comprehension'):
            names = names - (s['binds'] - s['declared'])
        free[i] = names
        if s['parent'] is not None:
            inner_free[s['parent']] |= names

    all_set = set(all_names)
    for imp in imports:
        sc = scopes[imp['scope']]
        visible = sc['loads'] | inner_free[imp['scope']]
        for n in imp['names']:
            b = n['bound']
            n['used'] = (b == '*' or b in visible or b in sc['declared'] or (imp['topLevel'] and b in all_set))
            n['rebound'] = n['order'] is not None and sc['last'].get(b) != n['order']
            # Whether something other than an import binds the name later (that binding stays).
            n['laterOther'] = n['order'] is not None and sc['other'].get(b, 0) > n['order']

    return {'ok': True, 'imports': imports, 'all': sorted(all_set), 'docstringEnd': doc_end}
`;
