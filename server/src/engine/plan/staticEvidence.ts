import { builtinModules } from 'node:module';
import { analyseJs, analysePython, PYTHON_STDLIB_MODULES, undefinedJsNames, undefinedPythonNames, type UndefinedPythonName } from '../imports';
import { findDeclaration, findManifests, type ManifestRef } from '../deps/manifest';
import type { Trace } from '../model';
import { pythonWorkspaceModule } from './rules/dependency';
import type { PlanningContext } from '../contracts';
import { findRoute, loadRouteTable, type RouteSite } from '../routes';
import { languageOf, lineOfOffset, lineStarts } from '../routes/syntax';

/**
 * Evidence from the code when the app gave none: an app that answers 500 and logs no trace (an
 * error handler that answers `{"error": "internal server error"}`, logging turned off) still has a
 * handler the route table can find, and a developer would open it and see what the editor
 * underlines. The handler's module is read the way pyflakes and ESLint read it: a name its
 * functions read that nothing binds (F821, no-undef), and in Python an import inside the handler
 * that binds a name nobody uses of a module that is neither the standard library's nor the
 * workspace's. Each finding becomes the trace the
 * app would have logged (`NameError: name 'g' is not defined` on the line that reads it), marked
 * as read from the code, for the rules to plan from; validation then shows whether it was the cause.
 */

export interface StaticFinding {
  trace: Trace;
  /** What was read where, for the plan's evidence. */
  evidence: string;
}

export type StaticEvidence = { findings: StaticFinding[]; handler: string } | { findings: []; reason: string };

/** At most this many findings are planned from, handler's own first. */
const MAX_FINDINGS = 3;

/** A failure with no trace that code can explain: a server error. */
export function wantsStaticEvidence(ctx: PlanningContext): boolean {
  const v = ctx.violation;
  return !v.trace && typeof v.method === 'string' && typeof v.path === 'string' && v.actualStatus >= 500 && v.actualStatus <= 599;
}

function syntheticTrace(exceptionClass: string, message: string, file: string, line: number, fn: string, language: Trace['language'] = 'python'): Trace {
  const frame = { file, rawFile: file, line, function: fn, inWorkspace: true };
  return { language, exceptionClass, message, frames: [frame], causes: [], text: `${exceptionClass}: ${message}` };
}

export async function staticEvidence(ctx: PlanningContext): Promise<StaticEvidence> {
  const v = ctx.violation;
  const table = await loadRouteTable(ctx, ctx.config);
  const hit = findRoute(table.routes, v.method.toUpperCase(), v.path).best;
  if (!hit || !hit.item.mounted) return { findings: [], reason: `no route the app serves answers ${v.method.toUpperCase()} ${v.path}, so no handler to read` };
  const site = hit.item.site;
  const text = await ctx.read(site.file);
  if (text === undefined) return { findings: [], reason: `${site.file} cannot be read` };
  const handler = `${site.file}:${site.handlerLine}`;
  const starts = lineStarts(text);
  const handlerEnd = lineOfOffset(starts, Math.max(site.handlerStart, site.handlerEnd - 1)) + 1;
  const inHandler = (line: number) => line >= site.handlerLine && line <= handlerEnd;
  const handlerFirst = <T extends { line: number }>(list: T[]) => [...list.filter((u) => inHandler(u.line)), ...list.filter((u) => !inHandler(u.line))];
  const nothing = `the handler at ${handler} and its module read no undefined name`;
  if (languageOf(site.file) === 'js') {
    const names = undefinedJsNames(site.file, text);
    if (!names.ok) return { findings: [], reason: `${site.file}:${names.line} is not read (${names.message})` };
    const findings = handlerFirst(names.undefined).map((u) => ({
      trace: syntheticTrace('ReferenceError', `${u.name} is not defined`, site.file, u.line, '', 'node'),
      evidence: `read from the code: ${site.file}:${u.line} reads \`${u.name}\` in a function, and nothing binds it (the app answered ${v.actualStatus} and logged no trace; the handler is at ${handler})`,
    }));
    findings.push(...(await unusedJsImportsOfMissingPackages(ctx, site, text, inHandler)));
    return findings.length > 0 ? { findings: findings.slice(0, MAX_FINDINGS), handler } : { findings: [], reason: `${nothing} and load nothing unused that is not a dependency` };
  }
  if (languageOf(site.file) !== 'python') return { findings: [], reason: `the handler at ${handler} is in a language whose code is not read for undefined names` };

  const findings: StaticFinding[] = [];
  const names = await undefinedPythonNames(text);
  if (!names.ok) return { findings: [], reason: `${site.file}:${names.line} does not parse (${names.message})` };
  if (names.star) return { findings: [], reason: `${site.file} imports * from a module: which names it binds cannot be read` };
  const seen = new Set<string>();
  for (const u of handlerFirst(names.undefined)) {
    if (seen.has(u.name)) continue;
    seen.add(u.name);
    findings.push({
      trace: syntheticTrace('NameError', `name '${u.name}' is not defined`, site.file, u.line, u.scope),
      evidence: `read from the code: ${site.file}:${u.line} reads \`${u.name}\` in ${describeScope(u)}, and nothing binds it (the app answered ${v.actualStatus} and logged no trace; the handler is at ${handler})`,
    });
  }
  findings.push(...(await unusedImportsOfMissingModules(ctx, site, text, inHandler)));
  if (findings.length === 0) return { findings: [], reason: `${nothing} and import nothing unused that is not installed` };
  return { findings: findings.slice(0, MAX_FINDINGS), handler };
}

function describeScope(u: UndefinedPythonName): string {
  return u.scopeKind === 'class' ? `class ${u.scope}` : `${u.scope}()`;
}

/** Imports inside the handler whose names nothing uses, of a module that is neither standard nor the workspace's. */
async function unusedImportsOfMissingModules(ctx: PlanningContext, site: RouteSite, text: string, inHandler: (line: number) => boolean): Promise<StaticFinding[]> {
  const analysis = await analysePython(text, { file: site.file });
  if (!analysis.ok) return [];
  const out: StaticFinding[] = [];
  for (const imp of analysis.imports) {
    if (imp.scopeKind !== 'function' || !inHandler(imp.line) || imp.level > 0) continue;
    if (imp.names.length === 0 || imp.names.some((n) => n.used || n.keep)) continue;
    const modules = imp.kind === 'import' ? imp.names.map((n) => n.name) : [imp.module];
    for (const module of new Set(modules)) {
      const top = module.split('.')[0]!;
      if (PYTHON_STDLIB_MODULES.has(top) || pythonWorkspaceModule(ctx.files, top)) continue;
      out.push({
        trace: syntheticTrace('ModuleNotFoundError', `No module named '${top}'`, site.file, imp.line, ''),
        evidence: `read from the code: ${site.file}:${imp.line} imports ${module} inside the handler and nothing uses what it binds (the app answered ${ctx.violation.actualStatus} and logged no trace)`,
      });
    }
  }
  return out;
}

/** Whether a package.json above the file declares the package (any dependency section). */
async function declaredIn(ctx: PlanningContext, manifests: ManifestRef[], pkg: string): Promise<boolean> {
  for (const m of manifests) if (await findDeclaration(ctx, m, pkg)) return true;
  return false;
}

/** `const x = await import('y')` / `require('y')` inside the handler, `x` unused, `y` a package the manifest does not list. */
async function unusedJsImportsOfMissingPackages(ctx: PlanningContext, site: RouteSite, text: string, inHandler: (line: number) => boolean): Promise<StaticFinding[]> {
  const manifests = (await findManifests(ctx, site.file, 'node')).all;
  const out: StaticFinding[] = [];
  for (const imp of analyseJs(text, site.file).imports) {
    if (imp.topLevel || !inHandler(imp.line) || imp.sideEffect || imp.names.length === 0 || imp.names.some((n) => n.used)) continue;
    if (/^[./]/.test(imp.module) || imp.module.startsWith('node:') || builtinModules.includes(imp.module)) continue;
    const pkg = imp.module.startsWith('@') ? imp.module.split('/').slice(0, 2).join('/') : imp.module.split('/')[0]!;
    if (await declaredIn(ctx, manifests, pkg)) continue;
    out.push({
      trace: syntheticTrace('Error', `Cannot find package '${imp.module}' imported from ${site.file}`, site.file, imp.line, '', 'node'),
      evidence: `read from the code: ${site.file}:${imp.line} loads ${imp.module} inside the handler, nothing uses what it binds, and no package.json lists it (the app answered ${ctx.violation.actualStatus} and logged no trace)`,
    });
  }
  return out;
}

