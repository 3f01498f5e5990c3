import type { SmokeConfig } from '../config/schema';
import { findServedEntry } from './entry';
import { matchRequest, resourceNamesOf, type RequestMatch, type RouteCandidate } from './match';
import { resolveIn, RouteWorkspace, type ResolvedRoute, type ServedEntry } from './resolve';
import { scanModule, type AppDefinition, type ModuleFacts } from './routers';
import { languageOf } from './syntax';
import { loadSources, type SourceReader } from './workspace';

/**
 * A workspace's routes as the running app serves them: every module read once, the module the run
 * command starts found, and each route with the paths it answers at. What rules and diagnostics
 * ask of the workspace's routing goes through here.
 */

export interface RouteTable {
  texts: Map<string, string>;
  modules: ModuleFacts[];
  files: Set<string>;
  ws: RouteWorkspace;
  routes: ResolvedRoute[];
  /** The module the run command starts, when it could be told. */
  entry?: ServedEntry;
  /** The apps that entry serves; undefined when every app counts (no entry, or none found from it). */
  served?: Set<AppDefinition>;
  /** What is known of the served module, in words, for evidence. */
  entryNote: string;
}

export async function loadRouteTable(reader: SourceReader, config?: SmokeConfig): Promise<RouteTable> {
  const texts = await loadSources(reader);
  const files = new Set(reader.files);
  const entry = await findServedEntry(config, reader).catch(() => undefined);
  const modules = [...texts].map(([file, text]) => scanModule(file, text));
  // A script without an extension (`bin/www`) is read as the JavaScript it is.
  for (const file of entry?.files ?? []) {
    if (texts.has(file) || languageOf(file)) continue;
    const text = await reader.read(file).catch(() => undefined);
    if (text !== undefined && /^#!.*\bnode\b/.test(text)) {
      texts.set(file, text);
      modules.push(scanModule(file, text, 'js'));
    }
  }
  const ws = new RouteWorkspace(modules, files);
  let served: Set<AppDefinition> | undefined;
  let entryNote: string;
  if (!entry) entryNote = 'no run command says which module the app is started from; every app in the workspace is taken as served';
  else {
    served = ws.servedApps(entry);
    if (served.size === 0) {
      entryNote = `${entry.how} starts ${entry.files.join(', ')}, but no app is created there or in the modules it loads; every app in the workspace is taken as served`;
      served = undefined;
    } else entryNote = `${entry.how} serves ${[...served].map((a) => `${a.file}:${a.line}`).join(', ')}`;
  }
  return { texts, modules, files, ws, routes: resolveIn(ws, served), entry, served, entryNote };
}

/** The route(s) that answer a request, best first, with rivals when two explain it equally well. */
export function findRoute(routes: readonly ResolvedRoute[], method: string, requestPath: string): RequestMatch<ResolvedRoute> {
  return matchRequest(routes, candidateOf, method, requestPath);
}

export function candidateOf(r: ResolvedRoute): RouteCandidate {
  return {
    method: r.site.method,
    full: r.fullPaths,
    tails: r.tails,
    own: r.mounted ? [] : [r.ownPath],
    names: resourceNamesOf(r.site.file, r.router?.name),
    key: `${r.site.file}:${r.site.handlerStart}:${r.site.method}`,
  };
}
