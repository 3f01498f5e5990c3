import {
  addJsImport,
  addPythonImport,
  analyseJs,
  analysePython,
  ImportEditError,
  importLanguage,
  jsSyntaxOf,
  PYTHON_STDLIB_MODULES,
  removeJsNames,
  removePythonNames,
  type ImportKind,
  type PythonImport,
} from '../../imports';
import { PatchError, type Executor, type ExecutorContext } from '../../contracts';

/**
 * Executors of `remove_unused` and `add_import`: targeted edits of import statements. Everything
 * outside the edited statement stays byte-identical (line endings, comments, final newline).
 */

function fail(ctx: ExecutorContext, err: unknown): never {
  if (err instanceof ImportEditError) throw new PatchError(err.message, ctx.file, 0, err.line);
  throw err;
}

function languageOf(ctx: ExecutorContext) {
  const lang = importLanguage(ctx.file, ctx.exists ? ctx.text : undefined);
  if (!lang) throw new PatchError(`${ctx.file} is neither Python nor JavaScript/TypeScript`, ctx.file, 0);
  if (!ctx.exists) throw new PatchError(`${ctx.file} does not exist`, ctx.file, 0);
  return lang;
}

export const removeUnused: Executor<'remove_unused'> = async (op, ctx) => {
  const lang = languageOf(ctx);
  try {
    if (lang === 'python') {
      // A package's __init__ keeps its imports as re-exports, unless the plan checked that nobody imports them from it.
      const analysis = await analysePython(ctx.text, op.details.notReexported ? {} : { file: ctx.file });
      return removePythonNames(ctx.text, analysis, op.details.names, op.details.line);
    }
    return removeJsNames(ctx.text, analyseJs(ctx.text, ctx.file), op.details.names, op.details.line);
  } catch (err) {
    fail(ctx, err);
  }
};

/** stdlib / third-party / local, from the module path and the workspace's packages. */
async function pythonKindClassifier(ctx: ExecutorContext, extra: string[]): Promise<(module: string, level: number) => ImportKind> {
  const dirs: string[] = [''];
  const parts = ctx.file.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) dirs.push(parts.slice(0, i).join('/'));
  // Standard-library names are classified before local ones, so only the others are looked up,
  // all at once.
  const candidates = [...new Set(extra)].filter((root) => !PYTHON_STDLIB_MODULES.has(root));
  const found = await Promise.all(
    candidates.map(async (root) => {
      const paths = dirs.flatMap((d) => {
        const base = d ? `${d}/${root}` : root;
        return [`${base}/__init__.py`, `${base}.py`];
      });
      const texts = await Promise.all(paths.map((p) => ctx.read(p)));
      return texts.some((t) => t !== undefined) ? root : undefined;
    }),
  );
  const roots = new Set(found.filter((r): r is string => r !== undefined));
  return (module, level) => {
    const root = module.split('.')[0];
    if (level > 0) return 'local';
    if (PYTHON_STDLIB_MODULES.has(root)) return 'stdlib';
    return roots.has(root) ? 'local' : 'third-party';
  };
}

export const addImport: Executor<'add_import'> = async (op, ctx) => {
  const lang = languageOf(ctx);
  const { name, module, style } = op.details;
  try {
    if (lang === 'python') {
      if (!/^\.*[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$|^\.+$/.test(module)) throw new ImportEditError(`"${module}" is not a Python module path`);
      if (!/^[A-Za-z_]\w*$/.test(name)) throw new ImportEditError(`"${name}" is not a Python name`);
      if (style === 'default') throw new ImportEditError('Python has no default imports: use style "module" or "named"');
      if (style === 'module' && (module !== name || module.includes('.'))) throw new ImportEditError(`style "module" imports the module itself: name "${name}" must equal module "${module}"`);
      const analysis = await analysePython(ctx.text, { file: ctx.file });
      const level = /^\.*/.exec(module)![0].length;
      const roots = [...new Set([module, ...(analysis.ok ? analysis.imports.map((i) => (i.kind === 'from' ? i.module : i.names[0]?.name ?? '')) : [])])]
        .map((m) => m.replace(/^\.+/, '').split('.')[0])
        .filter(Boolean);
      const kindOf = await pythonKindClassifier(ctx, roots);
      const statement = style === 'module' ? `import ${module}` : `from ${module} import ${name}`;
      const classify = (imp: PythonImport) => kindOf(imp.kind === 'from' ? imp.module : imp.names[0]?.name ?? '', imp.level);
      return addPythonImport(ctx.text, analysis, { statement, kind: kindOf(module.slice(level), level), bound: name }, classify);
    }
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new ImportEditError(`"${name}" is not a JavaScript identifier`);
    if (/['"`\\\r\n]/.test(module)) throw new ImportEditError(`"${module}" is not a module specifier`);
    let syntax = jsSyntaxOf(ctx.file, ctx.text);
    if (/\.js$/.test(ctx.file) && !/\b(require|import|export)\b/.test(ctx.text)) {
      const pkg = await ctx.read('package.json');
      if (pkg && /"type"\s*:\s*"module"/.test(pkg)) syntax = 'esm';
    }
    return addJsImport(ctx.text, analyseJs(ctx.text, ctx.file), { name, module, style, syntax });
  } catch (err) {
    fail(ctx, err);
  }
};
