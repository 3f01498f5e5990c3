import {
  analyseJs,
  analysePython,
  importLanguage,
  jsProviders,
  moduleOf,
  PythonAnalysisError,
  pythonProviders,
  type ImportCandidate,
} from '../../imports';
import type { Frame, Trace } from '../../model';
import type { NoPlan, PlanningContext, Rule } from '../../contracts';
import { innermostWorkspaceFrame } from '../../violations';
import type { FixPlanInput } from '../../fixPlan';

/**
 * Import rules.
 *
 * unused-import: a module that cannot be imported (ModuleNotFoundError / ImportError / Node's
 * "Cannot find module") raised on an import statement whose names nothing in its scope uses: the
 * fix is to delete the import, not to install the module. Must be asked before the
 * missing-dependency rule, which leaves this case alone.
 *
 * missing-import: a NameError / ReferenceError for a name that the standard library, the framework
 * or a workspace module provides: add the import.
 */

function missingModule(trace: Trace): { module?: string; name?: string } | undefined {
  const msg = trace.message;
  let m = /No module named '([^']+)'/.exec(msg);
  if (m) return { module: m[1] };
  m = /cannot import name '([^']+)' from '([^']+)'/.exec(msg);
  if (m) return { module: m[2], name: m[1] };
  m = /Cannot find (?:module|package) '([^']+)'/.exec(msg);
  if (m) return { module: m[1] };
  return undefined;
}

function raisingFrame(ctx: PlanningContext): Frame | undefined {
  const trace = ctx.violation.trace;
  return trace ? innermostWorkspaceFrame(trace) : undefined;
}

/**
 * Where the failing import is: the raising frame, or, when the loader names the importing file
 * instead of giving a frame (ES modules: "Cannot find package 'x' imported from /app/a.js"), the
 * import the violation was located on.
 */
function importSpot(ctx: PlanningContext): Pick<Frame, 'file' | 'line'> & { function?: string } | undefined {
  const frame = raisingFrame(ctx);
  if (frame) return frame;
  const v = ctx.violation;
  return v.locationKind === 'importer' && v.location ? { file: v.location.file, line: v.location.line } : undefined;
}

const no = (code: NoPlan['code'], reason: string): NoPlan => ({ code, reason });

export const unusedImportRule: Rule = {
  id: 'unused-import',
  applies(ctx) {
    const t = ctx.violation.trace;
    if (!t) return false;
    const cls = t.exceptionClass.split('.').pop() ?? '';
    const importFailure = cls === 'ModuleNotFoundError' || cls === 'ImportError' || /Cannot find (?:module|package) '/.test(t.message);
    return importFailure && importSpot(ctx) !== undefined;
  },
  async plan(ctx) {
    const trace = ctx.violation.trace!;
    const frame = importSpot(ctx)!;
    const missing = missingModule(trace);
    if (!missing?.module) return no('insufficient_evidence', `cannot tell which module failed from "${trace.message}"`);
    const text = await ctx.read(frame.file);
    if (text === undefined) return no('insufficient_evidence', `${frame.file} cannot be read`);
    const lang = importLanguage(frame.file, text);
    if (!lang) return no('not_applicable', `${frame.file} is neither Python nor JavaScript/TypeScript`);
    const where = `${frame.file}:${frame.line}`;
    let hits: Array<{ bound: string; used: boolean; keep?: string; statement: string }> = [];
    if (lang === 'python') {
      let analysis;
      try {
        analysis = await analysePython(text, { file: frame.file });
      } catch (err) {
        if (err instanceof PythonAnalysisError) return no('insufficient_evidence', err.message);
        throw err;
      }
      if (!analysis.ok) return no('insufficient_evidence', `${frame.file} does not parse (line ${analysis.line}: ${analysis.message})`);
      const root = missing.module.split('.')[0];
      for (const imp of analysis.imports.filter((i) => i.line <= frame.line && frame.line <= i.endLine)) {
        for (const n of imp.names) {
          const from = moduleOf(imp, n);
          const matches = missing.name
            ? imp.kind === 'from' && n.name === missing.name && from === missing.module
            : imp.level === 0 && (from === missing.module || from.split('.')[0] === root);
          if (matches) hits.push({ bound: n.bound, used: n.used, keep: n.keep, statement: text.slice(imp.start, imp.end) });
        }
      }
    } else {
      const analysis = analyseJs(text, frame.file);
      for (const imp of analysis.imports.filter((i) => i.line <= frame.line && frame.line <= i.endLine && i.module === missing.module)) {
        if (imp.sideEffect) return no('not_applicable', `${where}: \`${text.slice(imp.start, imp.end)}\` is a side-effect import; the module is wanted`);
        for (const n of imp.names) hits.push({ bound: n.bound, used: n.used, statement: text.slice(imp.start, imp.end) });
      }
    }
    hits = hits.filter((h, i) => hits.findIndex((o) => o.bound === h.bound) === i);
    if (hits.length === 0) return no('not_applicable', `${where} is not an import of \`${missing.module}\` that this rule can read`);
    const used = hits.filter((h) => h.used);
    if (used.length) return no('not_applicable', `\`${used.map((h) => h.bound).join('`, `')}\` from \`${missing.module}\` is used in its scope: the module is needed (a dependency problem)`);
    const kept = hits.filter((h) => h.keep);
    let notReexported = false;
    const packageNote: string[] = [];
    if (kept.length && kept.every((h) => h.keep === 'init-module')) {
      // A package's __init__ may import a name for others to import from the package: only when no
      // workspace module does is it unused. (It cannot be imported anyway: the module is missing.)
      const importer = await packageImporter(ctx, frame.file, kept.map((h) => h.bound));
      if (importer) return no('unsafe', `the import of \`${missing.module}\` at ${where} is left alone: ${importer} imports it from the package`);
      notReexported = true;
      packageNote.push(`no workspace module imports \`${kept.map((h) => h.bound).join('`, `')}\` from the package ${frame.file.replace(/\/__init__\.py$/, '')}: not a re-export`);
    } else if (kept.length) return no('unsafe', `the import of \`${missing.module}\` at ${where} is left alone (${kept[0].keep})`);
    const names = hits.map((h) => h.bound).sort();
    const scope = frame.function && frame.function !== '<module>' ? `function \`${frame.function}\`` : 'the module';
    const lint = lang === 'python' ? `ruff F401 would flag it: \`${names.join('`, `')}\` imported but unused` : `no-unused-vars would flag it: \`${names.join('`, `')}\` is defined but never used`;
    return {
      root_cause: `${where} imports \`${missing.module}\`, which is not installed (${trace.exceptionClass}), and nothing in ${scope} uses what it binds`,
      category: 'UNUSED_IMPORT',
      confidence: 0.95,
      files: [frame.file],
      operations: [
        {
          type: 'remove_unused',
          file: frame.file,
          details: { names, line: frame.line, ...(notReexported ? { notReexported } : {}) },
          rationale: `delete the unused import rather than add a dependency nothing needs`,
          evidence: [lint, `scope scan of ${scope} in ${frame.file}: no use of \`${names.join('`, `')}\``, ...packageNote, `raising line ${where}: \`${hits[0].statement.split(/\r?\n/)[0]}\``],
        },
      ],
      evidence: [`${trace.exceptionClass}: ${trace.message}`.slice(0, 300)],
    } satisfies FixPlanInput;
  },
};

/** A workspace module that imports one of `names` from the package whose `__init__.py` is `init` (`file:line`), if any. */
async function packageImporter(ctx: PlanningContext, init: string, names: string[]): Promise<string | undefined> {
  const dir = init.replace(/\/?__init__\.py$/, '');
  const pkg = dir.split('/').pop() ?? '';
  for (const f of ctx.files) {
    if (!f.endsWith('.py') || f === init) continue;
    const text = await ctx.read(f);
    if (!text) continue;
    const inside = dir === '' || f.startsWith(`${dir}/`);
    for (const name of names) {
      const patterns = [
        pkg ? new RegExp(`^[ \\t]*from[ \\t]+[\\w.]*\\b${pkg}[ \\t]+import[ \\t]+(\\([^)]*\\)|[^\\n]*)\\b${name}\\b`, 'm') : undefined,
        inside ? new RegExp(`^[ \\t]*from[ \\t]+\\.+[ \\t]+import[ \\t]+(\\([^)]*\\)|[^\\n]*)\\b${name}\\b`, 'm') : undefined,
        pkg ? new RegExp(`\\b${pkg}\\.${name}\\b`) : undefined,
      ];
      for (const re of patterns) {
        const m = re?.exec(text);
        if (m) return `${f}:${text.slice(0, m.index).split('\n').length}`;
      }
    }
  }
  return undefined;
}

function undefinedName(trace: Trace): string | undefined {
  const cls = trace.exceptionClass.split('.').pop();
  if (cls === 'NameError') return /name '([A-Za-z_]\w*)' is not defined/.exec(trace.message)?.[1];
  if (cls === 'ReferenceError') return /^([A-Za-z_$][\w$]*) is not defined/.exec(trace.message)?.[1];
  return undefined;
}

function describe(c: ImportCandidate, name: string, lang: 'python' | 'js'): string {
  if (lang === 'python') return c.style === 'module' ? `import ${c.module}` : `from ${c.module} import ${name}`;
  return c.style === 'named' ? `{ ${name} } from '${c.module}'` : `${name} from '${c.module}'`;
}

const BASE_CONFIDENCE = [0.9, 0.85, 0.8, 0.75, 0.65];

export const missingImportRule: Rule = {
  id: 'missing-import',
  applies(ctx) {
    const t = ctx.violation.trace;
    return !!t && undefinedName(t) !== undefined && raisingFrame(ctx) !== undefined;
  },
  async plan(ctx) {
    const trace = ctx.violation.trace!;
    const name = undefinedName(trace)!;
    const frame = raisingFrame(ctx)!;
    const text = await ctx.read(frame.file);
    if (text === undefined) return no('insufficient_evidence', `${frame.file} cannot be read`);
    const lang = importLanguage(frame.file, text);
    if (!lang) return no('not_applicable', `${frame.file} is neither Python nor JavaScript/TypeScript`);
    const providerCtx = { files: ctx.files, read: ctx.read };
    const candidates = lang === 'python' ? await pythonProviders(name, frame.file, text, providerCtx) : await jsProviders(name, frame.file, text, providerCtx);
    if (candidates.length === 0) {
      return no('insufficient_evidence', `nothing provides \`${name}\`: not a standard-library module or name, not a known framework name, not imported by any other workspace file, not defined at top level in any workspace module`);
    }
    const pick = candidates[0];
    // Preference 1.5 (the workspace's other files import it this way) is as sure as a framework name.
    let confidence = BASE_CONFIDENCE[Math.floor(pick.preference)] ?? 0.6;
    if (candidates.length > 1) confidence -= 0.15;
    const statement = describe(pick, name, lang);
    const others = candidates.slice(1).map((c) => `other candidate: ${describe(c, name, lang)} (${c.why})`);
    return {
      root_cause: `\`${name}\` is used at ${frame.file}:${frame.line} but never imported (${trace.exceptionClass}: ${trace.message})`.slice(0, 500),
      category: 'IMPORT',
      confidence: Math.round(confidence * 100) / 100,
      files: [frame.file],
      operations: [
        {
          type: 'add_import',
          file: frame.file,
          details: { name, module: pick.module, style: pick.style },
          rationale: `import \`${name}\`: ${statement}`,
          evidence: [`chosen: ${statement} (${pick.why})`, ...others, ...(lang === 'python' ? [`ruff F821 would flag it: undefined name \`${name}\``] : [])],
        },
      ],
      evidence: [`${trace.exceptionClass}: ${trace.message}`.slice(0, 300), `raising frame ${frame.file}:${frame.line}${frame.code ? `: ${frame.code.trim()}` : ''}`],
    } satisfies FixPlanInput;
  },
};
