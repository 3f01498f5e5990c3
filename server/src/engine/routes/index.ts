import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { SourceLocation } from '../model';

/**
 * Finds the source line of the handler that serves a route, by reading route declarations
 * (FastAPI/Flask decorators, Express calls) in the workspace's source files. Used to place a
 * diagnostic when a failure has no stack frame in the workspace (a 404 from a router that was
 * never included, a wrong status code).
 */

export interface RouteDeclaration {
  method: string;
  /** The literal path as written, normalised: parameters become `{}`. */
  path: string;
  /** The prefix declared for the whole router in the same file (`APIRouter(prefix=...)`), normalised. */
  prefix: string;
  location: SourceLocation;
}

const SOURCE_EXT = new Set(['.py', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);
const MAX_FILE_BYTES = 512 * 1024;

const PY_DECORATOR = /^\s*@\s*[A-Za-z_][\w.]*\.(get|post|put|patch|delete|head|options|route|api_route)\(\s*[rbuf]?(["'])(.*?)\2/;
const PY_METHODS = /methods\s*=\s*\[([^\]]*)\]/;
const PY_PREFIX = /APIRouter\([^)]*prefix\s*=\s*(["'])(.*?)\1|Blueprint\([^)]*url_prefix\s*=\s*(["'])(.*?)\3/;
const JS_ROUTE = /\b[A-Za-z_$][\w$]*\s*\.\s*(get|post|put|patch|delete|head|options|all)\(\s*(["'`])(\/.*?)\2/;
const JS_ROUTE_CHAIN = /\.route\(\s*(["'`])(\/.*?)\1\s*\)/;

export { normaliseRoutePath } from './normalise';
import { normaliseRoutePath } from './normalise';

/** Read route declarations from one file's text. `file` is workspace-relative. */
export function scanRoutes(file: string, text: string): RouteDeclaration[] {
  const ext = path.extname(file);
  const lines = text.split(/\r?\n/);
  const out: RouteDeclaration[] = [];
  if (ext === '.py') {
    const prefixMatch = PY_PREFIX.exec(text);
    const prefix = prefixMatch ? normaliseRoutePath(prefixMatch[2] ?? prefixMatch[4] ?? '') : '';
    for (let i = 0; i < lines.length; i++) {
      const m = PY_DECORATOR.exec(lines[i]);
      if (!m) continue;
      let methods = [m[1].toUpperCase()];
      if (m[1] === 'route' || m[1] === 'api_route') {
        const ms = PY_METHODS.exec(lines[i]);
        methods = ms ? [...ms[1].matchAll(/["'](\w+)["']/g)].map((x) => x[1].toUpperCase()) : ['GET'];
      }
      // The handler is the `def` under the decorators.
      let defLine = i;
      for (let j = i + 1; j < Math.min(lines.length, i + 20); j++) {
        if (/^\s*(async\s+)?def\s/.test(lines[j])) {
          defLine = j;
          break;
        }
      }
      const column = lines[defLine].search(/\S/) + 1;
      for (const method of methods) {
        out.push({ method, path: normaliseRoutePath(m[3] || '/'), prefix, location: { file, line: defLine + 1, column } });
      }
    }
  } else if (SOURCE_EXT.has(ext)) {
    for (let i = 0; i < lines.length; i++) {
      const m = JS_ROUTE.exec(lines[i]);
      if (m) {
        out.push({
          method: m[1] === 'all' ? '*' : m[1].toUpperCase(),
          path: normaliseRoutePath(m[3]),
          prefix: '',
          location: { file, line: i + 1, column: lines[i].search(/\S/) + 1 },
        });
        continue;
      }
      const chain = JS_ROUTE_CHAIN.exec(lines[i]);
      if (chain) {
        for (const verb of lines[i].matchAll(/\.(get|post|put|patch|delete)\(/g)) {
          out.push({ method: verb[1].toUpperCase(), path: normaliseRoutePath(chain[2]), prefix: '', location: { file, line: i + 1 } });
        }
      }
    }
  }
  return out;
}

/**
 * The declaration that best explains `METHOD path`: an exact match of prefix + path first, then the
 * longest declared path that is a suffix of the requested one (a router mounted under a prefix
 * declared elsewhere). Undefined when nothing matches.
 */
export function findHandler(routes: RouteDeclaration[], method: string, requestPath: string): RouteDeclaration | undefined {
  const target = normaliseRoutePath(requestPath);
  let best: { route: RouteDeclaration; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== method.toUpperCase() && route.method !== '*') continue;
    const full = normaliseRoutePath(route.prefix + route.path);
    let score = -1;
    if (full === target) score = 10_000 + full.length;
    // A router mounted under a prefix declared in another file: the declared path is a suffix on a segment boundary.
    else if (route.path.length > 1 && route.path.startsWith('/') && target.endsWith(route.path)) score = route.path.length;
    // A router with no prefix of its own, mounted elsewhere: guess its mount point from the file name (`routes/tags.js` → `/tags`).
    else if (!route.prefix && normaliseRoutePath(`/${path.basename(route.location.file, path.extname(route.location.file))}${route.path}`) === target) score = 1_000;
    if (score > (best?.score ?? -1)) best = { route, score };
  }
  return best?.route;
}

/** Scan the given workspace files (workspace-relative) for route declarations. Unreadable files are passed over. */
export async function scanWorkspaceRoutes(workspace: string, files: string[]): Promise<RouteDeclaration[]> {
  const out: RouteDeclaration[] = [];
  for (const file of files) {
    if (!SOURCE_EXT.has(path.extname(file))) continue;
    try {
      const buf = await readFile(path.join(workspace, file));
      if (buf.length > MAX_FILE_BYTES) continue;
      out.push(...scanRoutes(file, buf.toString('utf8')));
    } catch {
      /* unreadable: not a route source */
    }
  }
  return out;
}

export { scanRouteSites, type RouteSite, type Framework } from './sites';
export {
  scanModule,
  scanModules,
  resolveRoutes,
  inclusionsOf,
  findAppModule,
  pythonModuleName,
  resolveJsModule,
  jsSpecifier,
  type ModuleFacts,
  type RouterDefinition,
  type AppDefinition,
  type ImportBinding,
  type Inclusion,
  type ResolvedRoute,
} from './routers';
export { loadSources, type SourceReader } from './workspace';
export { detectEol, matchBracket, pythonBlockEnd, lineStarts, lineOfOffset, languageOf } from './syntax';
