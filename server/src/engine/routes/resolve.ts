import * as path from 'node:path';
import { normaliseRoutePath } from './normalise';
import { routeAlternatives } from './pattern';
import { resolveJsModule, type AppDefinition, type ImportBinding, type Inclusion, type ModuleFacts, type RouterDefinition, type TextSpan } from './routers';
import type { Framework, RouteSite } from './sites';
import { languageOf } from './syntax';
import { evaluateString } from './values';

/**
 * Ties the modules together: what a name in a module refers to (a router, an app, a module)
 * through imports, re-exports and folders loaded at run time; where each router is mounted, with
 * which path, on which app; and so the full paths each route answers at. A mount path that is
 * computed at run time is kept as such: the routes below it are known only by the tail of their
 * path, never given a made-up prefix.
 */

/** The module(s) the app is started from, found in its run command (entry.ts). */
export interface ServedEntry {
  /** Workspace files the run command starts (a module, a package's `__init__.py`, a script). */
  files: string[];
  /** The attribute named after `module:` (`app`, `create_app`), when the command names one. */
  attribute?: string;
  /** Where this was read, for evidence (`app.process.command: uvicorn sql_app.main:app`). */
  how: string;
}

/** A route declaration with the router it hangs on and the paths at which the served app answers it. */
export interface ResolvedRoute {
  site: RouteSite;
  /** The router the route hangs on; undefined when it hangs on the app itself. */
  router?: RouterDefinition;
  /** The app it hangs on directly. */
  app?: AppDefinition;
  /** Whether the app that runs serves it: declared on it, or on a router included (through any chain) in it. */
  mounted: boolean;
  /** Normalised full paths where it answers, every mount on the way being known. */
  fullPaths: string[];
  /** Normalised paths it answers below a mount point computed at run time (the part after it). */
  tails: string[];
  /** Router prefix + route path, normalised, without any mount path. */
  ownPath: string;
  /** Where a mount path on the way is computed at run time (`src/app.js:19`). */
  dynamicMounts: string[];
  /** Apps it is included in that the run command does not serve (`sql_app/alt_main.py:5`). */
  unservedApps: string[];
  /** For each of `fullPaths`: the mount paths and prefixes above the route's own path, outermost first. */
  chains: Array<{ full: string; parts: PathPart[] }>;
  /**
   * When the route hangs on a router that is mounted on other routers only, none of them on an app:
   * the topmost such routers and the route's path below each (their own prefix included). Mounting
   * one of them is what makes the route answer.
   */
  roots: Array<{ router: RouterDefinition; path: string }>;
}

/** A mount path or router prefix written in the code, that part of a route's full path comes from. */
export interface PathPart {
  kind: 'mount' | 'prefix';
  file: string;
  line: number;
  /** Its value (evaluated when written as an expression). */
  value: string;
  /** Where its text is, when it is a plain string literal a fix can rewrite. */
  span?: TextSpan;
}

type Target = { kind: 'router'; router: RouterDefinition } | { kind: 'app'; app: AppDefinition } | { kind: 'module'; file: string };

/** The index of a workspace's modules, with the lookups resolution needs. */
export class RouteWorkspace {
  readonly byFile = new Map<string, ModuleFacts>();
  private readonly pyCache = new Map<string, string | undefined>();

  constructor(
    readonly modules: ModuleFacts[],
    readonly files: ReadonlySet<string>,
  ) {
    for (const m of modules) this.byFile.set(m.file, m);
  }

  /**
   * The Python file a module name (absolute or relative to `importer`) names, or undefined. A
   * folder of modules without `__init__.py` (a namespace package) is named by the `__init__.py` it
   * would have, so its submodules can still be found.
   */
  pythonFile(importer: string, module: string): string | undefined {
    const key = `${path.posix.dirname(importer)}\0${module}`;
    if (!this.pyCache.has(key)) this.pyCache.set(key, this.findPythonFile(importer, module));
    return this.pyCache.get(key);
  }

  private findPythonFile(importer: string, module: string): string | undefined {
    const rel = /^(\.+)(.*)$/.exec(module);
    if (rel) {
      let dir = path.posix.dirname(importer);
      for (let i = 1; i < rel[1]!.length; i++) dir = path.posix.dirname(dir);
      const sub = rel[2] ? rel[2].split('.').join('/') : '';
      const base = sub ? (dir === '.' ? sub : `${dir}/${sub}`) : dir;
      const cands = sub ? [`${base}.py`, `${base}/__init__.py`] : [base === '.' ? '__init__.py' : `${base}/__init__.py`];
      for (const cand of cands) if (this.files.has(cand)) return cand;
      return this.isPackageDir(base) ? `${base}/__init__.py` : undefined;
    }
    // Absolute: the file whose dotted path ends with the module, closest to the importer.
    const suffix = module.split('.').join('/');
    let hits = [...this.files].filter((f) => f.endsWith('.py') && (f === `${suffix}.py` || f === `${suffix}/__init__.py` || f.endsWith(`/${suffix}.py`) || f.endsWith(`/${suffix}/__init__.py`)));
    if (hits.length === 0) {
      const dirs = new Set<string>();
      for (const f of this.files) {
        if (!f.endsWith('.py')) continue;
        const at = f.startsWith(`${suffix}/`) ? 0 : f.indexOf(`/${suffix}/`) + 1;
        if (at >= 0 && (at === 0 ? f.startsWith(`${suffix}/`) : true)) dirs.add(f.slice(0, at + suffix.length));
      }
      hits = [...dirs].map((d) => `${d}/__init__.py`);
    }
    if (hits.length <= 1) return hits[0];
    const shared = (f: string) => {
      const a = path.posix.dirname(importer).split('/');
      const b = f.split('/');
      let n = 0;
      while (n < a.length && n < b.length && a[n] === b[n]) n++;
      return n;
    };
    return hits.sort((x, y) => shared(y) - shared(x) || x.length - y.length || x.localeCompare(y))[0];
  }

  private isPackageDir(dir: string): boolean {
    const prefix = dir === '.' ? '' : `${dir}/`;
    for (const f of this.files) if (f.startsWith(prefix) && f.endsWith('.py') && !f.slice(prefix.length).includes('/')) return true;
    return false;
  }

  /** The files a binding's module names: one, or every module of a folder loaded at run time. */
  moduleFiles(importer: string, module: string, directory = false): string[] {
    if (languageOf(importer) === 'python') {
      const f = this.pythonFile(importer, module);
      return f ? [f] : [];
    }
    if (!directory) {
      const f = resolveJsModule(importer, module, this.files);
      return f ? [f] : [];
    }
    if (!module.startsWith('.')) return [];
    const dir = path.posix.normalize(path.posix.join(path.posix.dirname(importer), module)).replace(/\/$/, '');
    return [...this.files].filter((f) => path.posix.dirname(f) === dir && languageOf(f) === 'js' && !/\.(test|spec|d)\.[cm]?[jt]s$/.test(f)).sort();
  }

  /** What `name` (possibly dotted: `users.router`, `routes.default`) refers to in a module. */
  resolveName(mod: ModuleFacts, name: string, depth = 0): Target[] {
    if (!name || depth > 6) return [];
    const [head, ...rest] = name.split('.');
    if (rest.length === 0) {
      const router = mod.routers.find((r) => r.name === head);
      if (router) return [{ kind: 'router', router }];
      const app = mod.apps.find((a) => a.name === head);
      if (app) return [{ kind: 'app', app }];
    }
    // `import a.b.c` binds the dotted name itself.
    const bindings = [...mod.imports, ...mod.innerImports];
    const dotted = bindings.filter((b) => b.imported === '*module*' && b.local.includes('.') && name.startsWith(`${b.local}.`)).sort((a, b) => b.local.length - a.local.length)[0];
    if (dotted) return this.attributes(this.bindingTargets(mod, dotted, depth), name.slice(dotted.local.length + 1).split('.'), depth);
    const binding = bindings.filter((b) => b.local === head).pop();
    if (!binding) return [];
    // `require('./routes').users`: a CommonJS module's exports object, whose members are its named exports.
    if (binding.imported === 'default' && rest.length > 0 && languageOf(mod.file) !== 'python') {
      const asModule = this.attributes(this.moduleFiles(mod.file, binding.module, binding.directory).map((file) => ({ kind: 'module' as const, file })), rest, depth);
      if (asModule.length > 0) return asModule;
    }
    return this.attributes(this.bindingTargets(mod, binding, depth), rest, depth);
  }

  private bindingTargets(mod: ModuleFacts, b: ImportBinding, depth: number): Target[] {
    const files = this.moduleFiles(mod.file, b.module, b.directory);
    if (b.imported === '*module*') return files.map((file) => ({ kind: 'module' as const, file }));
    return files.flatMap((file) => this.exportOf(file, b.imported, depth + 1));
  }

  private attributes(targets: Target[], attrs: string[], depth: number): Target[] {
    let cur = targets;
    for (const attr of attrs) cur = cur.flatMap((t) => (t.kind === 'module' ? this.exportOf(t.file, attr, depth + 1) : []));
    return cur;
  }

  /** What a module exports under a name: a router, an app, a submodule, or what it re-exports. */
  exportOf(file: string, name: string, depth = 0): Target[] {
    if (depth > 6) return [];
    const mod = this.byFile.get(file);
    if (languageOf(file) === 'python') {
      if (mod) {
        const own = this.resolveName(mod, name, depth);
        if (own.length > 0) return own;
      }
      if (file.endsWith('__init__.py')) {
        const sub = this.pythonFile(file, `.${name}`);
        if (sub) return [{ kind: 'module', file: sub }];
      }
      return [];
    }
    if (!mod) return [];
    if (name === '*module*') return [{ kind: 'module', file }];
    const out: Target[] = [];
    for (const r of mod.routers) if (r.exportNames.includes(name)) out.push({ kind: 'router', router: r });
    for (const a of mod.apps) if (a.exportNames.includes(name)) out.push({ kind: 'app', app: a });
    if (out.length > 0) return out;
    for (const re of mod.reexports.filter((r) => r.name === name)) {
      for (const f of this.moduleFiles(file, re.module)) out.push(...this.exportOf(f, re.imported, depth + 1));
    }
    for (const e of mod.exports.filter((x) => x.name === name)) out.push(...this.resolveName(mod, e.local, depth + 1));
    return out;
  }

  /** The routers (or apps) an inclusion's argument names. */
  inclusionTargets(mod: ModuleFacts, inc: Inclusion): Target[] {
    if (inc.inline) {
      const files = this.moduleFiles(mod.file, inc.inline.module, inc.inline.directory);
      return files.flatMap((f) => this.exportOf(f, inc.inline!.imported));
    }
    return this.resolveName(mod, inc.argument);
  }

  /** A string expression's value in a module: literals, constants, settings attributes, imported ones. */
  evaluate(mod: ModuleFacts, expr: string): string | undefined {
    const lang = languageOf(mod.file);
    if (!lang) return undefined;
    return evaluateString(expr, lang, (name) => this.lookupValue(mod, name, 0));
  }

  private lookupValue(mod: ModuleFacts, name: string, depth: number): string | undefined {
    if (depth > 4) return undefined;
    const [head, ...rest] = name.split('.');
    const v = mod.values;
    if (rest.length === 0 && v.strings.has(head!)) return v.strings.get(head!);
    // Asked from another module: `exports.API_PREFIX = '/api'` is what it imports by that name.
    if (rest.length === 0 && depth > 0 && v.objects.get('module.exports')?.has(head!)) return v.objects.get('module.exports')!.get(head!);
    if (rest.length === 1) {
      const direct = v.objects.get(head!)?.get(rest[0]!) ?? v.objects.get(v.instances.get(head!) ?? '')?.get(rest[0]!);
      if (direct !== undefined) return direct;
    }
    const binding = [...mod.imports, ...mod.innerImports].filter((b) => b.local === head).pop();
    if (!binding) return undefined;
    for (const file of this.moduleFiles(mod.file, binding.module, binding.directory)) {
      const target = this.byFile.get(file);
      if (!target) continue;
      const inner = binding.imported === '*module*' || binding.imported === 'default' ? rest.join('.') : [binding.imported, ...rest].join('.');
      if (!inner) continue;
      // A CommonJS module's exports object: `module.exports = { prefix: '/v2' }`.
      const viaExports = rest.length === 1 && binding.imported === 'default' ? target.values.objects.get('module.exports')?.get(rest[0]!) : undefined;
      const found = viaExports ?? this.lookupValue(target, inner, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Whether the first argument of `use` is a handler rather than a path: a router or app, a
   * function the module declares, or something imported from a package (middleware).
   */
  isHandler(mod: ModuleFacts, expr: string): boolean {
    const e = expr.trim();
    if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(e)) return false;
    if (this.resolveName(mod, e).some((t) => t.kind !== 'module')) return true;
    if (mod.functions.includes(e)) return true;
    const head = e.split('.')[0]!;
    return [...mod.imports, ...mod.innerImports].some((b) => b.local === head && !b.module.startsWith('.'));
  }

  /** Every module a set of entry files loads, following imports, re-exports and folders loaded at run time. */
  reachableFrom(entries: string[]): Set<string> {
    const seen = new Set<string>();
    const queue = entries.filter((f) => this.byFile.has(f));
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const mod = this.byFile.get(file)!;
      const next: string[] = [];
      for (const b of [...mod.imports, ...mod.innerImports]) {
        next.push(...this.moduleFiles(file, b.module, b.directory));
        // `from pkg import mod` may import a submodule.
        if (languageOf(file) === 'python' && b.imported !== '*module*') {
          const pkg = this.pythonFile(file, b.module);
          if (pkg?.endsWith('__init__.py')) {
            const sub = this.pythonFile(pkg, `.${b.imported}`);
            if (sub) next.push(sub);
          }
        }
      }
      // Importing `a.b.c` runs the packages `a` and `a.b` too.
      if (languageOf(file) === 'python') for (let d = path.posix.dirname(file); d !== '.'; d = path.posix.dirname(d)) next.push(`${d}/__init__.py`);
      for (const r of mod.reexports) next.push(...this.moduleFiles(file, r.module));
      for (const i of mod.inclusions) if (i.inline) next.push(...this.moduleFiles(file, i.inline.module, i.inline.directory));
      for (const f of next) if (!seen.has(f) && this.byFile.has(f)) queue.push(f);
    }
    return seen;
  }

  /** The apps the run command serves: those its entry module creates, else those of the modules it loads. */
  servedApps(entry: ServedEntry): Set<AppDefinition> {
    const own = entry.files.flatMap((f) => this.byFile.get(f)?.apps ?? []);
    const named = entry.attribute ? own.filter((a) => a.name === entry.attribute) : [];
    if (named.length > 0) return new Set(named);
    if (own.length > 0) return new Set(own);
    const reach = this.reachableFrom(entry.files);
    return new Set([...reach].flatMap((f) => this.byFile.get(f)!.apps));
  }
}

interface Mount {
  /** The path above the router when `known`; else the part of it below the last computed mount. */
  path: string;
  known: boolean;
  app: AppDefinition;
  dynamic: string[];
  /** The parts of `path`, outermost first (when known). */
  parts: PathPart[];
  /** The last inclusion gave a Flask blueprint a url_prefix of its own, which takes the place of the blueprint's. */
  overridesPrefix: boolean;
}

/**
 * Every route of the workspace with the paths it answers at. With an entry, only apps the run
 * command serves count as serving; without one, every app does.
 */
export function resolveRoutes(modules: ModuleFacts[], files: ReadonlySet<string>, entry?: ServedEntry): ResolvedRoute[] {
  const ws = new RouteWorkspace(modules, files);
  return resolveIn(ws, entry ? ws.servedApps(entry) : undefined);
}

/** resolveRoutes on an index already built; `served` undefined means every app is served. */
export function resolveIn(ws: RouteWorkspace, served?: Set<AppDefinition>): ResolvedRoute[] {
  const inclusionsByRouter = new Map<RouterDefinition, Array<{ mod: ModuleFacts; inc: Inclusion }>>();
  for (const mod of ws.modules) {
    for (const inc of mod.inclusions) {
      for (const t of ws.inclusionTargets(mod, inc)) {
        if (t.kind !== 'router') continue;
        if (!inclusionsByRouter.has(t.router)) inclusionsByRouter.set(t.router, []);
        inclusionsByRouter.get(t.router)!.push({ mod, inc });
      }
    }
  }
  const memo = new Map<RouterDefinition, Mount[]>();
  const mountsOf = (router: RouterDefinition, depth: number): Mount[] => {
    const cached = memo.get(router);
    if (cached) return cached;
    memo.set(router, []); // a cycle ends here
    if (depth > 8) return [];
    const out: Mount[] = [];
    for (const { mod, inc } of inclusionsByRouter.get(router) ?? []) {
      const mountValue = inc.mountExpression === undefined ? inc.mountPath : (ws.evaluate(mod, inc.mountExpression) ?? (ws.isHandler(mod, inc.mountExpression) ? '' : undefined));
      const here = mountValue === undefined ? [`${mod.file}:${inc.line}`] : [];
      const overridesPrefix = router.framework === 'flask' && (inc.mountPath !== '' || inc.mountExpression !== undefined);
      const own: PathPart[] = mountValue ? [{ kind: 'mount', file: mod.file, line: inc.line, value: mountValue, ...(inc.mountSpan ? { span: inc.mountSpan } : {}) }] : [];
      for (const owner of ws.resolveName(mod, inc.owner)) {
        if (owner.kind === 'app') {
          out.push({ path: mountValue ?? '', known: mountValue !== undefined, app: owner.app, dynamic: here, parts: own, overridesPrefix });
        } else if (owner.kind === 'router' && owner.router !== router) {
          for (const m of mountsOf(owner.router, depth + 1)) {
            const parent = prefixOf(ws, owner.router, m);
            const below = (parent.value ?? '') + (mountValue ?? '');
            const parts = [...m.parts, ...parent.parts, ...own];
            if (mountValue === undefined) out.push({ path: '', known: false, app: m.app, dynamic: [...m.dynamic, ...here], parts: [], overridesPrefix });
            else if (parent.value === undefined) out.push({ path: mountValue, known: false, app: m.app, dynamic: [...m.dynamic, `${owner.router.file}:${owner.router.line}`], parts: [], overridesPrefix });
            else out.push({ path: m.path + below, known: m.known, app: m.app, dynamic: m.dynamic, parts, overridesPrefix });
          }
        }
      }
    }
    memo.set(router, out);
    return out;
  };

  // Routers mounted on routers only: the topmost router of each chain, and the path below it.
  const rootsOf = (router: RouterDefinition, below: string, depth: number, seen: Set<RouterDefinition>): Array<{ router: RouterDefinition; path: string }> => {
    const incs = (inclusionsByRouter.get(router) ?? []).filter(({ mod, inc }) => ws.resolveName(mod, inc.owner).some((o) => o.kind === 'router' || o.kind === 'app'));
    if (incs.length === 0 || depth > 8 || seen.has(router)) return depth === 0 ? [] : [{ router, path: joinPaths(routerPrefix(ws, router) ?? '', below) }];
    const out: Array<{ router: RouterDefinition; path: string }> = [];
    for (const { mod, inc } of incs) {
      if (inc.mountExpression !== undefined) continue;
      for (const owner of ws.resolveName(mod, inc.owner)) {
        if (owner.kind !== 'router' || owner.router === router) continue;
        out.push(...rootsOf(owner.router, joinPaths(inc.mountPath, joinPaths(routerPrefix(ws, router) ?? '', below)), depth + 1, new Set([...seen, router])));
      }
    }
    return out;
  };
  const isServed = (app: AppDefinition) => !served || served.has(app);
  const out: ResolvedRoute[] = [];
  for (const mod of ws.modules) {
    for (const site of mod.sites) {
      const owner = ws.resolveName(mod, site.owner).find((t) => t.kind === 'router' || t.kind === 'app');
      if (!owner) continue;
      // The owner settles the framework of a module that only decorates with an imported router.
      const framework = owner.kind === 'router' ? owner.router.framework : owner.kind === 'app' ? owner.app.framework : site.framework;
      if (framework !== site.framework && (framework === 'express') === (site.framework === 'express')) site.framework = framework;
      const alternatives = routeAlternatives(site.literal || '/', site.framework);
      if (owner.kind === 'app') {
        const ok = isServed(owner.app);
        out.push({ site, app: owner.app, mounted: ok, fullPaths: ok ? alternatives : [], tails: [], ownPath: alternatives[0]!, dynamicMounts: [], unservedApps: ok ? [] : [`${owner.app.file}:${owner.app.line}`], chains: ok ? alternatives.map((full) => ({ full, parts: [] })) : [], roots: [] });
        continue;
      }
      if (owner.kind !== 'router') continue;
      const router = owner.router;
      const prefix = routerPrefix(ws, router);
      const own = alternatives.map((a) => joinPaths(prefix ?? '', a));
      const mounts = mountsOf(router, 0);
      const servedMounts = mounts.filter((m) => isServed(m.app));
      const fullPaths = new Set<string>();
      const tails = new Set<string>();
      const chains: ResolvedRoute['chains'] = [];
      for (const m of servedMounts) {
        const p = prefixOf(ws, router, m);
        for (const a of alternatives) {
          if (m.known && p.value !== undefined) {
            const full = joinPaths(m.path + p.value, a);
            if (!fullPaths.has(full)) chains.push({ full, parts: [...m.parts, ...p.parts] });
            fullPaths.add(full);
          } else tails.add(p.value === undefined ? a : joinPaths(m.path + p.value, a));
        }
      }
      out.push({
        site,
        router,
        mounted: fullPaths.size + tails.size > 0,
        fullPaths: [...fullPaths],
        tails: [...tails],
        ownPath: own[0]!,
        dynamicMounts: [...new Set([...servedMounts.flatMap((m) => m.dynamic), ...(prefix === undefined ? [`${router.file}:${router.line}`] : [])])],
        unservedApps: [...new Set(mounts.filter((m) => !isServed(m.app)).map((m) => `${m.app.file}:${m.app.line}`))],
        chains,
        roots: mounts.length === 0 ? alternatives.flatMap((a) => rootsOf(router, a, 0, new Set())) : [],
      });
    }
  }
  return out;
}

/** The prefix a router has below a mount: its own, unless the mount gave a Flask blueprint another. */
function prefixOf(ws: RouteWorkspace, router: RouterDefinition, mount: Mount): { value?: string; parts: PathPart[] } {
  if (mount.overridesPrefix) return { value: '', parts: [] };
  const value = routerPrefix(ws, router);
  if (!value) return { value, parts: [] };
  return { value, parts: [{ kind: 'prefix', file: router.file, line: router.line, value, ...(router.prefixSpan ? { span: router.prefixSpan } : {}) }] };
}

/** A router's own prefix, evaluated when it is an expression; undefined when it cannot be known. */
function routerPrefix(ws: RouteWorkspace, router: RouterDefinition): string | undefined {
  if (router.prefixExpression === undefined) return router.prefix;
  const mod = ws.byFile.get(router.file);
  return mod ? ws.evaluate(mod, router.prefixExpression) : undefined;
}

function joinPaths(head: string, tail: string): string {
  return normaliseRoutePath(`${head}/${tail}`);
}

/** Where a router is included or mounted, anywhere in the workspace. */
export function inclusionsOf(router: RouterDefinition, modules: ModuleFacts[], files: ReadonlySet<string>): Array<{ module: ModuleFacts; inclusion: Inclusion }> {
  const ws = new RouteWorkspace(modules, files);
  const out: Array<{ module: ModuleFacts; inclusion: Inclusion }> = [];
  for (const mod of modules) {
    for (const inc of mod.inclusions) {
      if (ws.inclusionTargets(mod, inc).some((t) => t.kind === 'router' && t.router === router)) out.push({ module: mod, inclusion: inc });
    }
  }
  return out;
}

/** The module that creates the app and includes the others, for a framework; the served one first when known. */
export function findAppModule(modules: ModuleFacts[], framework: Framework, served?: Set<AppDefinition>): { module: ModuleFacts; app: AppDefinition } | undefined {
  const fw = (f: Framework) => (framework === 'express' ? f === 'express' : f !== 'express');
  const cands = modules.flatMap((m) => m.apps.filter((a) => fw(a.framework) && (!served || served.has(a))).map((app) => ({ module: m, app })));
  cands.sort((a, b) => ownInclusions(b) - ownInclusions(a) || a.module.file.localeCompare(b.module.file));
  return cands[0];
}

function ownInclusions(c: { module: ModuleFacts; app: AppDefinition }): number {
  return c.module.inclusions.filter((i) => i.owner === c.app.name).length;
}
