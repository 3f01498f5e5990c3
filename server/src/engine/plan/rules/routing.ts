import * as path from 'node:path';
import type { FixPlanInput } from '../../fixPlan';
import type { NoPlan, PlanningContext, Rule } from '../../contracts';
import {
  findAppModule,
  findRoute,
  expressHandlerCode,
  expressSends,
  flaskViewResponses,
  jsSpecifier,
  loadRouteTable,
  looksLikeValue,
  matchSegments,
  normaliseRoutePath,
  notFoundSource,
  parameterSegment,
  pythonModuleName,
  resourceNamesOf,
  returnsFor,
  routeAlternatives,
  sameResourceWord,
  segmentsOf,
  statusValue,
  type ModuleFacts,
  type PathPart,
  type ResolvedRoute,
  type RouterDefinition,
  type RouteSite,
  type RouteTable,
} from '../../routes';
import { SUCCESS_STATUS_NAMES } from '../../routes/responses';
import { lineStarts, matchBracket } from '../../routes/syntax';
import { parseOpenApi } from '../../smoke/openapi';

/**
 * Deterministic rules for routing faults that leave no stack trace: a router that is declared but
 * never included (404 on all its routes), a success status that differs from the expected one, and
 * a route path that differs from the requested one by a small edit.
 *
 * The workspace is read as the running app serves it (routes/table.ts): the module the run command
 * starts, routers mounted through imports, re-exports and folders loaded at run time. A request is
 * compared through its scenario's path template, so a value the client filled in is never written
 * into a route, and a route another passing scenario uses is never moved.
 */

const noPlan = (code: NoPlan['code'], reason: string): NoPlan => ({ code, reason });
const is2xx = (s: number) => s >= 200 && s < 300;

/** Evidence marker on an operation that changes a route other declarations share: the policy sends it to a person. */
export const SHARED_ROUTE_MARKER = 'shared-route:';

/** Evidence marker on an inclusion made without the guards its siblings have (auth dependencies, middleware): a person decides. */
export const GUARDS_MARKER = 'unguarded-inclusion:';

/**
 * The inclusions of an app module that carry guards: FastAPI `include_router(..., dependencies=[...])`,
 * Express `app.use(path, middleware..., router)`. A router included anew without them would serve
 * its routes unguarded.
 */
function guardedInclusions(table: RouteTable, mod: ModuleFacts): string[] {
  const text = table.texts.get(mod.file);
  if (!text) return [];
  const out = new Set<string>();
  for (const inc of mod.inclusions) {
    const statement = text.slice(inc.start, inc.end);
    const express = /\.use\s*\(/.test(statement);
    const guard = express ? /\.use\s*\(\s*(["'`]).*?\1\s*,\s*[\w$.]+\s*(\([^)]*\))?\s*,/.test(statement) : /\bdependencies\s*=/.test(statement);
    if (guard) out.add(`${mod.file}:${inc.line}: \`${statement.replace(/\s+/g, ' ').slice(0, 100)}\``);
  }
  return [...out];
}

/** A JSON expectation that failed with the expected status: the handler computes the wrong thing. */
function logicReason(ctx: PlanningContext): NoPlan | undefined {
  const v = ctx.violation;
  if (v.actualStatus === v.expectedStatus && v.actualStatus > 0 && v.actualStatus < 400) {
    return noPlan('no_rule', `a JSON expectation failed with the right status (${v.message.replace(/^.*?: /, '')}): a logic error no rule can fix`);
  }
  return undefined;
}

/** A 404 whose body says a record is missing came from a handler: no routing fix applies. */
function handlerNotFound(ctx: PlanningContext): NoPlan | undefined {
  const body = ctx.violation.response.bodyExcerpt;
  if (notFoundSource(body) !== 'handler') return undefined;
  return noPlan('not_applicable', `the 404 comes from the handler, not from routing: the answer says ${JSON.stringify(body.trim().slice(0, 100))}`);
}

const methodMatches = (site: RouteSite, method: string) => site.method === method.toUpperCase() || site.method === '*';

function lineOf(text: string, offset: number): number {
  const starts = lineStarts(text);
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
  return line + 1;
}

// ---------------------------------------------------------------- the request, as its template says

type SegmentKind = 'literal' | 'param' | 'value';

interface RequestShape {
  /** Segments as written in the scenario's path. */
  raw: string[];
  kinds: SegmentKind[];
  /** Template variable names at parameter positions. */
  names: Array<string | undefined>;
}

/**
 * The scenario's path segment by segment: template variables are parameters; concrete segments
 * that look like values (ids, UUIDs, e-mails) or sit where the OpenAPI document has a parameter are
 * values; the rest is literal text of the API.
 */
function requestShape(template: string, documented?: string): RequestShape {
  const raw = template.split('?')[0]!.split('/').filter(Boolean);
  const doc = documented?.split('/').filter(Boolean);
  const kinds: SegmentKind[] = [];
  const names: Array<string | undefined> = [];
  raw.forEach((s, i) => {
    const v = /^\{([^}]*)\}$/.exec(s);
    const d = doc && doc.length === raw.length ? /^\{([^}]*)\}$/.exec(doc[i]!) : null;
    if (v) {
      kinds.push('param');
      names.push(v[1]);
    } else if (d) {
      kinds.push('value');
      names.push(d[1]);
    } else {
      kinds.push(looksLikeValue(s) ? 'value' : 'literal');
      names.push(undefined);
    }
  });
  return { raw, kinds, names };
}

/** The OpenAPI document's template for a concrete request path, when the workspace keeps one. */
async function documentedPath(ctx: PlanningContext, method: string, requestPath: string): Promise<string | undefined> {
  const doc = await openApiPaths(ctx);
  if (!doc) return undefined;
  const req = segmentsOf(normaliseRoutePath(requestPath));
  let best: { p: string; score: number } | undefined;
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!item?.[method.toLowerCase()]) continue;
    const score = matchSegments(segmentsOf(normaliseRoutePath(p)), req);
    if (score !== undefined && score > (best?.score ?? -1)) best = { p, score };
  }
  return best?.p;
}

async function openApiPaths(ctx: PlanningContext): Promise<{ origin: string; paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> } | undefined> {
  const loc = ctx.config.openapi?.location;
  if (!loc || /^(https?:)?\/\//.test(loc) || (loc.startsWith('/') && !ctx.files.includes(loc.slice(1)))) return undefined;
  const file = loc.replace(/^\.?\//, '');
  const text = await ctx.read(file);
  if (text === undefined) return undefined;
  const parsed = parseOpenApi(text, file);
  if (!parsed.ok) return undefined;
  return { origin: file, paths: (parsed.doc.raw.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, unknown> }>> };
}

// ---------------------------------------------------------------- router not included

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
    const fromHandler = handlerNotFound(ctx);
    if (fromHandler) return fromHandler;
    const table = await loadRouteTable(ctx, ctx.config);
    const method = v.method.toUpperCase();
    const served = findRoute(table.routes.filter((r) => r.mounted), method, v.path).best;
    if (served) {
      const how = served.how === 'tail' ? ` below the mount computed at ${served.item.dynamicMounts.join(', ')}` : '';
      return noPlan('not_applicable', `${method} ${v.path} is declared at ${served.item.site.file}:${served.item.site.handlerLine} and its router is included${how}: the 404 comes from the handler (a missing resource?), not from routing`);
    }
    const shape = requestShape(v.path, await documentedPath(ctx, method, v.path));
    const tgt = shape.raw.map((s, i) => (shape.kinds[i] === 'param' ? '{}' : s));
    type Candidate = { route: ResolvedRoute; router: RouterDefinition; mountLength: number; score: number };
    const candidates: Candidate[] = [];
    for (const r of table.routes) {
      if (r.mounted || !r.router || !methodMatches(r.site, method)) continue;
      // A router mounted on routers that no app mounts: the topmost of them is the one to mount.
      const ways = r.roots.length > 0 ? r.roots.map((x) => ({ router: x.router, path: x.path })) : [{ router: r.router, path: r.ownPath }];
      for (const way of ways) {
        const own = segmentsOf(way.path);
        if (own.length > tgt.length || own.includes('*')) continue;
        const mountLength = tgt.length - own.length;
        if (matchSegments(own, tgt.slice(mountLength)) === undefined) continue;
        let score = own.length === tgt.length ? 100 : 10 + own.length;
        // A word of the API (`/tags`) taken by a route parameter (`/:name`) is a weak match: the
        // router more likely hangs below that word.
        score -= 45 * own.filter((s, i) => s === '{}' && shape.kinds[mountLength + i] === 'literal').length;
        if (mountLength > 0) {
          const mount = tgt.slice(0, mountLength);
          const last = [...mount].reverse().find((s) => s !== '{}');
          if (last && resourceNamesOf(way.router.file, way.router.name).some((n) => sameResourceWord(n, last))) score += 50;
          else if (way.router.framework !== 'express' || own.length === 0) score -= 5;
        }
        candidates.push({ route: r, router: way.router, mountLength, score });
      }
    }
    if (candidates.length === 0) {
      return noPlan('not_applicable', `no router in the workspace declares ${method} ${v.path} without being included`);
    }
    candidates.sort((a, b) => b.score - a.score || a.router.file.localeCompare(b.router.file) || a.route.site.file.localeCompare(b.route.site.file));
    const best = candidates[0]!;
    const rival = candidates.find((c) => c.router !== best.router && c.score === best.score);
    if (rival) {
      return noPlan('insufficient_evidence', `two routers could serve ${method} ${v.path}: ${best.router.file} and ${rival.router.file}`);
    }
    if (best.score < 50 && candidates.filter((c) => c.router !== best.router).length > 0) {
      return noPlan('insufficient_evidence', `${best.router.file} declares a matching route but nothing ties its mount path to ${v.path}`);
    }
    const router = best.router;
    // The mount path comes from the template: a variable becomes a parameter, never the value a request used.
    const mountValues = shape.raw.slice(0, best.mountLength).filter((_, i) => shape.kinds[i] === 'value');
    if (mountValues.length > 0) {
      return noPlan('insufficient_evidence', `the mount path of ${router.file} would hold ${mountValues.map((s) => `"${s}"`).join(', ')}, a value the request filled in where the route needs a parameter; write the scenario's path as a template (${v.path.replace(mountValues[0]!, '{id}')})`);
    }
    const app = findAppModule(table.modules, router.framework, table.served);
    if (!app) return noPlan('insufficient_evidence', `no module creates a ${router.framework === 'express' ? 'express()' : router.framework === 'flask' ? 'Flask(...)' : 'FastAPI()'} app to include ${router.file} in`);
    const express = router.framework === 'express';
    const mountSegs = shape.raw.slice(0, best.mountLength).map((s, i) => (shape.kinds[i] === 'param' ? parameterSegment(shape.names[i] ?? 'id', router.framework) : s));
    const mountPath = mountSegs.length > 0 ? `/${mountSegs.join('/')}` : undefined;
    // CommonJS names a folder's index.js by the folder (`./routes/v1`); ES modules need the file.
    const appEsm = /^[ \t]*(import[ \t]+[\w{*'"]|export[ \t]+)/m.test(table.texts.get(app.module.file) ?? '');
    const module = express ? (appEsm ? jsSpecifier(app.module.file, router.file) : jsSpecifier(app.module.file, router.file).replace(/(?<=.)\/index$/, '')) : pythonModuleFor(router.file, app.module, table.files);
    const routeCount = table.routes.filter((r) => r.router === router || r.roots.some((x) => x.router === router)).length;
    let confidence = best.score >= 100 ? 0.9 : best.score >= 50 ? 0.85 : 0.6;
    const notes: string[] = [];
    if (express && mountSegs.some((s) => s.startsWith(':')) && !router.mergeParams) {
      notes.push(`${router.file}:${router.line}: the router is created without mergeParams, so its handlers do not see the mount path's parameters`);
      confidence = Math.min(confidence, 0.6);
    }
    if (best.route.unservedApps.length > 0) notes.push(`it is included only in ${best.route.unservedApps.join(', ')}, an app the run command does not start`);
    const guarded = guardedInclusions(table, app.module);
    if (guarded.length > 0) notes.push(`${GUARDS_MARKER} the app's other routers are included with guards (${guarded.join('; ')}); this inclusion gets none: check whether it needs them`);
    if (table.entry) notes.push(table.entryNote);
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
          evidence: [
            best.router === best.route.router
              ? `${router.file}:${best.route.site.line}: ${method} ${best.route.site.literal || '""'} declared on \`${router.name}\``
              : `${best.route.site.file}:${best.route.site.line}: ${method} ${best.route.site.literal || '""'} declared on a router that \`${router.name}\` (${router.file}:${router.line}) mounts`,
            `${app.module.file}:${app.app.line}: the app includes ${app.module.inclusions.length} other router${app.module.inclusions.length === 1 ? '' : 's'}, not this one`,
            ...notes,
          ],
        },
      ],
      evidence: [`${v.method} ${v.path} → 404 (expected ${v.expectedStatus})`, ...(v.response.bodyExcerpt ? [`answer: ${v.response.bodyExcerpt.slice(0, 120)}`] : [])],
    };
  },
};

// ---------------------------------------------------------------- status code

/** What an OpenAPI document kept in the workspace says about an operation's success statuses, if anything. */
async function documentedStatuses(ctx: PlanningContext, method: string, requestPath: string): Promise<{ origin: string; codes: number[] } | undefined> {
  const doc = await openApiPaths(ctx);
  const p = doc && (await documentedPath(ctx, method, requestPath));
  if (!doc || !p) return undefined;
  const op = doc.paths[p]?.[method.toLowerCase()];
  const codes = Object.keys(op?.responses ?? {}).map(Number).filter((n) => n >= 200 && n < 300);
  return { origin: doc.origin, codes };
}

const PY_STATUS_NAMES: Record<number, string> = { 200: 'HTTP_200_OK', 201: 'HTTP_201_CREATED', 202: 'HTTP_202_ACCEPTED', 204: 'HTTP_204_NO_CONTENT' };
const HTTP_STATUS_ENUM: Record<number, string> = { 200: 'OK', 201: 'CREATED', 202: 'ACCEPTED', 203: 'NON_AUTHORITATIVE_INFORMATION', 204: 'NO_CONTENT', 205: 'RESET_CONTENT', 206: 'PARTIAL_CONTENT' };

/**
 * The served route that handles the request: the declaration at the violation's handler location
 * when it answers the request, else the route table's answer, else (the wiring being unreadable)
 * the declaration at the handler location as it is.
 */
function handlingRoute(ctx: PlanningContext, table: RouteTable): ResolvedRoute | NoPlan {
  const v = ctx.violation;
  const served = table.routes.filter((r) => r.mounted);
  let located: ResolvedRoute | undefined;
  if (v.locationKind === 'handler' && v.location) {
    const { file, line } = v.location;
    const here = table.routes.filter((r) => r.site.file === file && methodMatches(r.site, v.method) && (r.site.handlerLine === line || r.site.line === line));
    const answering = findRoute(here.filter((r) => r.mounted), v.method, v.path).best;
    if (answering) return answering.item;
    located = here[0];
    if (!located && !table.texts.has(file)) return noPlan('insufficient_evidence', `${file}:${line} is not a route declaration this rule can read`);
  }
  const m = findRoute(served, v.method, v.path);
  if (m.best && m.rivals.length > 0) {
    const all = [m.best, ...m.rivals].map((h) => `${h.item.site.file}:${h.item.site.handlerLine}`).join(', ');
    return noPlan('insufficient_evidence', `${v.method} ${v.path} is declared in several places (${all}) and nothing says which one the running app serves (${table.entryNote})`);
  }
  if (m.best) return m.best.item;
  if (located) return located;
  const unserved = findRoute(table.routes.filter((r) => !r.mounted), v.method, v.path).best;
  const extra = unserved ? `; ${unserved.item.site.file}:${unserved.item.site.handlerLine} declares it, but the app that runs does not serve it (${table.entryNote})` : '';
  return noPlan('insufficient_evidence', `no route handler for ${v.method} ${v.path} was found in the workspace${extra}`);
}

export const statusCodeRule: Rule = {
  id: 'status-code',
  applies: (ctx) => is2xx(ctx.violation.actualStatus) && is2xx(ctx.violation.expectedStatus) && ctx.violation.actualStatus !== ctx.violation.expectedStatus,
  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const v = ctx.violation;
    if (!statusCodeRule.applies(ctx)) {
      return logicReason(ctx) ?? noPlan('not_applicable', `status ${v.actualStatus} where ${v.expectedStatus} is expected: only a success code that differs from another success code is changed (never a 5xx or a deliberate 4xx)`);
    }
    const table = await loadRouteTable(ctx, ctx.config);
    const route = handlingRoute(ctx, table);
    if ('reason' in route) return route;
    const { site } = route;
    const file = site.file;
    const text = table.texts.get(file);
    if (!text) return noPlan('insufficient_evidence', `${file} could not be read`);
    const from = v.actualStatus;
    const to = v.expectedStatus;
    const doc = await documentedStatuses(ctx, v.method, v.path);
    let confidence = 0.85;
    const docEvidence: string[] = [];
    if (doc?.codes.includes(to)) {
      docEvidence.push(`${doc.origin}: the OpenAPI document declares ${to} for ${v.method} ${v.path}`);
      confidence = 0.95;
    } else if (doc && doc.codes.length > 0) {
      docEvidence.push(`${doc.origin}: the OpenAPI document declares ${doc.codes.join(', ')} for ${v.method} ${v.path}, not ${to}`);
      confidence = 0.5;
    }
    const served = table.entry ? [table.entryNote] : [];
    const others = [...new Set((table.modules.find((m) => m.file === file)?.sites ?? []).filter((s) => s.handlerStart === site.handlerStart && s.method !== site.method).map((s) => s.method))];
    if (site.framework === 'flask') return flaskStatusPlan(ctx, text, site, others, from, to, confidence, [...docEvidence, ...served]);
    if (site.method === '*' || (site.framework === 'fastapi' && others.length > 0)) {
      return noPlan('unsafe', `the handler at ${file}:${site.handlerLine} answers ${site.method === '*' ? 'every method' : [site.method, ...others].join(', ')} with one status; changing it for ${v.method.toUpperCase()} changes it for the others`);
    }
    const handler = text.slice(site.handlerStart, site.handlerEnd);
    let opFile = file;
    let opLine: number;
    let what: string;
    if (site.framework === 'fastapi') {
      const deco = text.slice(site.callStart, site.callEnd);
      const declared = /\bstatus_code\s*=\s*(?:(\d{3})\b|(?:[\w.]*\.)?(HTTP_(\d{3})_\w+))/.exec(deco);
      const declaredCode = declared ? Number(declared[1] ?? declared[3]) : 200;
      if (declaredCode !== from) return noPlan('insufficient_evidence', `the decorator at ${file}:${site.line} declares ${declaredCode}, yet the answer was ${from}: the handler sets its status another way`);
      if (/\bstatus_code\s*=|\bResponse\s*\(|\.status_code\s*=/.test(withoutRaisedErrors(handler.slice(handler.indexOf('\n'))))) return noPlan('insufficient_evidence', `the handler at ${file}:${site.handlerLine} sets a status itself; changing the decorator would not be enough`);
      if (declared?.[2] && !PY_STATUS_NAMES[to]) return noPlan('insufficient_evidence', `no status constant is known for ${to}`);
      opLine = site.line;
      what = declared ? `status_code=${declared[2] ? `status.${PY_STATUS_NAMES[to]}` : to} in the decorator` : `status_code=${to} added to the decorator`;
    } else {
      const body = expressHandlerCode(table, site);
      if ('error' in body) return noPlan('insufficient_evidence', body.error);
      const sends = expressSends(body.text);
      if (sends.otherWay) return noPlan('insufficient_evidence', `the handler at ${body.file}:${lineOf(body.fileText, body.start)} sets its status with ${sends.otherWay}; no single send to change`);
      const success = sends.sends.filter((s) => s.status === from);
      if (success.length !== 1 || success[0]!.kind === 'sendStatus') {
        return noPlan('insufficient_evidence', `the handler at ${body.file}:${lineOf(body.fileText, body.start)} answers ${from} from ${success.length} places; expected exactly one to change`);
      }
      opFile = body.file;
      opLine = lineOf(body.fileText, body.start + success[0]!.index);
      const constant = success[0]!.constant;
      const toName = constant ? Object.entries(SUCCESS_STATUS_NAMES).find(([, code]) => code === to)?.[0] : undefined;
      if (constant && !toName) return noPlan('insufficient_evidence', `the handler answers with the constant ${constant}; no status name is known for ${to}`);
      what = constant ? `res.status(${constant.replace(/[A-Z0-9_]+$/, toName!)})` : success[0]!.explicit ? `res.status(${to})` : `res.status(${to}).${success[0]!.kind}(`;
    }
    return {
      root_cause: `${v.method} ${v.path} answers ${from} where ${to} is expected: the handler at ${file}:${site.handlerLine} declares the wrong success status`,
      category: 'STATUS_CODE',
      confidence,
      files: [opFile],
      operations: [
        {
          type: 'set_status_code',
          file: opFile,
          details: { method: v.method.toUpperCase(), path: v.path, from, to, line: opLine },
          rationale: `answer ${to}: ${what}`,
          evidence: [`the scenario "${v.scenario}" expects ${to}; the app answered ${from}`, `${opFile}:${opLine}: the handler of ${v.method} ${v.path} answers ${from}`, ...docEvidence, ...served],
        },
      ],
      evidence: [v.message],
    };
  },
};

/**
 * A handler's code without the errors it raises (`raise HTTPException(status_code=404, ...)`): the
 * status of an error path is not how the handler answers success.
 */
function withoutRaisedErrors(code: string): string {
  let out = code;
  for (let guard = 0; guard < 100; guard++) {
    const m = /\braise\s+[\w.]*(?:Exception|Error)\s*\(/.exec(out);
    if (!m) break;
    const open = m.index + m[0].length - 1;
    const close = matchBracket(out, open, 'python');
    out = out.slice(0, m.index) + (close < 0 ? '' : out.slice(close + 1));
    if (close < 0) break;
  }
  return out;
}

/**
 * A Flask view gives its status in what it returns (`return body, 201`): the one return that
 * serves this method with the status answered is changed, as an exact edit of that statement.
 */
function flaskStatusPlan(ctx: PlanningContext, text: string, site: RouteSite, otherMethods: string[], from: number, to: number, confidence: number, evidence: string[]): FixPlanInput | NoPlan {
  const v = ctx.violation;
  const file = site.file;
  const views = flaskViewResponses(text, site);
  const deco = text.slice(site.callStart, site.callEnd);
  if (/\bstatus_code\s*=/.test(deco)) return noPlan('insufficient_evidence', `the route at ${file}:${site.line} passes status_code to a Flask decorator, which Flask does not read`);
  if (views.otherWay) return noPlan('insufficient_evidence', `the view at ${file}:${site.handlerLine} sets its status with ${views.otherWay}; no single return to change`);
  const mine = returnsFor(views, v.method);
  const unreadable = mine.filter((r) => r.status === undefined);
  const hits = mine.filter((r) => r.status === from);
  if (hits.length !== 1 || unreadable.length > 0) {
    const why = unreadable.length > 0 ? `; ${unreadable.map((r) => `line ${r.line}`).join(', ')} return${unreadable.length === 1 ? 's' : ''} a status this rule cannot read` : '';
    return noPlan('insufficient_evidence', `the view at ${file}:${site.handlerLine} returns ${from} for ${v.method.toUpperCase()} from ${hits.length} places${why}; expected exactly one to change`);
  }
  const ret = hits[0]!;
  // One return for every method the view serves: changing it changes theirs too.
  if (!ret.methods && otherMethods.length > 0) {
    return noPlan('unsafe', `the return at ${file}:${ret.line} also answers ${otherMethods.join(', ')} (the view serves ${[site.method, ...otherMethods].join(', ')} and does not branch on request.method there)`);
  }
  const stmt = text.slice(ret.start, ret.end);
  let replaced: string;
  if (ret.statusStart !== undefined && ret.statusEnd !== undefined) {
    const old = text.slice(ret.statusStart, ret.statusEnd);
    const enumStyle = /HTTPStatus\.([A-Z_]+)$/.exec(old);
    const constStyle = /HTTP_\d{3}_\w+$/.exec(old);
    let next = String(to);
    if (enumStyle && HTTP_STATUS_ENUM[to]) next = old.replace(/[A-Z_]+$/, HTTP_STATUS_ENUM[to]!);
    else if (constStyle && PY_STATUS_NAMES[to]) next = old.replace(/HTTP_\d{3}_\w+$/, PY_STATUS_NAMES[to]!);
    if (statusValue(next) !== to) return noPlan('insufficient_evidence', `no way to write ${to} in the style of "${old}"`);
    replaced = text.slice(ret.start, ret.statusStart) + next + text.slice(ret.statusEnd, ret.end);
  } else replaced = `${stmt}, ${to}`;
  // The smallest run of whole lines ending with the statement that occurs once in the file.
  const lineEnd = text.indexOf('\n', ret.end) < 0 ? text.length : text.indexOf('\n', ret.end);
  const tail = text.slice(ret.end, lineEnd).replace(/\r$/, '');
  let findStart = ret.lineStart;
  for (let extra = 0; extra < 6 && countOf(text, text.slice(findStart, ret.end) + tail) > 1; extra++) {
    if (findStart === 0) break;
    findStart = text.lastIndexOf('\n', findStart - 2) + 1;
  }
  const find = text.slice(findStart, ret.end) + tail;
  if (countOf(text, find) !== 1) return noPlan('insufficient_evidence', `the return at ${file}:${ret.line} occurs several times in the file with the same lines around it`);
  const replace = text.slice(findStart, ret.start) + replaced + tail;
  return {
    root_cause: `${v.method} ${v.path} answers ${from} where ${to} is expected: the view at ${file}:${site.handlerLine} returns ${from}`,
    category: 'STATUS_CODE',
    confidence,
    files: [file],
    operations: [
      {
        type: 'modify_code',
        file,
        details: { find, replace },
        rationale: `answer ${to}: ${ret.statusStart !== undefined ? `the status of the return at line ${ret.line} becomes ${to}` : `the return at line ${ret.line} gives status ${to}`}`,
        evidence: [`the scenario "${v.scenario}" expects ${to}; the app answered ${from}`, `${file}:${ret.line}: the view of ${v.method} ${v.path} returns ${from}`, ...evidence],
      },
    ],
    evidence: [v.message],
  };
}

function countOf(text: string, find: string): number {
  let n = 0;
  for (let i = text.indexOf(find); i !== -1 && n < 3; i = text.indexOf(find, i + 1)) n++;
  return n;
}

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

/** `at`: for a typo, the index of the segment that differs. */
type PathEdit = { kind: 'typo' | 'missing segment' | 'extra segment'; cost: number; at?: number };

/** Whether a declared segment takes a requested one as it is: a parameter takes a variable or a value, literal text only itself. */
function agrees(declared: string, shape: RequestShape, i: number): boolean {
  if (declared === '{}') return true;
  return shape.kinds[i] === 'literal' && shape.raw[i] === declared;
}

/**
 * How a declared path (segments) differs from the requested template: one small edit of literal
 * text, or undefined. Only literal text of the API is ever written into a route: never a value the
 * request filled in, never a parameter in place of a literal or a literal in place of a parameter.
 */
function smallEdit(declared: string[], shape: RequestShape): PathEdit | undefined {
  const n = shape.raw.length;
  if (declared.includes('*')) return undefined;
  if (declared.length === n) {
    const diffs = declared.map((_, i) => i).filter((i) => !agrees(declared[i]!, shape, i));
    if (diffs.length !== 1) return undefined;
    const i = diffs[0]!;
    if (shape.kinds[i] !== 'literal') return undefined;
    const [a, b] = [declared[i]!, shape.raw[i]!];
    const d = editDistance(a, b, 2);
    return d <= Math.max(1, Math.min(2, Math.floor(Math.max(a.length, b.length) / 3))) ? { kind: 'typo', cost: d, at: i } : undefined;
  }
  // A route ending with a parameter answers for one resource, one ending with a word for a
  // collection or an action: adding or removing a segment must not turn one into the other
  // (`/posts/:postId/comments` is no misspelt `/posts/:postId`, `/items/{id}` no short `/items/{id}/details`).
  const endsWithParam = declared[declared.length - 1] === '{}';
  if (declared.length + 1 === n) {
    // A segment of the request is missing from the route: it must be literal text.
    for (let i = 0; i < n; i++) {
      if (shape.kinds[i] !== 'literal') continue;
      const rest = (j: number) => (j < i ? j : j + 1);
      if (!declared.every((s, j) => agrees(s, shape, rest(j)))) continue;
      const resultEndsWithParam = i === n - 1 ? false : endsWithParam;
      if (resultEndsWithParam === endsWithParam) return { kind: 'missing segment', cost: 2 };
    }
    return undefined;
  }
  if (declared.length === n + 1) {
    for (let i = 0; i < declared.length; i++) {
      if (declared[i] === '{}') continue;
      const others = [...declared.slice(0, i), ...declared.slice(i + 1)];
      if (!others.every((s, j) => agrees(s, shape, j))) continue;
      if ((others[others.length - 1] === '{}') === endsWithParam) return { kind: 'extra segment', cost: 2 };
    }
  }
  return undefined;
}

/**
 * Concrete segments at a position where the app's own routes take a parameter after the same
 * path (`/posts/:postId/comments` for `/posts/hello-world`) are values the request filled in.
 */
function markValuesFromRoutes(shape: RequestShape, routes: ResolvedRoute[]): void {
  for (const r of routes) {
    if (!r.mounted) continue;
    for (const full of r.fullPaths) {
      const segs = segmentsOf(full);
      for (let i = 0; i < Math.min(segs.length, shape.raw.length); i++) {
        if (segs[i] === '{}' && shape.kinds[i] === 'literal') shape.kinds[i] = 'value';
        if (!agrees(segs[i]!, shape, i)) break;
      }
    }
  }
}

/**
 * The new literal for the requested tail: literal text from the request, and at each parameter
 * position the route's own parameter as written (`<int:id>`, `:userId`), else the template's
 * variable in the framework's syntax.
 */
function rewriteLiteral(site: RouteSite, shape: RequestShape, from: number): string {
  const params = site.literal.split('/').filter((s) => routeAlternatives(`/${s}`, site.framework)[0] === '/{}');
  let k = 0;
  const segs = shape.raw.slice(from).map((s, i) => {
    const at = from + i;
    if (shape.kinds[at] === 'literal') return s;
    return params[k++] ?? parameterSegment(shape.names[at] ?? 'id', site.framework);
  });
  const out = `/${segs.join('/')}`;
  return site.literal.endsWith('/') && out !== '/' ? `${out}/` : out;
}

/** The passing scenarios (other than the violation's) that these routes answer: moving them would break those. */
function passingUsers(ctx: PlanningContext, routes: readonly ResolvedRoute[]): string[] {
  const out: string[] = [];
  for (const s of ctx.report.scenarios) {
    if (!s.ok || s.skipped || s.scenarioId === ctx.violation.scenarioId) continue;
    const hit = findRoute(routes, s.method, s.path).best;
    if (hit && hit.how !== 'own') out.push(`${s.method} ${s.path} ("${s.name}")`);
  }
  return out;
}

/** Every route a declaration's path literal declares: each method it serves. */
function routesOfLiteral(table: RouteTable, site: RouteSite): ResolvedRoute[] {
  return table.routes.filter((r) => r.site.file === site.file && r.site.literalStart === site.literalStart);
}

/** The mount path or prefix that holds segment `at` of a full path, and its text with that segment as requested. */
function mountEdit(r: ResolvedRoute, full: string, at: number, shape: RequestShape): { part: PathPart; to: string } | undefined {
  const chain = r.chains.find((c) => c.full === full);
  if (!chain) return undefined;
  let before = 0;
  for (const part of chain.parts) {
    const segs = segmentsOf(normaliseRoutePath(part.value));
    if (at < before + segs.length) {
      const k = at - before;
      if (!part.span || segs[k] !== segmentsOf(full)[at]) return undefined;
      // Only the segment changes: the literal keeps its slashes as written.
      const pieces = part.value.split('/');
      let seen = -1;
      const to = pieces.map((p) => (p !== '' && ++seen === k ? shape.raw[at]! : p)).join('/');
      return { part, to };
    }
    before += segs.length;
  }
  return undefined;
}

/** The routes whose full paths run through a mount path or prefix. */
function routesThrough(table: RouteTable, part: PathPart): ResolvedRoute[] {
  const same = (p: PathPart) => p.file === part.file && p.span?.start === part.span?.start;
  return table.routes.filter((r) => r.chains.some((c) => c.parts.some(same)));
}

/** Change a mount path or router prefix so the routes below it answer where the scenarios ask. */
function mountPathPlan(ctx: PlanningContext, table: RouteTable, part: PathPart, to: string, full: string): FixPlanInput | NoPlan {
  const v = ctx.violation;
  const method = v.method.toUpperCase();
  const what = part.kind === 'prefix' ? 'router prefix' : 'mount path';
  const below = routesThrough(table, part);
  const broken = passingUsers(ctx, below);
  if (broken.length > 0) {
    return noPlan('unsafe', `changing the ${what} "${part.value}" at ${part.file}:${part.line} would break ${broken.join(', ')}, which pass${broken.length === 1 ? 'es' : ''} now`);
  }
  return {
    root_cause: `${method} ${v.path} is requested, but the ${what} "${part.value}" at ${part.file}:${part.line} puts the route at ${full}, so the request answers ${v.actualStatus}`,
    category: 'ROUTE',
    // The same evidence as a typo in a route's own path: one segment, a small edit away.
    confidence: 0.75,
    files: [part.file],
    operations: [
      {
        type: 'update_route',
        file: part.file,
        details: { method, from: part.value, to, line: part.line, target: 'mount' },
        rationale: `mount the routes where they are requested: ${what} "${part.value}" → "${to}" (${below.length} route${below.length === 1 ? '' : 's'} below it move with it)`,
        evidence: [`the scenario "${v.scenario}" requests ${method} ${v.path}`, `${part.file}:${part.line}: the ${what} "${part.value}" puts ${method} at ${full} (typo)`, `no passing scenario requests a route below it`],
      },
    ],
    evidence: [v.message],
  };
}

export const routePathRule: Rule = {
  id: 'route-path',
  // 405: the path is declared for other methods only (Flask, FastAPI); the route for this one is misspelt.
  applies: (ctx) => (ctx.violation.actualStatus === 404 || ctx.violation.actualStatus === 405) && ctx.violation.expectedStatus !== ctx.violation.actualStatus,
  async plan(ctx): Promise<FixPlanInput | NoPlan> {
    const v = ctx.violation;
    if (!routePathRule.applies(ctx)) return routingNotApplicable(ctx);
    const fromHandler = handlerNotFound(ctx);
    if (fromHandler) return fromHandler;
    const table = await loadRouteTable(ctx, ctx.config);
    const method = v.method.toUpperCase();
    const exact = findRoute(table.routes, method, v.path).best;
    if (exact) {
      const r = exact.item;
      const where =
        exact.how === 'tail'
          ? ` (below the mount computed at ${r.dynamicMounts.join(', ')})`
          : exact.how !== 'own'
            ? ''
            : r.unservedApps.length > 0
              ? ` (in ${r.unservedApps.join(', ')}, an app the run command does not start)`
              : ' (on a router that is never included)';
      return noPlan('not_applicable', `${method} ${v.path} is declared as written at ${r.site.file}:${r.site.line}${where}: the path is not the problem`);
    }
    const shape = requestShape(v.path, await documentedPath(ctx, method, v.path));
    markValuesFromRoutes(shape, table.routes);
    type Candidate = { key: string; route: ResolvedRoute; edit: PathEdit; to: string; mount?: { part: PathPart; full: string } };
    const candidates: Candidate[] = [];
    for (const r of table.routes) {
      if (!r.mounted || !methodMatches(r.site, method)) continue;
      // A literal with optional parts stands for several paths; rewriting it is not a small edit.
      if (routeAlternatives(r.site.literal || '/', r.site.framework).length !== 1) continue;
      for (const full of r.fullPaths) {
        const declared = segmentsOf(full);
        const edit = smallEdit(declared, shape);
        if (!edit) continue;
        // The part of the full path the literal contributes: everything after the mount path and the router's prefix.
        const litSegs = segmentsOf(routeAlternatives(r.site.literal || '/', r.site.framework)[0]!).length;
        const headLen = declared.length - litSegs;
        if (headLen < 0) continue;
        if (declared.slice(0, headLen).some((s, i) => !agrees(s, shape, i))) {
          // The difference is in a mount path or a router prefix: that literal is the one to change.
          const mount = edit.kind === 'typo' && edit.at !== undefined && edit.at < headLen ? mountEdit(r, full, edit.at, shape) : undefined;
          if (mount) candidates.push({ key: `mount:${mount.part.file}:${mount.part.span!.start}`, route: r, edit, to: mount.to, mount: { part: mount.part, full } });
          continue;
        }
        const to = rewriteLiteral(r.site, shape, headLen);
        if (to === r.site.literal || (r.site.literal === '' && to === '/')) continue;
        candidates.push({ key: `route:${r.site.file}:${r.site.literalStart}`, route: r, edit, to });
      }
    }
    if (candidates.length === 0) return noPlan('not_applicable', `no declared ${method} route is a small edit of literal text away from ${v.path}`);
    candidates.sort((a, b) => a.edit.cost - b.edit.cost || a.route.site.file.localeCompare(b.route.site.file) || a.route.site.line - b.route.site.line);
    const best = candidates[0]!;
    const where = (c: Candidate) => (c.mount ? `${c.mount.part.file}:${c.mount.part.line}` : `${c.route.site.file}:${c.route.site.line}`);
    if (candidates.some((c) => c.key !== best.key && c.edit.cost === best.edit.cost)) {
      return noPlan('insufficient_evidence', `several declared routes are equally close to ${v.path}: ${[...new Set(candidates.map(where))].join(', ')}`);
    }
    if (best.mount) return mountPathPlan(ctx, table, best.mount.part, best.to, best.mount.full);
    const { site } = best.route;
    const broken = passingUsers(ctx, routesOfLiteral(table, site));
    if (broken.length > 0) {
      return noPlan('unsafe', `changing "${site.literal}" at ${site.file}:${site.line} would break ${broken.join(', ')}, which pass${broken.length === 1 ? 'es' : ''} now`);
    }
    // The new path must not take the place of a route the app already serves.
    const prefixLen = segmentsOf(best.route.fullPaths[0]!).length - segmentsOf(routeAlternatives(site.literal || '/', site.framework)[0]!).length;
    const newFull = normaliseRoutePath(`/${segmentsOf(best.route.fullPaths[0]!).slice(0, prefixLen).join('/')}/${routeAlternatives(best.to, site.framework)[0]}`);
    const clash = table.routes.find((r) => r.site !== site && r.mounted && methodMatches(r.site, method) && r.fullPaths.includes(newFull));
    if (clash) return noPlan('unsafe', `${clash.site.file}:${clash.site.line} already declares ${method} ${newFull}`);
    const sharedWith = routesOfLiteral(table, site).filter((r) => r.site.method !== site.method).map((r) => r.site.method);
    // The other methods move with the literal: harmless when the run shows each of them failing on the same path.
    const failingSame = (m: string) => ctx.report.scenarios.find((s) => !s.ok && !s.skipped && s.method.toUpperCase() === m && s.path === v.path);
    const unshown = [...new Set(sharedWith)].filter((m) => !failingSame(m));
    const shown = [...new Set(sharedWith)].filter((m) => failingSame(m)).map((m) => `${m} ${v.path} fails the same way ("${failingSame(m)!.name}"): it moves to where it is requested too`);
    const shared = unshown.length > 0 ? [`${SHARED_ROUTE_MARKER} "${site.literal}" also declares ${unshown.join(', ')} at ${site.file}:${site.line}; they move with it`] : shown;
    return {
      root_cause: `${method} ${v.path} is requested, but ${site.file}:${site.line} declares it as "${site.literal}" (${best.edit.kind}), so the request answers ${v.actualStatus}`,
      category: 'ROUTE',
      confidence: unshown.length > 0 ? 0.5 : best.edit.kind === 'typo' ? 0.75 : 0.6,
      files: [site.file],
      operations: [
        {
          type: 'update_route',
          file: site.file,
          details: { method, from: site.literal, to: best.to, line: site.line },
          rationale: `declare the route as requested: "${site.literal}" → "${best.to}"`,
          evidence: [`the scenario "${v.scenario}" requests ${method} ${v.path}`, `${site.file}:${site.line}: declared ${method} ${best.route.fullPaths.join(', ')} (${best.edit.kind})`, ...shared],
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
  return logicReason(ctx) ?? noPlan('not_applicable', `${ctx.violation.method} ${ctx.violation.path} → ${ctx.violation.actualStatus}: neither a 404 (or 405) nor a success status that differs from the expected one`);
}
