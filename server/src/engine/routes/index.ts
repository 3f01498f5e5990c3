import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { SmokeConfig } from '../config/schema';
import type { SourceLocation } from '../model';
import { matchRequest, resourceNamesOf, type RouteCandidate } from './match';
import { normaliseRoutePath } from './normalise';
import { routeAlternatives } from './pattern';
import { scanModule } from './routers';
import type { RouteSite } from './sites';
import { lineStarts, lineTextAt } from './syntax';
import { loadRouteTable } from './table';

/**
 * Finds the source line of the handler that serves a route, by reading route declarations
 * (FastAPI/Flask decorators, Express calls and `.route()` chains) and how routers are mounted. Used
 * to place a diagnostic when a failure has no stack frame in the workspace (a 404 from a router
 * that was never included, a wrong status code).
 */

export interface RouteDeclaration {
  method: string;
  /** The literal path as written, normalised: parameters become `{}`. */
  path: string;
  /** Every normalised path the literal stands for, when it has optional parts (Express `:id?`, `{/:id}`). */
  paths?: string[];
  /** The prefix declared for the router it hangs on (`APIRouter(prefix=...)`), normalised. */
  prefix: string;
  location: SourceLocation;
  /** Full normalised paths it answers at, when the workspace's wiring was read (scanWorkspaceRoutes). */
  fullPaths?: string[];
  /** Normalised paths it answers below a mount computed at run time. */
  tails?: string[];
  /** Whether the app that runs serves it (false: a router never included, an app not started). */
  mounted?: boolean;
  /** The router variable it hangs on, for matching by resource name. */
  routerName?: string;
}

export { normaliseRoutePath } from './normalise';

/** Read route declarations from one file's text, without the rest of the workspace. `file` is workspace-relative. */
export function scanRoutes(file: string, text: string): RouteDeclaration[] {
  const facts = scanModule(file, text);
  const starts = lineStarts(text);
  return facts.sites.map((site) => {
    const router = facts.routers.find((r) => r.name === site.owner);
    const paths = routeAlternatives(site.literal || '/', site.framework);
    return {
      method: site.method,
      path: paths[0]!,
      ...(paths.length > 1 ? { paths } : {}),
      prefix: router?.prefix ? normaliseRoutePath(router.prefix) : '',
      location: handlerLocation(site, text, starts),
      ...(router ? { routerName: router.name } : {}),
    };
  });
}

function handlerLocation(site: RouteSite, text: string, starts: number[]): SourceLocation {
  const column = lineTextAt(text, starts, site.handlerLine - 1).search(/\S/) + 1;
  return { file: site.file, line: site.handlerLine, column: Math.max(1, column) };
}

/**
 * The declaration that best explains `METHOD path`: one answering at exactly that path first, then
 * one below a computed mount or a router mounted elsewhere whose path ends the request (its
 * module's name telling which). Undefined when nothing matches, or when two declarations explain
 * the request equally well (a wrong place is worse than none).
 */
export function findHandler(routes: RouteDeclaration[], method: string, requestPath: string): RouteDeclaration | undefined {
  const m = matchRequest(routes, declarationCandidate, method, requestPath);
  return m.rivals.length > 0 ? undefined : m.best?.item;
}

function declarationCandidate(d: RouteDeclaration): RouteCandidate {
  const own = (d.paths ?? [d.path]).map((p) => normaliseRoutePath(`${d.prefix}/${p}`));
  const key = `${d.location.file}:${d.location.line}:${d.method}`;
  const names = resourceNamesOf(d.location.file, d.routerName);
  if (d.fullPaths === undefined) return { method: d.method, full: own, tails: [], own, names, key };
  return { method: d.method, full: d.fullPaths, tails: d.tails ?? [], own: d.mounted ? [] : own, names, key };
}

/**
 * Route declarations of the workspace with the paths the served app answers them at. Unreadable
 * files are passed over; `config` tells which module the app is started from.
 */
export async function scanWorkspaceRoutes(workspace: string, files: string[], config?: SmokeConfig): Promise<RouteDeclaration[]> {
  const reader = { files, read: (f: string) => readFile(path.join(workspace, f), 'utf8').catch(() => undefined) };
  const table = await loadRouteTable(reader, config);
  return table.routes.map((r) => {
    const starts = lineStarts(table.texts.get(r.site.file) ?? '');
    const paths = routeAlternatives(r.site.literal || '/', r.site.framework);
    return {
      method: r.site.method,
      path: paths[0]!,
      ...(paths.length > 1 ? { paths } : {}),
      prefix: r.router?.prefix ? normaliseRoutePath(r.router.prefix) : '',
      location: handlerLocation(r.site, table.texts.get(r.site.file) ?? '', starts),
      fullPaths: r.fullPaths,
      tails: r.tails,
      mounted: r.mounted,
      ...(r.router ? { routerName: r.router.name } : {}),
    };
  });
}

export { scanRouteSites, type RouteSite, type Framework } from './sites';
export {
  scanModule,
  scanModules,
  pythonModuleName,
  resolveJsModule,
  jsSpecifier,
  type ModuleFacts,
  type RouterDefinition,
  type AppDefinition,
  type ImportBinding,
  type Inclusion,
  type ReExport,
} from './routers';
export { resolveRoutes, resolveIn, inclusionsOf, findAppModule, RouteWorkspace, type PathPart, type ResolvedRoute, type ServedEntry } from './resolve';
export { loadRouteTable, findRoute, candidateOf, type RouteTable } from './table';
export { matchRequest, resourceNamesOf, sameResourceWord, type RouteCandidate, type RouteHit, type RequestMatch, type MatchKind } from './match';
export { findServedEntry } from './entry';
export { routeAlternatives, matchSegments, segmentsOf, looksLikeValue, parameterSegment } from './pattern';
export { notFoundSource, type NotFoundSource } from './notFound';
export { flaskViewResponses, returnsFor, statusValue, expressHandlerCode, expressSends, type ViewResponses, type ViewReturn, type HandlerCode, type Send } from './responses';
export { loadSources, type SourceReader } from './workspace';
export { detectEol, matchBracket, pythonBlockEnd, lineStarts, lineOfOffset, languageOf } from './syntax';
