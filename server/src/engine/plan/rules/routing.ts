import * as path from 'node:path';
import type { FixPlanInput } from '../schema';
import type { NoPlan, PlanningContext, Rule } from '../../repair/types';
import {
  findAppModule,
  findHandler,
  jsSpecifier,
  loadSources,
  normaliseRoutePath,
  pythonModuleName,
  resolveRoutes,
  scanModules,
  scanRoutes,
  type ModuleFacts,
  type ResolvedRoute,
  type RouteSite,
} from '../../routes';
import { lineStarts } from '../../routes/syntax';
import { parseOpenApi } from '../../smoke/openapi';

/**
 * Deterministic rules for routing faults that leave no stack trace: a router that is declared but
 * never included (404 on all its routes), a success status that differs from the documented one,
 * and a route path that differs from the documented one by a small edit.
 */

const noPlan = (code: NoPlan['code'], reason: string): NoPlan => ({ code, reason });
const is2xx = (s: number) => s >= 200 && s < 300;
const segments = (p: string) => normaliseRoutePath(p).split('/').filter(Boolean);

/** A JSON expectation that failed with the expected status: the handler computes the wrong thing. */
function logicReason(ctx: PlanningContext): NoPlan | undefined {
  const v = ctx.violation;
  if (v.actualStatus === v.expectedStatus && v.actualStatus > 0 && v.actualStatus < 400) {
    return noPlan('no_rule', `a JSON expectation failed with the right status (${v.message.replace(/^.*?: /, '')}): a logic error no rule can fix`);
  }
  return undefined;
}

interface Workspace {
  texts: Map<string, string>;
  modules: ModuleFacts[];
  routes: ResolvedRoute[];
  files: Set<string>;
}

async function loadWorkspace(ctx: PlanningContext): Promise<Workspace> {
  const texts = await loadSources(ctx);
  const modules = scanModules(texts);
  const files = new Set(ctx.files);
  return { texts, modules, routes: resolveRoutes(modules, files), files };
}

const methodMatches = (site: RouteSite, method: string) => site.method === method.toUpperCase() || site.method === '*';

function lineOf(texts: Map<string, string>, file: string, offset: number): number {
  const starts = lineStarts(texts.get(file) ?? '');
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
  return line + 1;
}

// ---------------------------------------------------------------- router not included

/** How a router's file or variable names its resource: `tags.js`, `tagsRouter`, `reviews_bp` → `tags`, `reviews`. */
function resourceNames(route: ResolvedRoute): string[] {
  const base = path.posix.basename(route.site.file).replace(/\.\w+$/, '');
  const name = (route.router?.name ?? '').replace(/(_?router|Router|_?bp|_?blueprint|Blueprint)$/, '');
  return [base, name].filter((n) => n && n !== 'index' && n !== 'router').map((n) => n.toLowerCase());
}

/** The module name the app file would import a Python router file by: follow the style of its sibling imports. */
function pythonModuleFor(routerFile: string, appModule: ModuleFacts, files: Set<string>): string {
  const dir = path.posix.dirname(routerFile);
  const base = path.posix.basename(routerFile, '.py');
  for (const b of appModule.imports) {
    const full = (b.imported === '*module*' ? b.module : `${b.module}.${b.imported}`).replace(/^\.+/, '');
    const suffix = `${full.split('.').join('/')}.py`;
    const hit = [...files].find((f) => (f === suffix || f.endsWith(`/${suffix}`)) && path.posix.dirname(f) === dir);
    if (hit) return `${(b.imported === '*module*' ? b.module.split('.').slice(0, -1).join('.') : b.module)}.${base}`;
  }
  // The top-most package containing the file (folders with __init__.py), else the path from the workspace root.
  const parts = routerFile.replace(/\.py$/, '').split('/');
  let top = parts.length - 1;
  while (top > 0 && files.has(`${parts.slice(0, top).join('/')}/__init__.py`)) top--;
  return top < parts.length - 1 && files.has(`${parts.slice(0, top + 1).join('/')}/__init__.py`) ? parts.slice(top).join('.') : pythonModuleName(routerFile);
}

export const routerNotIncludedRule: Rule = {
  id: 'router-not-included',
  applies: (ctx) => ctx.violation.actualStatus === 404 && ctx.violation.expectedStatus !== 404,
  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const v = ctx.violation;
    if (!routerNotIncludedRule.applies(ctx)) return routingNotApplicable(ctx);
    const ws = await loadWorkspace(ctx);
    const target = normaliseRoutePath(v.path);
    const method = v.method.toUpperCase();
    const served = ws.routes.find((r) => r.mounted && methodMatches(r.site, method) && r.fullPaths.includes(target));
    if (served) {
      return noPlan('not_applicable', `${method} ${v.path} is declared at ${served.site.file}:${served.site.handlerLine} and its router is included: the 404 comes from the handler (a missing resource?), not from routing`);
    }
    const tgt = segments(v.path);
    type Candidate = { route: ResolvedRoute; mount: string[]; score: number };
    const candidates: Candidate[] = [];
    for (const r of ws.routes) {
      if (r.mounted || !r.router || !methodMatches(r.site, method)) continue;
      const own = r.ownPath === '/' ? [] : r.ownPath.split('/').filter(Boolean);
      if (own.length > tgt.length || own.some((s, i) => s !== tgt[tgt.length - own.length + i])) continue;
      const mount = tgt.slice(0, tgt.length - own.length);
      let score = own.length === tgt.length ? 100 : 10 + own.length;
      if (mount.length > 0) {
        const last = [...mount].reverse().find((s) => s !== '{}');
        if (last && resourceNames(r).includes(last.toLowerCase())) score += 50;
        else if (r.router.framework !== 'express' || own.length === 0) score -= 5;
      }
      candidates.push({ route: r, mount: v.path.split('/').filter(Boolean).slice(0, mount.length), score });
    }
    if (candidates.length === 0) {
      return noPlan('not_applicable', `no router in the workspace declares ${method} ${v.path} without being included`);
    }
    candidates.sort((a, b) => b.score - a.score || a.route.site.file.localeCompare(b.route.site.file));
    const best = candidates[0]!;
    const rival = candidates.find((c) => c.route.router !== best.route.router && c.score === best.score);
    if (rival) {
      return noPlan('insufficient_evidence', `two routers could serve ${method} ${v.path}: ${best.route.site.file} and ${rival.route.site.file}`);
    }
    if (best.score < 50 && candidates.filter((c) => c.route.router !== best.route.router).length > 0) {
      return noPlan('insufficient_evidence', `${best.route.site.file} declares a matching route but nothing ties its mount path to ${v.path}`);
    }
    const router = best.route.router!;
    const app = findAppModule(ws.modules, router.framework);
    if (!app) return noPlan('insufficient_evidence', `no module creates a ${router.framework === 'express' ? 'express()' : router.framework === 'flask' ? 'Flask(...)' : 'FastAPI()'} app to include ${router.file} in`);
    const express = router.framework === 'express';
    const mountPath = best.mount.length > 0 ? `/${best.mount.map((s) => (express ? s.replace(/^\{(\w+)\}$/, ':$1') : s)).join('/')}` : undefined;
    const module = express ? jsSpecifier(app.module.file, router.file) : pythonModuleFor(router.file, app.module, ws.files);
    const routeCount = ws.routes.filter((r) => r.router === router).length;
    const confidence = best.score >= 100 ? 0.9 : best.score >= 50 ? 0.85 : 0.6;
    return {
      root_cause: `${router.file} defines ${express ? 'an Express router' : router.framework === 'flask' ? 'a Flask blueprint' : 'an APIRouter'} \`${router.name}\` (line ${router.line}) with ${routeCount} route${routeCount === 1 ? '' : 's'}, but ${app.module.file} never ${express ? 'mounts' : 'includes'} it, so ${method} ${v.path} answers 404`,
      category: 'ROUTE',
      confidence,
      files: [app.module.file],
      operations: [
        {
          type: 'include_router',
          file: app.module.file,
          details: { framework: router.framework, module, router: express ? router.exportName : router.name, ...(mountPath ? { mountPath } : {}) },
          rationale: express ? `mount ${module} at ${mountPath ?? '/'} in ${app.module.file}` : `import ${module} and include its \`${router.name}\` in ${app.module.file}`,
          evidence: [`${router.file}:${best.route.site.line}: ${method} ${best.route.site.literal || '""'} declared on \`${router.name}\``, `${app.module.file}:${app.app.line}: the app includes ${app.module.inclusions.length} other router${app.module.inclusions.length === 1 ? '' : 's'}, not this one`],
        },
      ],
      evidence: [`${v.method} ${v.path} → 404 (expected ${v.expectedStatus})`, ...(v.response.bodyExcerpt ? [`answer: ${v.response.bodyExcerpt.slice(0, 120)}`] : [])],
    };
  },
};

// ---------------------------------------------------------------- status code

/** What an OpenAPI document kept in the workspace says about an operation's success statuses, if anything. */
async function documentedStatuses(ctx: PlanningContext, method: string, requestPath: string): Promise<{ origin: string; codes: number[] } | undefined> {
  const loc = ctx.config.openapi?.location;
  if (!loc || /^(https?:)?\/\//.test(loc) || (loc.startsWith('/') && !ctx.files.includes(loc.slice(1)))) return undefined;
  const file = loc.replace(/^\.?\//, '');
  const text = await ctx.read(file);
  if (text === undefined) return undefined;
  const parsed = parseOpenApi(text, file);
  if (!parsed.ok) return undefined;
  const paths = (parsed.doc.raw.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  const target = normaliseRoutePath(requestPath);
  for (const [p, item] of Object.entries(paths)) {
    if (normaliseRoutePath(p) !== target) continue;
    const op = item?.[method.toLowerCase()];
    const codes = Object.keys(op?.responses ?? {}).map(Number).filter((n) => n >= 200 && n < 300);
    return { origin: file, codes };
  }
  return undefined;
}

const PY_STATUS_NAMES: Record<number, string> = { 200: 'HTTP_200_OK', 201: 'HTTP_201_CREATED', 202: 'HTTP_202_ACCEPTED', 204: 'HTTP_204_NO_CONTENT' };

export const statusCodeRule: Rule = {
  id: 'status-code',
  applies: (ctx) => is2xx(ctx.violation.actualStatus) && is2xx(ctx.violation.expectedStatus) && ctx.violation.actualStatus !== ctx.violation.expectedStatus,
  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const v = ctx.violation;
    if (!statusCodeRule.applies(ctx)) {
      return logicReason(ctx) ?? noPlan('not_applicable', `status ${v.actualStatus} where ${v.expectedStatus} is expected: only a success code that differs from another success code is changed (never a 5xx or a deliberate 4xx)`);
    }
    const ws = await loadWorkspace(ctx);
    let file: string | undefined;
    let line: number | undefined;
    if (v.locationKind === 'handler' && v.location) ({ file, line } = v.location);
    else {
      const target = normaliseRoutePath(v.path);
      const served = ws.routes.find((r) => r.mounted && methodMatches(r.site, v.method) && r.fullPaths.includes(target));
      const decl = served ? undefined : findHandler([...ws.texts].flatMap(([f, t]) => scanRoutes(f, t)), v.method, v.path);
      if (served) ({ file, handlerLine: line } = { file: served.site.file, handlerLine: served.site.handlerLine });
      else if (decl) ({ file, line } = decl.location);
    }
    if (!file || !line) return noPlan('insufficient_evidence', `no route handler for ${v.method} ${v.path} was found in the workspace`);
    const text = ws.texts.get(file);
    const site = ws.modules.find((m) => m.file === file)?.sites.find((s) => methodMatches(s, v.method) && (s.handlerLine === line || s.line === line));
    if (!text || !site) return noPlan('insufficient_evidence', `${file}:${line} is not a route declaration this rule can read`);
    const handler = text.slice(site.handlerStart, site.handlerEnd);
    const from = v.actualStatus;
    const to = v.expectedStatus;
    let opLine: number;
    let what: string;
    if (site.framework !== 'express') {
      const deco = text.slice(site.callStart, site.callEnd);
      const declared = /\bstatus_code\s*=\s*(?:(\d{3})\b|(?:[\w.]*\.)?(HTTP_(\d{3})_\w+))/.exec(deco);
      const declaredCode = declared ? Number(declared[1] ?? declared[3]) : 200;
      if (declaredCode !== from) return noPlan('insufficient_evidence', `the decorator at ${file}:${site.line} declares ${declaredCode}, yet the answer was ${from}: the handler sets its status another way`);
      if (/\bstatus_code\s*=|\bResponse\s*\(|\.status_code\s*=/.test(handler.slice(handler.indexOf('\n')))) return noPlan('insufficient_evidence', `the handler at ${file}:${site.handlerLine} sets a status itself; changing the decorator would not be enough`);
      if (declared?.[2] && !PY_STATUS_NAMES[to]) return noPlan('insufficient_evidence', `no status constant is known for ${to}`);
      opLine = site.line;
      what = declared ? `status_code=${declared[2] ? `status.${PY_STATUS_NAMES[to]}` : to} in the decorator` : `status_code=${to} added to the decorator`;
    } else {
      const sends = [...handler.matchAll(/\bres\s*\.\s*(?:status\s*\(\s*(\d{3})\s*\)\s*\.\s*)?(json|send|end)\s*\(/g)].filter((m) => !m[1] || Number(m[1]) === from || is2xx(Number(m[1])));
      const success = sends.filter((m) => (m[1] ? Number(m[1]) : 200) === from);
      if (success.length !== 1) {
        return noPlan('insufficient_evidence', `the handler at ${file}:${site.line} answers ${from} from ${success.length} places; expected exactly one to change`);
      }
      opLine = lineOf(ws.texts, file, site.handlerStart + success[0]!.index);
      what = success[0]![1] ? `res.status(${to})` : `res.status(${to}).${success[0]![2]}(`;
    }
    const doc = await documentedStatuses(ctx, v.method, v.path);
    const evidence = [`the scenario "${v.scenario}" expects ${to}; the app answered ${from}`, `${file}:${opLine}: the handler of ${v.method} ${v.path} answers ${from}`];
    let confidence = 0.85;
    if (doc?.codes.includes(to)) {
      evidence.push(`${doc.origin}: the OpenAPI document declares ${to} for ${v.method} ${v.path}`);
      confidence = 0.95;
    } else if (doc && doc.codes.length > 0) {
      evidence.push(`${doc.origin}: the OpenAPI document declares ${doc.codes.join(', ')} for ${v.method} ${v.path}, not ${to}`);
      confidence = 0.5;
    }
    return {
      root_cause: `${v.method} ${v.path} answers ${from} where ${to} is expected: the handler at ${file}:${site.handlerLine} declares the wrong success status`,
      category: 'STATUS_CODE',
      confidence,
      files: [file],
      operations: [
        {
          type: 'set_status_code',
          file,
          details: { method: v.method.toUpperCase(), path: v.path, from, to, line: opLine },
          rationale: `answer ${to}: ${what}`,
          evidence,
        },
      ],
      evidence: [v.message],
    };
  },
};

// ---------------------------------------------------------------- route path

/** Levenshtein distance, bounded (returns max+1 beyond `max`). */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

type PathEdit = { kind: 'typo' | 'missing segment' | 'extra segment'; cost: number };

/** How a declared path (segments) differs from the documented one: one small edit, or undefined. Parameters must line up. */
function smallEdit(declared: string[], documented: string[]): PathEdit | undefined {
  if (declared.length === documented.length) {
    const diffs = declared.map((s, i) => [s, documented[i]!] as const).filter(([a, b]) => a !== b);
    if (diffs.length !== 1) return undefined;
    const [a, b] = diffs[0]!;
    if (a === '{}' || b === '{}') return undefined;
    const d = editDistance(a, b, 2);
    return d <= Math.max(1, Math.min(2, Math.floor(Math.max(a.length, b.length) / 3))) ? { kind: 'typo', cost: d } : undefined;
  }
  const [short, long] = declared.length < documented.length ? [declared, documented] : [documented, declared];
  if (long.length !== short.length + 1) return undefined;
  for (let i = 0; i < long.length; i++) {
    if (long[i] === '{}') continue;
    if ([...long.slice(0, i), ...long.slice(i + 1)].every((s, j) => s === short[j])) {
      return { kind: declared.length < documented.length ? 'missing segment' : 'extra segment', cost: 2 };
    }
  }
  return undefined;
}

/** The new literal: the documented segments after the mount/prefix, keeping the declared parameters' own spelling. */
function rewriteLiteral(literal: string, documentedTail: string[]): string {
  const params = literal.split('/').filter((s) => normaliseRoutePath(`/${s}`) === '/{}');
  let k = 0;
  const segs = documentedTail.map((s) => (s === '{}' ? (params[k++] ?? s) : s));
  const out = `/${segs.join('/')}`;
  return literal.endsWith('/') && out !== '/' ? `${out}/` : out;
}

export const routePathRule: Rule = {
  id: 'route-path',
  applies: (ctx) => ctx.violation.actualStatus === 404 && ctx.violation.expectedStatus !== 404,
  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const v = ctx.violation;
    if (!routePathRule.applies(ctx)) return routingNotApplicable(ctx);
    const ws = await loadWorkspace(ctx);
    const method = v.method.toUpperCase();
    const target = normaliseRoutePath(v.path);
    const exact = ws.routes.find((r) => methodMatches(r.site, method) && (r.fullPaths.includes(target) || (!r.mounted && r.ownPath === target)));
    if (exact) {
      return noPlan('not_applicable', `${method} ${v.path} is declared as written at ${exact.site.file}:${exact.site.line}${exact.mounted ? '' : ' (on a router that is never included)'}: the path is not the problem`);
    }
    const documented = segments(v.path);
    type Candidate = { route: ResolvedRoute; edit: PathEdit; to: string };
    const candidates: Candidate[] = [];
    for (const r of ws.routes) {
      if (!r.mounted || !methodMatches(r.site, method)) continue;
      for (const full of r.fullPaths) {
        const declared = full.split('/').filter(Boolean);
        const edit = smallEdit(declared, documented);
        if (!edit) continue;
        // The part of the full path the literal contributes: everything after the mount path and the router's prefix.
        const litSegs = normaliseRoutePath(r.site.literal || '/').split('/').filter(Boolean).length;
        const headLen = declared.length - litSegs;
        if (headLen < 0 || declared.slice(0, headLen).some((s, i) => s !== documented[i])) continue; // the difference is in a prefix or mount path
        const to = rewriteLiteral(r.site.literal, documented.slice(headLen));
        if (to === r.site.literal || (r.site.literal === '' && to === '/')) continue;
        candidates.push({ route: r, edit, to });
      }
    }
    if (candidates.length === 0) return noPlan('not_applicable', `no declared ${method} route is a small edit away from ${v.path}`);
    candidates.sort((a, b) => a.edit.cost - b.edit.cost || a.route.site.file.localeCompare(b.route.site.file) || a.route.site.line - b.route.site.line);
    const best = candidates[0]!;
    if (candidates.some((c) => c !== best && c.edit.cost === best.edit.cost && c.route.site !== best.route.site)) {
      return noPlan('insufficient_evidence', `several declared routes are equally close to ${v.path}: ${candidates.map((c) => `${c.route.site.file}:${c.route.site.line}`).join(', ')}`);
    }
    const { site } = best.route;
    const clash = ws.routes.find((r) => r.site.file === site.file && r.site !== site && methodMatches(r.site, method) && normaliseRoutePath(r.site.literal || '/') === normaliseRoutePath(best.to));
    if (clash) return noPlan('unsafe', `${site.file}:${clash.site.line} already declares ${method} ${best.to}`);
    return {
      root_cause: `${method} ${v.path} is documented, but ${site.file}:${site.line} declares it as "${site.literal}" (${best.edit.kind}), so the request answers 404`,
      category: 'ROUTE',
      confidence: best.edit.kind === 'typo' ? 0.75 : 0.6,
      files: [site.file],
      operations: [
        {
          type: 'update_route',
          file: site.file,
          details: { method, from: site.literal, to: best.to, line: site.line },
          rationale: `declare the route as documented: "${site.literal}" → "${best.to}"`,
          evidence: [`the scenario "${v.scenario}" requests ${method} ${v.path}`, `${site.file}:${site.line}: declared ${method} ${best.route.fullPaths.join(', ')} (${best.edit.kind})`],
        },
      ],
      evidence: [v.message],
    };
  },
};

/** The routing rules, in the order the rules planner should try them. */
export const routingRules: Rule[] = [routerNotIncludedRule, statusCodeRule, routePathRule];

/** Why none of the routing rules applies to a violation (for the planner's "no plan" record). */
export function routingNotApplicable(ctx: PlanningContext): NoPlan {
  return logicReason(ctx) ?? noPlan('not_applicable', `${ctx.violation.method} ${ctx.violation.path} → ${ctx.violation.actualStatus}: neither a 404 nor a success status that differs from the expected one`);
}
