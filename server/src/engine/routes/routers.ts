import * as path from 'node:path';
import { normaliseRoutePath } from './normalise';
import { scanRouteSites, keywordString, firstStringArgument, type Framework, type RouteSite } from './sites';
import { languageOf, lineOfOffset, lineStarts, matchBracket } from './syntax';

/**
 * How a workspace wires its routes together: the routers each module defines (FastAPI
 * `APIRouter`, Flask `Blueprint`, Express `Router()`), the apps (`FastAPI()`, `Flask(__name__)`,
 * `express()`), what each module imports, and where routers are included or mounted. Enough to
 * say "this router is never included" and "this route answers at that full path".
 */

export interface RouterDefinition {
  file: string;
  framework: Framework;
  /** The variable bound to the router. */
  name: string;
  /** Its own prefix as written (`/products/{product_id}/reviews`), '' when none. */
  prefix: string;
  /** 1-based line. */
  line: number;
  /** How another module refers to it: its name, or `default` when it is `module.exports`. */
  exportName: string;
}

export interface AppDefinition {
  file: string;
  framework: Framework;
  name: string;
  line: number;
  /** Offset just after the statement that creates it. */
  end: number;
}

export interface ImportBinding {
  /** The name bound in the importing module. */
  local: string;
  /** The module as written (`app.routers`, `app.routers.reviews`, `./routes/tags`). */
  module: string;
  /** The imported name (`reviews`, `router`, `default`), or `*module*` for a whole-module import. */
  imported: string;
  line: number;
  /** Offsets of the whole import statement. */
  start: number;
  end: number;
}

export interface Inclusion {
  /** `app.include_router(...)`, `app.register_blueprint(...)`, `app.use('/x', ...)`. */
  owner: string;
  /** The router argument as written (`reviews.router`, `tagsRouter`, `require('./routes/tags')`). */
  argument: string;
  /** Mount path (`prefix=` / `url_prefix=` / the first argument of `use`), '' when none. */
  mountPath: string;
  line: number;
  start: number;
  end: number;
}

export interface ModuleFacts {
  file: string;
  routers: RouterDefinition[];
  apps: AppDefinition[];
  imports: ImportBinding[];
  inclusions: Inclusion[];
  sites: RouteSite[];
}

export function scanModule(file: string, text: string): ModuleFacts {
  const lang = languageOf(file);
  const facts: ModuleFacts = { file, routers: [], apps: [], imports: [], inclusions: [], sites: scanRouteSites(file, text) };
  if (!lang) return facts;
  const starts = lineStarts(text);
  const lineAt = (offset: number) => lineOfOffset(starts, offset) + 1;
  if (lang === 'python') {
    for (const m of text.matchAll(/^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:[\w.]+\.)?(APIRouter|Blueprint|FastAPI|Flask)[ \t]*\(/gm)) {
      const open = m.index + m[0].length - 1;
      const close = matchBracket(text, open, 'python');
      if (close < 0) continue;
      const kind = m[2]!;
      if (kind === 'APIRouter' || kind === 'Blueprint') {
        const p = keywordString(text, open + 1, close, kind === 'APIRouter' ? 'prefix' : 'url_prefix');
        facts.routers.push({ file, framework: kind === 'APIRouter' ? 'fastapi' : 'flask', name: m[1]!, prefix: p ? text.slice(p.start, p.end) : '', line: lineAt(m.index), exportName: m[1]! });
      } else {
        facts.apps.push({ file, framework: kind === 'FastAPI' ? 'fastapi' : 'flask', name: m[1]!, line: lineAt(m.index), end: close + 1 });
      }
    }
    for (const m of text.matchAll(/^from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)/gm)) {
      const names = m[2]!.replace(/[()\\]/g, ' ').split(',');
      for (const raw of names) {
        const nm = /^\s*([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(raw.replace(/#.*$/gm, ''));
        if (nm) facts.imports.push({ local: nm[2] ?? nm[1]!, module: m[1]!, imported: nm[1]!, line: lineAt(m.index), start: m.index, end: m.index + m[0].length });
      }
    }
    for (const m of text.matchAll(/^import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+([A-Za-z_]\w*))?/gm)) {
      facts.imports.push({ local: m[2] ?? m[1]!, module: m[1]!, imported: '*module*', line: lineAt(m.index), start: m.index, end: m.index + m[0].length });
    }
    for (const m of text.matchAll(/([A-Za-z_][\w.]*)\.(include_router|register_blueprint)[ \t]*\(/g)) {
      const open = m.index + m[0].length - 1;
      const close = matchBracket(text, open, 'python');
      if (close < 0) continue;
      const arg = /^\s*([A-Za-z_][\w.]*)/.exec(text.slice(open + 1, close));
      const mp = keywordString(text, open + 1, close, m[2] === 'include_router' ? 'prefix' : 'url_prefix');
      facts.inclusions.push({ owner: m[1]!, argument: arg?.[1] ?? '', mountPath: mp ? text.slice(mp.start, mp.end) : '', line: lineAt(m.index), start: m.index, end: close + 1 });
    }
  } else {
    for (const m of text.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:express\s*\.\s*Router|Router|express)\s*\(/g)) {
      const open = m.index + m[0].length - 1;
      const close = matchBracket(text, open, 'js');
      if (close < 0) continue;
      const isApp = /=\s*express\s*\($/.test(m[0]);
      if (isApp) facts.apps.push({ file, framework: 'express', name: m[1]!, line: lineAt(m.index), end: statementEnd(text, close + 1) });
      else facts.routers.push({ file, framework: 'express', name: m[1]!, prefix: '', line: lineAt(m.index), exportName: m[1]! });
    }
    for (const r of facts.routers) {
      if (new RegExp(`module\\.exports\\s*=\\s*${escape(r.name)}\\s*;?\\s*$`, 'm').test(text) || new RegExp(`export\\s+default\\s+${escape(r.name)}\\b`).test(text)) r.exportName = 'default';
    }
    for (const m of text.matchAll(/\b(?:const|let|var)\s+(\{[^}]*\}|[A-Za-z_$][\w$]*)\s*=\s*require\(\s*(["'])([^"'\n]+)\2\s*\)/g)) {
      addJsBindings(facts, m[1]!, m[3]!, lineAt(m.index), m.index, statementEnd(text, m.index + m[0].length));
    }
    for (const m of text.matchAll(/^import\s+([A-Za-z_$][\w$]*|\{[^}]*\})\s+from\s+(["'])([^"'\n]+)\2/gm)) {
      addJsBindings(facts, m[1]!, m[3]!, lineAt(m.index), m.index, statementEnd(text, m.index + m[0].length), true);
    }
    for (const m of text.matchAll(/([A-Za-z_$][\w$]*)\s*\.\s*use\s*\(/g)) {
      const open = m.index + m[0].length - 1;
      const close = matchBracket(text, open, 'js');
      if (close < 0) continue;
      const lit = firstStringArgument(text, open + 1, close, 'js');
      const rest = text.slice(lit ? lit.end + 1 : open + 1, close).replace(/^\s*,?\s*/, '');
      const arg = /^(require\(\s*["'][^"']+["']\s*\)|[A-Za-z_$][\w$.]*)/.exec(rest);
      if (!arg) continue;
      facts.inclusions.push({ owner: m[1]!, argument: arg[1]!, mountPath: lit ? text.slice(lit.start, lit.end) : '', line: lineAt(m.index), start: m.index, end: statementEnd(text, close + 1) });
    }
  }
  return facts;
}

function addJsBindings(facts: ModuleFacts, lhs: string, module: string, line: number, start: number, end: number, esm = false): void {
  if (lhs.startsWith('{')) {
    for (const part of lhs.slice(1, -1).split(',')) {
      const nm = /^\s*([A-Za-z_$][\w$]*)(?:\s*(?::|\bas\b)\s*([A-Za-z_$][\w$]*))?\s*$/.exec(part);
      if (nm) facts.imports.push({ local: nm[2] ?? nm[1]!, module, imported: nm[1]!, line, start, end });
    }
  } else facts.imports.push({ local: lhs, module, imported: esm ? 'default' : 'default', line, start, end });
}

/** Offset after the statement ending at `at`: past an optional `;` on the same line. */
function statementEnd(text: string, at: number): number {
  const m = /^[ \t]*;/.exec(text.slice(at, at + 50));
  return m ? at + m[0].length : at;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------- resolution across modules

/** The dotted module name of a Python file (`app/routers/reviews.py` → `app.routers.reviews`). */
export function pythonModuleName(file: string): string {
  return file.replace(/\.py$/, '').replace(/\/__init__$/, '').split('/').join('.');
}

/** The workspace file a JavaScript module specifier names, from the importing file; undefined for packages. */
export function resolveJsModule(importer: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
  for (const cand of [base, ...['.js', '.ts', '.mjs', '.cjs'].map((e) => base + e), ...['/index.js', '/index.ts'].map((e) => base + e)]) {
    if (files.has(cand)) return cand;
  }
  return undefined;
}

/** The specifier an importer would write for a file (`src/app.js` importing `src/routes/tags.js` → `./routes/tags`). */
export function jsSpecifier(importer: string, file: string): string {
  let rel = path.posix.relative(path.posix.dirname(importer), file).replace(/\.(m|c)?(j|t)s$/, '');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

/** Python module names a file can be imported as: its dotted path from the workspace root and from each parent folder. */
function pythonNames(file: string): string[] {
  const parts = pythonModuleName(file).split('.');
  return parts.map((_, i) => parts.slice(i).join('.'));
}

/** Where a router is included or mounted, anywhere in the workspace. */
export function inclusionsOf(router: RouterDefinition, modules: ModuleFacts[], files: ReadonlySet<string>): Array<{ module: ModuleFacts; inclusion: Inclusion }> {
  const out: Array<{ module: ModuleFacts; inclusion: Inclusion }> = [];
  const names = router.framework === 'express' ? [] : pythonNames(router.file);
  for (const mod of modules) {
    for (const inc of mod.inclusions) {
      if (refersTo(mod, inc.argument, router, names, files)) out.push({ module: mod, inclusion: inc });
    }
  }
  return out;
}

function refersTo(mod: ModuleFacts, argument: string, router: RouterDefinition, names: string[], files: ReadonlySet<string>): boolean {
  if (!argument) return false;
  if (router.framework === 'express') {
    const req = /^require\(\s*["']([^"']+)["']\s*\)$/.exec(argument);
    if (req) return router.exportName === 'default' && resolveJsModule(mod.file, req[1]!, files) === router.file;
    if (mod.file === router.file) return argument === router.name;
    const head = argument.split('.')[0]!;
    const binding = mod.imports.find((b) => b.local === head);
    if (!binding || resolveJsModule(mod.file, binding.module, files) !== router.file) return false;
    const used = argument.includes('.') ? argument.split('.')[1] : binding.imported;
    return used === router.exportName;
  }
  if (mod.file === router.file) return argument === router.name;
  const [head, ...rest] = argument.split('.');
  for (const b of mod.imports) {
    if (b.local === head || (b.imported === '*module*' && argument.startsWith(`${b.local}.`))) {
      const full = (b.imported === '*module*' ? [b.module, ...argument.slice(b.local.length + 1).split('.')].join('.') : [b.module, b.imported, ...rest].join('.')).replace(/^\.+/, '');
      if (names.some((n) => full === `${n}.${router.name}`)) return true;
    }
  }
  return false;
}

/** Parse every source file once. */
export function scanModules(texts: Map<string, string>): ModuleFacts[] {
  return [...texts].map(([file, text]) => scanModule(file, text));
}

/** The module that creates the app and includes the others, for a framework. */
export function findAppModule(modules: ModuleFacts[], framework: Framework): { module: ModuleFacts; app: AppDefinition } | undefined {
  const fw = (f: Framework) => (framework === 'express' ? f === 'express' : f !== 'express');
  const cands = modules.flatMap((m) => m.apps.filter((a) => fw(a.framework)).map((app) => ({ module: m, app })));
  cands.sort((a, b) => ownInclusions(b) - ownInclusions(a) || a.module.file.localeCompare(b.module.file));
  return cands[0];
}

function ownInclusions(c: { module: ModuleFacts; app: AppDefinition }): number {
  return c.module.inclusions.filter((i) => i.owner === c.app.name).length;
}

/** A route declaration with the router it hangs on and the full paths at which it answers. */
export interface ResolvedRoute {
  site: RouteSite;
  /** The router the route hangs on; undefined when it hangs on the app itself. */
  router?: RouterDefinition;
  /** Whether the app serves it: declared on the app, or on a router included (through any chain) in it. */
  mounted: boolean;
  /** Normalised full paths where it answers (mounted routes only). */
  fullPaths: string[];
  /** Router prefix + route path, normalised, without any mount path. */
  ownPath: string;
}

export function resolveRoutes(modules: ModuleFacts[], files: ReadonlySet<string>): ResolvedRoute[] {
  const out: ResolvedRoute[] = [];
  const memo = new Map<RouterDefinition, string[] | null>();
  const mountsOf = (router: RouterDefinition, depth: number): string[] | null => {
    if (memo.has(router)) return memo.get(router)!;
    if (depth > 6) return null;
    memo.set(router, null);
    const result: string[] = [];
    for (const { module, inclusion } of inclusionsOf(router, modules, files)) {
      if (module.apps.some((a) => a.name === inclusion.owner)) result.push(inclusion.mountPath);
      else {
        const parent = module.routers.find((r) => r.name === inclusion.owner);
        if (!parent) continue;
        for (const m of mountsOf(parent, depth + 1) ?? []) result.push(m + parent.prefix + inclusion.mountPath);
      }
    }
    const value = result.length > 0 ? result : null;
    memo.set(router, value);
    return value;
  };
  for (const mod of modules) {
    for (const site of mod.sites) {
      const router = mod.routers.find((r) => r.name === site.owner);
      const onApp = !router && mod.apps.some((a) => a.name === site.owner);
      const ownPath = normaliseRoutePath((router?.prefix ?? '') + site.literal || '/');
      if (onApp) {
        out.push({ site, mounted: true, fullPaths: [normaliseRoutePath(site.literal || '/')], ownPath });
        continue;
      }
      if (!router) continue;
      const mounts = mountsOf(router, 0);
      out.push({ site, router, mounted: mounts !== null, fullPaths: (mounts ?? []).map((m) => normaliseRoutePath(m + router.prefix + site.literal || '/')), ownPath });
    }
  }
  return out;
}
