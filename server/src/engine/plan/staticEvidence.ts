import { analysePython, PYTHON_STDLIB_MODULES, undefinedPythonNames, type UndefinedPythonName } from '../imports';
import type { Trace } from '../model';
import type { PlanningContext } from '../repair/types';
import { findRoute, loadRouteTable, type RouteSite } from '../routes';
import { languageOf, lineOfOffset, lineStarts } from '../routes/syntax';

/**
 * Evidence from the code when the app gave none: an app that answers 500 and logs no trace (an
 * error handler that answers `{"error": "internal server error"}`, logging turned off) still has a
 * handler the route table can find, and a developer would open it and see what the editor
 * underlines. The handler's module is read the way pyflakes reads it: a name its functions read
 * that nothing binds (F821), an import inside the handler that binds a name nobody uses of a module
 * that is neither the standard library's nor the workspace's. Each finding becomes the trace the
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

function syntheticTrace(exceptionClass: string, message: string, file: string, line: number, fn: string): Trace {
  const frame = { file, rawFile: file, line, function: fn, inWorkspace: true };
  return { language: 'python', exceptionClass, message, frames: [frame], causes: [], text: `${exceptionClass}: ${message}` };
}

export async function staticEvidence(ctx: PlanningContext): Promise<StaticEvidence> {
  const v = ctx.violation;
  const table = await loadRouteTable(ctx, ctx.config);
  const hit = findRoute(table.routes, v.method.toUpperCase(), v.path).best;
  if (!hit || !hit.item.mounted) return { findings: [], reason: `no route the app serves answers ${v.method.toUpperCase()} ${v.path}, so no handler to read` };
  const site = hit.item.site;
  if (languageOf(site.file) !== 'python') return { findings: [], reason: `the handler at ${site.file}:${site.handlerLine} is not Python; its code is not read for undefined names` };
  const text = await ctx.read(site.file);
  if (text === undefined) return { findings: [], reason: `${site.file} cannot be read` };
  const handler = `${site.file}:${site.handlerLine}`;
  const starts = lineStarts(text);
  const handlerEnd = lineOfOffset(starts, Math.max(site.handlerStart, site.handlerEnd - 1)) + 1;
  const inHandler = (line: number) => line >= site.handlerLine && line <= handlerEnd;

  const findings: StaticFinding[] = [];
  const names = await undefinedPythonNames(text);
  if (!names.ok) return { findings: [], reason: `${site.file}:${names.line} does not parse (${names.message})` };
  if (names.star) return { findings: [], reason: `${site.file} imports * from a module: which names it binds cannot be read` };
  const seen = new Set<string>();
  const ordered = [...names.undefined.filter((u) => inHandler(u.line)), ...names.undefined.filter((u) => !inHandler(u.line))];
  for (const u of ordered) {
    if (seen.has(u.name)) continue;
    seen.add(u.name);
    findings.push({
      trace: syntheticTrace('NameError', `name '${u.name}' is not defined`, site.file, u.line, u.scope),
      evidence: `read from the code: ${site.file}:${u.line} reads \`${u.name}\` in ${describeScope(u)}, and nothing binds it (the app answered ${v.actualStatus} and logged no trace; the handler is at ${handler})`,
    });
  }
  findings.push(...(await unusedImportsOfMissingModules(ctx, site, text, inHandler)));
  if (findings.length === 0) return { findings: [], reason: `the handler at ${handler} and its module read no undefined name and import nothing unused that is not installed` };
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
      if (PYTHON_STDLIB_MODULES.has(top) || isWorkspaceModule(ctx.files, top)) continue;
      out.push({
        trace: syntheticTrace('ModuleNotFoundError', `No module named '${top}'`, site.file, imp.line, ''),
        evidence: `read from the code: ${site.file}:${imp.line} imports ${module} inside the handler and nothing uses what it binds (the app answered ${ctx.violation.actualStatus} and logged no trace)`,
      });
    }
  }
  return out;
}

function isWorkspaceModule(files: string[], top: string): boolean {
  return files.some((f) => f === `${top}.py` || f.endsWith(`/${top}.py`) || f.startsWith(`${top}/`) || f.includes(`/${top}/__init__.py`));
}
