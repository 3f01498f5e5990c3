import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { tokenize } from './js-tokens';
import { PYTHON_MODULE_OR_CLASS, PYTHON_STDLIB_MODULES, PYTHON_STDLIB_NAMES } from './python-stdlib';

/**
 * Who provides an undefined name. Candidates carry a preference (lower first) so the choice among
 * several is deterministic:
 *   0 a standard-library module of that name (`import uuid`; Node: a built-in module),
 *   1 a name of a framework the file already imports from (`from fastapi import HTTPException`),
 *   1.5 the way other workspace files import that name (`var db = require('../../db')`),
 *   2 a top-level definition or export in a workspace module (nearest directory first, then path),
 *   3 a well-known standard-library name (`from collections import defaultdict`),
 *   4 a framework name whose framework the workspace depends on but this file does not import.
 */

export interface ImportCandidate {
  /** As the file would write it: `uuid`, `app.text`, `..text`, `../text`. */
  module: string;
  style: 'module' | 'named' | 'default';
  origin: 'stdlib' | 'framework' | 'workspace';
  preference: number;
  /** The workspace file that defines the name, for workspace candidates. */
  file?: string;
  /** One sentence of evidence. */
  why: string;
}

export interface ProviderContext {
  files: string[];
  read(file: string): Promise<string | undefined>;
}

const FRAMEWORK_NAMES: Record<string, Record<string, string>> = {
  fastapi: Object.fromEntries(
    ['HTTPException', 'Depends', 'status', 'APIRouter', 'Request', 'Response', 'Query', 'Path', 'Body', 'FastAPI', 'Header', 'Cookie', 'Form', 'File', 'UploadFile', 'BackgroundTasks'].map((n) => [n, 'fastapi']),
  ),
  sqlalchemy: {
    ...Object.fromEntries(['select', 'insert', 'update', 'delete', 'func', 'and_', 'or_', 'Column', 'Integer', 'String', 'ForeignKey'].map((n) => [n, 'sqlalchemy'])),
    Session: 'sqlalchemy.orm',
    relationship: 'sqlalchemy.orm',
  },
  pydantic: { BaseModel: 'pydantic', Field: 'pydantic' },
  sqlmodel: Object.fromEntries(['select', 'Session', 'Field', 'SQLModel', 'Relationship', 'create_engine', 'col'].map((n) => [n, 'sqlmodel'])),
  flask: Object.fromEntries(
    ['Flask', 'request', 'jsonify', 'Blueprint', 'abort', 'g', 'current_app', 'session', 'url_for', 'redirect', 'render_template', 'make_response', 'send_file', 'flash', 'Response', 'stream_with_context', 'after_this_request'].map((n) => [n, 'flask']),
  ),
};

const MAX_SCAN_FILES = 2000;
const MAX_FILE_BYTES = 512 * 1024;
const TEST_PATH = /(^|\/)(tests?|__tests__|node_modules|\.venv|venv|site-packages|dist|build)\//;

/** One candidate per module and style: the most preferred. */
function dedupe(list: ImportCandidate[]): ImportCandidate[] {
  const best = new Map<string, ImportCandidate>();
  for (const c of list) {
    const key = `${c.style} ${c.module}`;
    const had = best.get(key);
    if (!had || c.preference < had.preference) best.set(key, had ? { ...c, why: `${c.why}; ${had.why}` } : c);
  }
  return [...best.values()];
}

function sortCandidates(list: ImportCandidate[], importer: string): ImportCandidate[] {
  const dir = posix.dirname(importer);
  const closeness = (c: ImportCandidate) => {
    if (!c.file) return 0;
    const a = dir.split('/');
    const b = posix.dirname(c.file).split('/');
    let k = 0;
    while (k < a.length && k < b.length && a[k] === b[k]) k++;
    return -k;
  };
  return [...list].sort((x, y) => x.preference - y.preference || closeness(x) - closeness(y) || (x.file ?? x.module).localeCompare(y.file ?? y.module) || x.module.localeCompare(y.module));
}

// ---------------------------------------------------------------- Python

function importsRoot(text: string, root: string): boolean {
  return new RegExp(`^[ \\t]*(from[ \\t]+${root}(\\.|[ \\t])|import[ \\t]+([\\w.]+[ \\t]*,[ \\t]*)*${root}\\b)`, 'm').test(text);
}

async function workspaceDependsOn(ctx: ProviderContext, dist: string): Promise<boolean> {
  const manifests = ctx.files.filter((f) => /(^|\/)(requirements[^/]*\.txt|pyproject\.toml|setup\.cfg|Pipfile)$/.test(f)).sort();
  for (const m of manifests) {
    const text = await ctx.read(m);
    if (text && new RegExp(`(^|["'\\s])${dist}\\b`, 'im').test(text)) return true;
  }
  return false;
}

/**
 * A module (`target`, as path parts) as a file in `importerPackage` writes it: dotted, or relative
 * to that package when the file imports relatively and both lie in the same top package. The last
 * `keep` parts always stay named (1 for a module, which `from . import` cannot stand for; 0 for a
 * package, which `.` can).
 */
function importPath(target: string[], importerPackage: string[], relative: boolean, keep: number): string {
  if (!relative || importerPackage.length === 0 || target[0] !== importerPackage[0]) return target.join('.');
  let k = 0;
  while (k < importerPackage.length && k < target.length - keep && importerPackage[k] === target[k]) k++;
  return '.'.repeat(importerPackage.length - k + 1) + target.slice(k).join('.');
}

/** The dotted module of a workspace Python file, and its package path parts. */
function pythonModuleOf(file: string, files: Set<string>): string[] {
  const parts = file.replace(/\.py$/, '').split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  // Walk up while the directory is a package.
  let first = parts.length - 1;
  while (first > 0 && files.has([...parts.slice(0, first), '__init__.py'].join('/'))) first--;
  if (!files.has([...parts.slice(0, first + 1), '__init__.py'].join('/')) && first < parts.length - 1) first++;
  return parts.slice(first);
}

export async function pythonProviders(name: string, file: string, text: string, ctx: ProviderContext): Promise<ImportCandidate[]> {
  const out: ImportCandidate[] = [];
  // A standard-library module is never what a file calls (`select(Hero)` is sqlmodel's, not the module).
  const calledOnly = new RegExp(`(?<![\\w.])${name}\\s*\\(`).test(text) && !new RegExp(`(?<![\\w.])${name}\\.\\w`).test(text);
  if (PYTHON_STDLIB_MODULES.has(name) && !(calledOnly && !PYTHON_MODULE_OR_CLASS[name])) {
    const classAttrs = PYTHON_MODULE_OR_CLASS[name];
    const usesClass = classAttrs && [...text.matchAll(new RegExp(`(?<![\\w.])${name}\\.(\\w+)`, 'g'))].some((m) => classAttrs.has(m[1]));
    if (usesClass) out.push({ module: name, style: 'named', origin: 'stdlib', preference: 0, why: `\`${name}.${[...classAttrs][0]}\`-style use: the \`${name}\` class of the standard-library module \`${name}\`` });
    else out.push({ module: name, style: 'module', origin: 'stdlib', preference: 0, why: `\`${name}\` is a standard-library module (sys.stdlib_module_names)` });
  }
  for (const [root, names] of Object.entries(FRAMEWORK_NAMES)) {
    const module = names[name];
    if (!module) continue;
    if (importsRoot(text, root)) out.push({ module, style: 'named', origin: 'framework', preference: 1, why: `\`${name}\` comes from ${module}, which this file already imports` });
    else if (await workspaceDependsOn(ctx, root)) out.push({ module, style: 'named', origin: 'framework', preference: 4, why: `\`${name}\` comes from ${module}, a dependency of the workspace` });
  }
  const stdlibModule = PYTHON_STDLIB_NAMES[name];
  if (stdlibModule) out.push({ module: stdlibModule, style: 'named', origin: 'stdlib', preference: 3, why: `\`${name}\` is defined in the standard-library module \`${stdlibModule}\`` });

  const all = new Set(ctx.files);
  const relativeStyle = /^[ \t]*from[ \t]+\.+/m.test(text);
  const def = new RegExp(`^(?:async[ \\t]+def|def|class)[ \\t]+${name}\\b|^${name}[ \\t]*(?::[^=\\n]*)?=(?!=)`, 'm');
  const pyFiles = ctx.files.filter((f) => f.endsWith('.py') && f !== file && !TEST_PATH.test(f) && !/(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/.test(f)).sort().slice(0, MAX_SCAN_FILES);
  const importer = pythonModuleOf(file, all);
  const importerPackage = file.endsWith('__init__.py') ? importer : importer.slice(0, -1);
  for (const f of pyFiles) {
    const body = await ctx.read(f);
    if (!body || body.length > MAX_FILE_BYTES || !def.test(body)) continue;
    const target = pythonModuleOf(f, all);
    const module = importPath(target, importerPackage, relativeStyle, 1);
    out.push({ module, style: 'named', origin: 'workspace', preference: 2, file: f, why: `${f} defines \`${name}\` at top level` });
  }
  out.push(...(await pythonSubmodules(name, file, text, pyFiles, all, relativeStyle, importerPackage, ctx)));
  out.push(...(await siblingImports(name, file, text, ctx)));
  return sortCandidates(dedupe(out), file);
}

/**
 * A module of the workspace named like the identifier (`notes/db.py` for `db`): imported from its
 * package as the file imports its siblings (`from . import db`, `from notes import db`), or by
 * itself at the top (`import db`). Nearest package first, as sorting by closeness does.
 */
async function pythonSubmodules(name: string, file: string, text: string, pyFiles: string[], all: Set<string>, relativeStyle: boolean, importerPackage: string[], ctx: ProviderContext): Promise<ImportCandidate[]> {
  const out: ImportCandidate[] = [];
  const attributes = new Set([...text.matchAll(new RegExp(`(?<![\\w.])${name}\\.([A-Za-z_]\\w*)`, 'g'))].map((m) => m[1]!));
  for (const f of pyFiles) {
    if (f !== `${name}.py` && !f.endsWith(`/${name}.py`) && f !== `${name}/__init__.py` && !f.endsWith(`/${name}/__init__.py`)) continue;
    const target = pythonModuleOf(f, all);
    if (target[target.length - 1] !== name) continue;
    const parent = target.slice(0, -1);
    // The file reads `notes.bp` and the module defines `bp`: the module it is, before any other definition of the name.
    const body = attributes.size > 0 ? await ctx.read(f) : undefined;
    const read = body ? [...attributes].find((a) => new RegExp(`^(?:async[ \\t]+def|def|class)[ \\t]+${a}\\b|^${a}[ \\t]*(?::[^=\\n]*)?=(?!=)`, 'm').test(body)) : undefined;
    const preference = read ? 1.6 : 2.5;
    const why = read ? `${f} is the module \`${name}\` and defines \`${read}\`, which ${file} reads as \`${name}.${read}\`` : `${f} is the module \`${name}\``;
    if (parent.length === 0) {
      out.push({ module: name, style: 'module', origin: 'workspace', preference, file: f, why });
      continue;
    }
    const module = importPath(parent, importerPackage, relativeStyle, 0);
    out.push({ module, style: 'named', origin: 'workspace', preference, file: f, why });
  }
  return out;
}

// ---------------------------------------------------------------- JavaScript / TypeScript

const JS_FILE = /\.(c|m)?[jt]sx?$/;

/** The names a JS/TS module exports, and the name of a `module.exports = name` default export. */
export function jsExports(source: string): { named: Set<string>; defaultName?: string } {
  const tokens = tokenize(source);
  const named = new Set<string>();
  let defaultName: string | undefined;
  const v = (k: number) => tokens[k]?.value;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.type !== 'name') continue;
    if (t.value === 'module' && v(k + 1) === '.' && v(k + 2) === 'exports') {
      if (v(k + 3) === '=' && v(k + 4) === '{') {
        let depth = 0;
        for (let j = k + 4; j < tokens.length; j++) {
          const u = tokens[j];
          if (u.type === 'punct' && ['{', '(', '['].includes(u.value)) depth++;
          else if (u.type === 'punct' && ['}', ')', ']'].includes(u.value)) {
            depth--;
            if (depth === 0) break;
          } else if (depth === 1 && u.type === 'name' && [',', '{'].includes(v(j - 1) ?? '') && [',', '}', ':', '('].includes(v(j + 1) ?? '')) named.add(u.value);
        }
      } else if (v(k + 3) === '=' && tokens[k + 4]?.type === 'name' && [';', undefined].includes(v(k + 5)) ) defaultName = v(k + 4);
      else if (v(k + 3) === '.' && tokens[k + 4]?.type === 'name' && v(k + 5) === '=') named.add(v(k + 4)!);
    } else if (t.value === 'exports' && v(k - 1) !== '.' && v(k + 1) === '.' && tokens[k + 2]?.type === 'name' && v(k + 3) === '=') named.add(v(k + 2)!);
    else if (t.value === 'export') {
      let j = k + 1;
      if (v(j) === 'default') continue;
      if (v(j) === 'async') j++;
      if (['function', 'class', 'const', 'let', 'var'].includes(v(j) ?? '')) {
        j++;
        if (v(j) === '*') j++;
        if (tokens[j]?.type === 'name') named.add(v(j)!);
      } else if (v(j) === '{') {
        const names: string[] = [];
        j++;
        while (tokens[j] && v(j) !== '}') {
          if (tokens[j].type === 'name' && v(j) !== 'as' && v(j) !== 'type') names.push(v(j)!);
          if (v(j) === 'as') names.pop();
          j++;
        }
        if (v(j + 1) !== 'from') names.forEach((n) => named.add(n));
      }
    }
  }
  return { named, defaultName };
}

/** Module syntax of a JS/TS file: ESM when it has import/export declarations or an ESM extension. */
export function jsSyntaxOf(file: string, text: string): 'esm' | 'require' {
  if (/\.(mjs|mts)$/.test(file)) return 'esm';
  if (/\.(cjs|cts)$/.test(file)) return 'require';
  if (/^[ \t]*(import[ \t]+[\w{*'"]|export[ \t]+)/m.test(text)) return 'esm';
  if (/\brequire[ \t]*\(/.test(text)) return 'require';
  return /\.tsx?$/.test(file) ? 'esm' : 'require';
}

/** The specifier for `target` as written from `importer`. */
export function relativeSpecifier(importer: string, target: string, syntax: 'esm' | 'require', withExtension: boolean): string {
  let rel = posix.relative(posix.dirname(importer), target);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const ext = posix.extname(rel);
  const bare = rel.slice(0, -ext.length);
  if (syntax === 'esm' && withExtension) return bare + ext.replace(/^\.ts$/, '.js').replace(/^\.tsx$/, '.js').replace(/^\.mts$/, '.mjs');
  return bare.endsWith('/index') ? bare.slice(0, -'/index'.length) || '.' : bare;
}

/** Well-known named exports of Node's built-in modules, for a name used without its import. */
const NODE_BUILTIN_NAMES: Record<string, string> = {
  readFile: 'fs/promises', writeFile: 'fs/promises', readdir: 'fs/promises', mkdir: 'fs/promises', stat: 'fs/promises', rm: 'fs/promises', rename: 'fs/promises', copyFile: 'fs/promises', access: 'fs/promises',
  readFileSync: 'fs', writeFileSync: 'fs', existsSync: 'fs', readdirSync: 'fs', mkdirSync: 'fs', createReadStream: 'fs', createWriteStream: 'fs',
  join: 'path', resolve: 'path', dirname: 'path', basename: 'path', extname: 'path', relative: 'path',
  fileURLToPath: 'url', pathToFileURL: 'url',
  randomUUID: 'crypto', createHash: 'crypto', randomBytes: 'crypto',
  promisify: 'util', inspect: 'util', format: 'util',
  setTimeout: 'timers/promises', EventEmitter: 'events', once: 'events', pipeline: 'stream/promises',
};

/** `pino-http` → `pinoHttp`: how a package's default export is usually named. */
function camelName(pkg: string): string {
  return pkg.replace(/^@[^/]+\//, '').replace(/[-_.]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));
}

export async function jsProviders(name: string, file: string, text: string, ctx: ProviderContext): Promise<ImportCandidate[]> {
  const out: ImportCandidate[] = [];
  const syntax = jsSyntaxOf(file, text);
  const builtin = NODE_BUILTIN_NAMES[name];
  if (builtin && !(name === 'setTimeout' || name === 'format' || name === 'resolve' || name === 'join')) {
    out.push({ module: syntax === 'esm' ? `node:${builtin}` : builtin, style: 'named', origin: 'stdlib', preference: 3, why: `\`${name}\` is a well-known export of Node's \`${builtin}\`` });
  }
  // A package the workspace depends on, named like the identifier (`express`, `pinoHttp` for pino-http).
  for (const manifest of ctx.files.filter((f) => /(^|\/)package\.json$/.test(f) && !TEST_PATH.test(f))) {
    if (posix.dirname(manifest) !== '.' && !file.startsWith(`${posix.dirname(manifest)}/`)) continue;
    const body = await ctx.read(manifest);
    let deps: Record<string, unknown> = {};
    try {
      const data = JSON.parse(body ?? '{}') as Record<string, unknown>;
      deps = { ...(data.dependencies as object), ...(data.devDependencies as object) };
    } catch {
      continue;
    }
    for (const pkg of Object.keys(deps)) {
      if (camelName(pkg) === name || pkg === name) out.push({ module: pkg, style: 'default', origin: 'framework', preference: 3, why: `\`${name}\` is how the workspace's dependency ${pkg} is usually imported` });
    }
  }
  if (builtinModules.includes(name) && !name.startsWith('_')) {
    out.push({ module: syntax === 'esm' ? `node:${name}` : name, style: syntax === 'esm' ? 'default' : 'module', origin: 'stdlib', preference: 0, why: `\`${name}\` is a Node.js built-in module` });
  }
  const specs = [...text.matchAll(/(?:from|require\()[ \t]*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  const withExtension = specs.length ? specs.some((s) => /\.[cm]?js$/.test(s)) : /\.m?js$/.test(file) && syntax === 'esm';
  const candidates = ctx.files.filter((f) => JS_FILE.test(f) && !f.endsWith('.d.ts') && f !== file && !TEST_PATH.test(f) && !/\.(test|spec)\.[cm]?[jt]sx?$/.test(f)).sort().slice(0, MAX_SCAN_FILES);
  for (const f of candidates) {
    const body = await ctx.read(f);
    if (!body || body.length > MAX_FILE_BYTES || !body.includes(name)) continue;
    const ex = jsExports(body);
    const module = relativeSpecifier(file, f, syntax, withExtension);
    if (ex.named.has(name)) out.push({ module, style: 'named', origin: 'workspace', preference: 2, file: f, why: `${f} exports \`${name}\`` });
    else if (ex.defaultName === name) out.push({ module, style: 'default', origin: 'workspace', preference: 2, file: f, why: `${f} exports \`${name}\` as module.exports` });
  }
  // A module named like the identifier (`store` for store.js, `db` for db.js): the whole module.
  for (const f of candidates) {
    const base = posix.basename(f).replace(/\.[^.]+$/, '');
    if (base !== name || out.some((c) => c.file === f)) continue;
    const body = await ctx.read(f);
    if (!body || body.length > MAX_FILE_BYTES) continue;
    const ex = jsExports(body);
    if (ex.named.size === 0 && !/module\.exports\s*=/.test(body)) continue;
    const module = relativeSpecifier(file, f, syntax, withExtension);
    out.push({ module, style: syntax === 'esm' && !/\bexport\s+default\b/.test(body) ? 'module' : 'default', origin: 'workspace', preference: 2.5, file: f, why: `${f} is the module named \`${name}\`` });
  }
  // A module whose name the identifier abbreviates (`repo` for repository.js, `ctrl` no: a prefix
  // of three letters or more), when exactly one module is named so and it exports one value.
  if (name.length >= 3 && !out.some((c) => c.origin === 'workspace')) {
    const named = candidates.filter((f) => {
      const base = posix.basename(f).replace(/\.[^.]+$/, '');
      return base !== name && base.toLowerCase().startsWith(name.toLowerCase());
    });
    if (named.length === 1) {
      const f = named[0]!;
      const body = await ctx.read(f);
      if (body && body.length <= MAX_FILE_BYTES && (/^[ \t]*module\.exports\s*=/m.test(body) || /\bexport\s+default\b/.test(body))) {
        const module = relativeSpecifier(file, f, syntax, withExtension);
        out.push({ module, style: 'default', origin: 'workspace', preference: 2.8, file: f, why: `${f} is the one module whose name \`${name}\` abbreviates, and it exports one value` });
      }
    }
  }
  out.push(...(await siblingImports(name, file, text, ctx)));
  return sortCandidates(dedupe(out), file);
}

// ---------------------------------------------------------------- how the workspace itself does it

/**
 * How other files of the workspace import `name`, as this file would write it: a developer who
 * meets an undefined `db` looks at how the neighbouring modules get theirs (`var db =
 * require('../../db')`, `from sqlalchemy import desc`). Preference 1.5: after a framework this file
 * already imports, before a definition merely found somewhere in the workspace.
 */
export async function siblingImports(name: string, file: string, text: string, ctx: ProviderContext): Promise<ImportCandidate[]> {
  const python = file.endsWith('.py');
  const others = ctx.files
    .filter((f) => f !== file && !TEST_PATH.test(f) && (python ? f.endsWith('.py') : JS_FILE.test(f) && !f.endsWith('.d.ts')))
    .sort()
    .slice(0, MAX_SCAN_FILES);
  const all = new Set(ctx.files);
  const seen = new Map<string, ImportCandidate>();
  const count = new Map<string, number>();
  for (const f of others) {
    const body = await ctx.read(f);
    if (!body || body.length > MAX_FILE_BYTES || !body.includes(name)) continue;
    const found = python ? pythonImportOf(name, f, body, file, text, all) : jsImportOf(name, f, body, file, text, all);
    if (!found) continue;
    const key = `${found.style} ${found.module}`;
    count.set(key, (count.get(key) ?? 0) + 1);
    if (!seen.has(key)) seen.set(key, { ...found, origin: found.origin, preference: 1.5, why: `${f} imports \`${name}\` this way` });
  }
  // The way most files do it first.
  return [...seen.entries()].sort((a, b) => (count.get(b[0]) ?? 0) - (count.get(a[0]) ?? 0)).map(([k, c]) => ({ ...c, why: `${c.why}${(count.get(k) ?? 0) > 1 ? ` (as do ${(count.get(k) ?? 0) - 1} more)` : ''}` }));
}

function pythonImportOf(name: string, from: string, body: string, file: string, text: string, all: Set<string>): Omit<ImportCandidate, 'why'> | undefined {
  const re = new RegExp(`^[ \\t]*from[ \\t]+(\\.*[\\w.]*)[ \\t]+import[ \\t]+\\(?([^\\n)]*(?:\\n[^)\\n]*)*?)\\)?[ \\t]*$`, 'gm');
  for (const m of body.matchAll(re)) {
    const names = m[2]!.split(',').map((s) => s.trim().split(/\s+as\s+/));
    const hit = names.find((n) => (n[1] ?? n[0]) === name && n[0] === name);
    if (!hit) continue;
    const spec = m[1]!;
    if (!spec.startsWith('.')) return { module: spec, style: 'named', origin: 'framework', preference: 1.5 };
    // A relative import, re-based from that file's package to this one's.
    const dots = /^\.+/.exec(spec)![0].length;
    const base = pythonModuleOf(from, all);
    const pkg = from.endsWith('__init__.py') ? base : base.slice(0, -1);
    const target = [...pkg.slice(0, pkg.length - (dots - 1)), ...spec.slice(dots).split('.').filter(Boolean)];
    const importer = pythonModuleOf(file, all);
    const importerPackage = file.endsWith('__init__.py') ? importer : importer.slice(0, -1);
    const module = importPath(target, importerPackage, /^[ \t]*from[ \t]+\.+/m.test(text), 0);
    return { module, style: 'named', origin: 'workspace', preference: 1.5 };
  }
  if (new RegExp(`^[ \\t]*import[ \\t]+${name}[ \\t]*$`, 'm').test(body)) return { module: name, style: 'module', origin: 'framework', preference: 1.5 };
  return undefined;
}

const JS_EXTENSIONS = ['', '.js', '.cjs', '.mjs', '.ts', '.tsx', '.jsx', '/index.js', '/index.ts', '/index.cjs', '/index.mjs'];

function jsImportOf(name: string, from: string, body: string, file: string, text: string, all: Set<string>): Omit<ImportCandidate, 'why'> | undefined {
  const id = name.replace(/\$/g, '\\$');
  const patterns: Array<{ re: RegExp; style: ImportCandidate['style'] }> = [
    { re: new RegExp(`\\b(?:var|let|const)[ \\t]+${id}[ \\t]*=[ \\t]*require\\([ \\t]*['"]([^'"]+)['"][ \\t]*\\)`), style: 'default' },
    { re: new RegExp(`\\bimport[ \\t]+${id}[ \\t]+from[ \\t]*['"]([^'"]+)['"]`), style: 'default' },
    { re: new RegExp(`\\bimport[ \\t]*\\{[^}]*\\b${id}\\b[^}]*\\}[ \\t]*from[ \\t]*['"]([^'"]+)['"]`), style: 'named' },
    { re: new RegExp(`\\b(?:var|let|const)[ \\t]*\\{[^}]*\\b${id}\\b[^}]*\\}[ \\t]*=[ \\t]*require\\([ \\t]*['"]([^'"]+)['"][ \\t]*\\)`), style: 'named' },
  ];
  for (const { re, style } of patterns) {
    const m = re.exec(body);
    if (!m) continue;
    const spec = m[1]!;
    if (!spec.startsWith('.')) return { module: spec, style, origin: 'framework', preference: 1.5 };
    const joined = posix.normalize(posix.join(posix.dirname(from), spec));
    const target = JS_EXTENSIONS.map((e) => joined + e).find((t) => all.has(t));
    if (!target) continue;
    const syntax = jsSyntaxOf(file, text);
    const specs = [...text.matchAll(/(?:from|require\()[ \t]*['"](\.{1,2}\/[^'"]+)['"]/g)].map((x) => x[1]);
    const withExtension = specs.length ? specs.some((s) => /\.[cm]?js$/.test(s)) : /\.m?js$/.test(file) && syntax === 'esm';
    return { module: relativeSpecifier(file, target, syntax, withExtension), style, origin: 'workspace', preference: 1.5, file: target };
  }
  return undefined;
}
