import * as path from 'node:path';
import { scanRouteSites, type Framework, type RouteSite } from './sites';
import { languageOf, lineOfOffset, lineStarts, matchBracket, type SourceLanguage } from './syntax';
import { plainString, scanValues, splitTopLevel, type ModuleValues } from './values';

/**
 * What one module says about routing: the routers it defines (FastAPI `APIRouter`, Flask
 * `Blueprint`, Express `Router()`), the apps (`FastAPI()`, `Flask(__name__)`, `express()`), what
 * it imports and exports, and where it includes or mounts routers. resolve.ts ties the modules
 * together.
 */

export interface RouterDefinition {
  file: string;
  framework: Framework;
  /** The variable bound to the router. */
  name: string;
  /** Its own prefix as written (`/products/{product_id}/reviews`), '' when none or when written as an expression. */
  prefix: string;
  /** The prefix when it is an expression (`settings.API_PREFIX`, `f"/{name}"`) rather than a literal. */
  prefixExpression?: string;
  /** Offsets of the prefix's text inside its quotes, when it is a plain string literal. */
  prefixSpan?: TextSpan;
  /** 1-based line. */
  line: number;
  /** How another module refers to it: its name, or `default` when it is `module.exports`. */
  exportName: string;
  /** Every name another module can import it by (JavaScript exports; the variable in Python). */
  exportNames: string[];
  /** Express `Router({ mergeParams: true })`: its handlers see the parameters of the mount path. */
  mergeParams?: boolean;
}

export interface AppDefinition {
  file: string;
  framework: Framework;
  name: string;
  line: number;
  /** Offset just after the statement that creates it. */
  end: number;
  /** Names another module can import it by. */
  exportNames: string[];
}

export interface ImportBinding {
  /** The name bound in the importing module. */
  local: string;
  /** The module as written (`app.routers`, `app.routers.reviews`, `./routes/tags`, `.routers`). */
  module: string;
  /** The imported name (`reviews`, `router`, `default`), or `*module*` for a whole-module import. */
  imported: string;
  line: number;
  /** Offsets of the whole import statement. */
  start: number;
  end: number;
  /** The module is a folder prefix (`./routes/${file}`): any module directly in it, loaded at run time. */
  directory?: boolean;
}

/** A name a JavaScript module exports that comes from another module (`export { default as users } from './users.js'`). */
export interface ReExport {
  name: string;
  module: string;
  imported: string;
}

export interface Inclusion {
  /** `app.include_router(...)`, `app.register_blueprint(...)`, `app.use('/x', ...)`. */
  owner: string;
  /** The router argument as written (`reviews.router`, `tagsRouter`, `require('./routes/tags')`). */
  argument: string;
  /** Mount path (`prefix=` / `url_prefix=` / the first argument of `use`) when written as a literal, '' otherwise. */
  mountPath: string;
  /** The mount path when written as an expression (`API_PREFIX`, `MOUNTS[name] ?? \`/${name}\``). */
  mountExpression?: string;
  /** Offsets of the mount path's text inside its quotes, when it is a plain string literal. */
  mountSpan?: TextSpan;
  /** The router argument is a module loaded in place (`require('./routes/tags')`, `require('./routes/' + f)`). */
  inline?: { module: string; imported: string; directory: boolean };
  line: number;
  start: number;
  end: number;
}

/** Offsets [start, end) in a module's text. */
export interface TextSpan {
  start: number;
  end: number;
}

/**
 * Where the text of a plain string literal lies, quotes excluded, given the expression as written
 * at `at`; undefined unless the text between the quotes is the value itself (no escapes, no prefix
 * other than r/u/b).
 */
function literalSpan(expression: string, at: number, value: string): TextSpan | undefined {
  const m = /^([rRuUbB]?)(["'`])/.exec(expression);
  if (!m) return undefined;
  const start = at + m[0].length;
  const quote = m[2]!;
  if (!expression.endsWith(quote) || expression.length < m[0].length + 1) return undefined;
  const inner = expression.slice(m[0].length, expression.length - 1);
  return inner === value ? { start, end: start + inner.length } : undefined;
}

export interface ModuleFacts {
  file: string;
  routers: RouterDefinition[];
  apps: AppDefinition[];
  /** Top-level imports: the statements a fix may add an import next to. */
  imports: ImportBinding[];
  /** Imports inside functions (an app factory's `from . import auth`) and computed ones (`import(\`./routes/${f}\`)`). */
  innerImports: ImportBinding[];
  /** JavaScript: exported name → local variable. */
  exports: Array<{ name: string; local: string }>;
  reexports: ReExport[];
  inclusions: Inclusion[];
  sites: RouteSite[];
  values: ModuleValues;
  /** JavaScript: names of the functions the module declares (`function auth(`, `const auth = (req, res, next) =>`). */
  functions: string[];
}

/** Read one module. `lang` stands in for the file's extension (a script such as `bin/www`). */
export function scanModule(file: string, text: string, lang: SourceLanguage | undefined = languageOf(file)): ModuleFacts {
  const facts: ModuleFacts = {
    file,
    routers: [],
    apps: [],
    imports: [],
    innerImports: [],
    exports: [],
    reexports: [],
    inclusions: [],
    sites: scanRouteSites(file, text, lang),
    values: { strings: new Map(), objects: new Map(), instances: new Map() },
    functions: [],
  };
  if (!lang) return facts;
  facts.values = scanValues(text, lang);
  const starts = lineStarts(text);
  const lineAt = (offset: number) => lineOfOffset(starts, offset) + 1;
  if (lang === 'python') scanPython(facts, text, lineAt);
  else scanJs(facts, text, lineAt);
  return facts;
}

// ---------------------------------------------------------------- Python

function scanPython(facts: ModuleFacts, text: string, lineAt: (o: number) => number): void {
  const file = facts.file;
  for (const m of text.matchAll(/^[ \t]*([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:[\w.]+\.)?(APIRouter|Blueprint|FastAPI|Flask)[ \t]*\(/gm)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'python');
    if (close < 0) continue;
    const kind = m[2]!;
    if (kind === 'APIRouter' || kind === 'Blueprint') {
      const kw = keywordArgument(text, open + 1, close, kind === 'APIRouter' ? 'prefix' : 'url_prefix', 'python');
      facts.routers.push({
        file,
        framework: kind === 'APIRouter' ? 'fastapi' : 'flask',
        name: m[1]!,
        prefix: kw?.literal ?? '',
        ...(kw && kw.literal === undefined ? { prefixExpression: kw.expression } : {}),
        ...spanOf(kw, 'prefixSpan'),
        line: lineAt(m.index),
        exportName: m[1]!,
        exportNames: [m[1]!],
      });
    } else {
      facts.apps.push({ file, framework: kind === 'FastAPI' ? 'fastapi' : 'flask', name: m[1]!, line: lineAt(m.index), end: close + 1, exportNames: [m[1]!] });
    }
  }
  for (const m of text.matchAll(/^([ \t]*)from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)/gm)) {
    const into = m[1] ? facts.innerImports : facts.imports;
    const names = m[3]!.replace(/#.*$/gm, '').replace(/[()\\]/g, ' ').split(',');
    for (const raw of names) {
      const nm = /^\s*([A-Za-z_]\w*)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(raw);
      if (nm) into.push({ local: nm[2] ?? nm[1]!, module: m[2]!, imported: nm[1]!, line: lineAt(m.index), start: m.index + m[1]!.length, end: m.index + m[0].length });
    }
  }
  for (const m of text.matchAll(/^([ \t]*)import[ \t]+([\w.]+(?:[ \t]+as[ \t]+[A-Za-z_]\w*)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+[A-Za-z_]\w*)?)*)/gm)) {
    const into = m[1] ? facts.innerImports : facts.imports;
    for (const part of m[2]!.split(',')) {
      const p = /^\s*([\w.]+)(?:\s+as\s+([A-Za-z_]\w*))?\s*$/.exec(part);
      if (p) into.push({ local: p[2] ?? p[1]!, module: p[1]!, imported: '*module*', line: lineAt(m.index), start: m.index + m[1]!.length, end: m.index + m[0].length });
    }
  }
  for (const m of text.matchAll(/([A-Za-z_][\w.]*)\.(include_router|register_blueprint)[ \t]*\(/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'python');
    if (close < 0) continue;
    const arg = /^\s*([A-Za-z_][\w.]*)/.exec(text.slice(open + 1, close));
    const kw = keywordArgument(text, open + 1, close, m[2] === 'include_router' ? 'prefix' : 'url_prefix', 'python');
    facts.inclusions.push({
      owner: m[1]!,
      argument: arg?.[1] ?? '',
      mountPath: kw?.literal ?? '',
      ...(kw && kw.literal === undefined ? { mountExpression: kw.expression } : {}),
      ...spanOf(kw, 'mountSpan'),
      line: lineAt(m.index),
      start: m.index,
      end: close + 1,
    });
  }
}

type KeywordArgument = { literal?: string; expression: string; span?: TextSpan };

/** A keyword argument `name=...` at the top level of a call's arguments: its literal value (and where its text is), or its expression. */
function keywordArgument(text: string, from: number, to: number, name: string, lang: 'python' | 'js'): KeywordArgument | undefined {
  let at = from;
  for (const part of splitTopLevel(text.slice(from, to), ',', lang)) {
    const kw = new RegExp(`^\\s*${name}\\s*=\\s*([\\s\\S]*?)\\s*$`, 'd').exec(part);
    if (kw) {
      const expression = kw[1]!;
      const literal = plainString(expression, lang);
      if (literal === undefined) return { expression };
      const span = literalSpan(expression, at + kw.indices![1]![0], literal);
      return { literal, expression, ...(span ? { span } : {}) };
    }
    at += part.length + 1;
  }
  return undefined;
}

function spanOf<K extends string>(kw: KeywordArgument | undefined, key: K): { [P in K]?: TextSpan } {
  return (kw?.span ? { [key]: kw.span } : {}) as { [P in K]?: TextSpan };
}

// ---------------------------------------------------------------- JavaScript

const ROUTER_CALL = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(module\.exports\s*=\s*)?(?:new\s+)?(express\s*\.\s*Router|Router|require\(\s*["']express["']\s*\)\s*\.\s*Router|express|require\(\s*["']express["']\s*\))\s*\(/g;

function scanJs(facts: ModuleFacts, text: string, lineAt: (o: number) => number): void {
  const file = facts.file;
  for (const m of text.matchAll(ROUTER_CALL)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    const isApp = !/Router$/.test(m[3]!.replace(/\s/g, ''));
    if (isApp) facts.apps.push({ file, framework: 'express', name: m[1]!, line: lineAt(m.index), end: statementEnd(text, close + 1), exportNames: [] });
    else {
      const options = text.slice(open + 1, close);
      facts.routers.push({ file, framework: 'express', name: m[1]!, prefix: '', line: lineAt(m.index), exportName: m[1]!, exportNames: [], ...(/\bmergeParams\s*:\s*true\b/.test(options) ? { mergeParams: true } : {}) });
    }
    // `var app = module.exports = express();`
    if (m[2]) facts.exports.push({ name: 'default', local: m[1]! });
  }
  scanJsExports(facts, text);
  for (const def of [...facts.routers, ...facts.apps]) {
    def.exportNames = facts.exports.filter((e) => e.local === def.name).map((e) => e.name);
  }
  for (const r of facts.routers) r.exportName = r.exportNames.includes('default') ? 'default' : (r.exportNames[0] ?? r.name);

  for (const m of text.matchAll(/\b(?:const|let|var)\s+(\{[^}]*\}|[A-Za-z_$][\w$]*)\s*=\s*require\(\s*(["'])([^"'\n]+)\2\s*\)(\s*\.\s*[A-Za-z_$][\w$]*)?/g)) {
    const member = m[4]?.replace(/[\s.]/g, '');
    if (member && !m[1]!.startsWith('{')) facts.imports.push({ local: m[1]!, module: m[3]!, imported: member, line: lineAt(m.index), start: m.index, end: statementEnd(text, m.index + m[0].length) });
    else addJsBindings(facts.imports, m[1]!, m[3]!, lineAt(m.index), m.index, statementEnd(text, m.index + m[0].length));
  }
  for (const m of text.matchAll(/^import\s+(?!type\s)(?:([A-Za-z_$][\w$]*)\s*,?\s*)?(\{[^}]*\}|\*\s*as\s+[A-Za-z_$][\w$]*)?\s*from\s+(["'])([^"'\n]+)\3/gm)) {
    const end = statementEnd(text, m.index + m[0].length);
    if (m[1]) facts.imports.push({ local: m[1], module: m[4]!, imported: 'default', line: lineAt(m.index), start: m.index, end });
    if (m[2]?.startsWith('*')) facts.imports.push({ local: m[2].replace(/^\*\s*as\s+/, ''), module: m[4]!, imported: '*module*', line: lineAt(m.index), start: m.index, end });
    else if (m[2]) addJsBindings(facts.imports, m[2], m[4]!, lineAt(m.index), m.index, end);
  }
  scanDynamicImports(facts, text, lineAt);
  for (const m of text.matchAll(/\b(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?(?:function\b|\([^()]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/g)) {
    facts.functions.push(m[1] ?? m[2]!);
  }
  for (const m of text.matchAll(/([A-Za-z_$][\w$]*)\s*\.\s*use\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    scanUse(facts, m[1]!, text, m.index, open, close, lineAt);
  }
  expandListMounts(facts, text, lineAt);
}

/**
 * Mounts made in a loop over a list of `{ path, route }` objects, as the Express boilerplates write
 * them:
 *
 *     const defaultRoutes = [{ path: '/users', route: userRoute }, ...];
 *     defaultRoutes.forEach((route) => { router.use(route.path, route.route); });
 *
 * become one inclusion per element, with the element's path literal (where a fix would change it)
 * and the extent of the whole loop (where a new mount would go after).
 */
function expandListMounts(facts: ModuleFacts, text: string, lineAt: (o: number) => number): void {
  const out: Inclusion[] = [];
  for (const inc of facts.inclusions) {
    const arg = /^([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)$/.exec(inc.argument);
    const mount = inc.mountExpression !== undefined ? /^([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)$/.exec(inc.mountExpression) : null;
    const loop = arg && mount && arg[1] === mount[1] ? enclosingListLoop(text, inc.start, arg[1]!) : undefined;
    const elements = loop ? listElements(text, loop.list) : undefined;
    if (!loop || !elements) {
      out.push(inc);
      continue;
    }
    for (const el of elements) {
      const route = el.get(arg![2]!);
      const path = el.get(mount![2]!);
      if (!route || !/^[A-Za-z_$][\w$]*$/.test(route.text) || !path) continue;
      const value = plainString(path.text, 'js');
      if (value === undefined) continue;
      const span = literalSpan(path.text, path.at, value);
      out.push({ owner: inc.owner, argument: route.text, mountPath: value, ...(span ? { mountSpan: span } : {}), line: lineAt(path.at), start: loop.start, end: loop.end });
    }
  }
  facts.inclusions = out;
}

/** The `LIST.forEach((x) => ...)` or `for (const x of LIST)` around an offset, binding `x`. */
function enclosingListLoop(text: string, at: number, variable: string): { list: string; start: number; end: number } | undefined {
  const v = variable.replace(/\$/g, '\\$');
  const patterns = [
    new RegExp(`([A-Za-z_$][\\w$]*)\\s*\\.\\s*forEach\\s*\\(\\s*(?:\\(\\s*${v}\\s*\\)|${v})\\s*=>|([A-Za-z_$][\\w$]*)\\s*\\.\\s*forEach\\s*\\(\\s*function\\s*\\w*\\s*\\(\\s*${v}\\s*\\)`, 'g'),
    new RegExp(`for\\s*\\(\\s*(?:const|let|var)\\s+${v}\\s+of\\s+([A-Za-z_$][\\w$]*)\\s*\\)`, 'g'),
  ];
  let best: { list: string; start: number; end: number } | undefined;
  for (const re of patterns) {
    for (const m of text.slice(0, at).matchAll(re)) {
      const list = m[1] ?? m[2]!;
      const open = text.indexOf('(', m.index + (m[0].startsWith('for') ? 0 : m[0].indexOf('forEach')));
      const close = matchBracket(text, open, 'js');
      if (close < 0) continue;
      // A for-of loop's body follows its head.
      let end = close + 1;
      if (m[0].startsWith('for')) {
        const body = /^\s*\{/.exec(text.slice(end));
        if (body) {
          const bclose = matchBracket(text, end + body[0].length - 1, 'js');
          if (bclose < 0) continue;
          end = bclose + 1;
        }
      }
      end = statementEnd(text, end);
      if (end > at && (!best || m.index > best.start)) best = { list, start: m.index, end };
    }
  }
  return best;
}

/** The object literals of `const LIST = [{ k: v, ... }, ...]`: each as key → value text and offset; undefined unless every element is one. */
function listElements(text: string, list: string): Array<Map<string, { text: string; at: number }>> | undefined {
  const m = new RegExp(`\\b(?:const|let|var)\\s+${list.replace(/\$/g, '\\$')}\\s*=\\s*\\[`).exec(text);
  if (!m) return undefined;
  const open = m.index + m[0].length - 1;
  const close = matchBracket(text, open, 'js');
  if (close < 0) return undefined;
  const out: Array<Map<string, { text: string; at: number }>> = [];
  let at = open + 1;
  for (const raw of splitTopLevel(text.slice(open + 1, close), ',', 'js')) {
    const here = at;
    at += raw.length + 1;
    const item = raw.trim();
    if (!item) continue;
    if (!item.startsWith('{') || !item.endsWith('}')) return undefined;
    const objOpen = here + raw.indexOf('{');
    const fields = new Map<string, { text: string; at: number }>();
    let fat = objOpen + 1;
    for (const f of splitTopLevel(item.slice(1, -1), ',', 'js')) {
      const fhere = fat;
      fat += f.length + 1;
      const shorthand = /^(\s*)([A-Za-z_$][\w$]*)\s*$/.exec(f);
      if (shorthand) fields.set(shorthand[2]!, { text: shorthand[2]!, at: fhere + shorthand[1]!.length });
      const kv = /^(\s*)([A-Za-z_$][\w$]*|(["'])[^"']*\3)(\s*:\s*)([\s\S]*?)\s*$/.exec(f);
      if (!kv) continue;
      const key = kv[2]!.replace(/^["']|["']$/g, '');
      fields.set(key, { text: kv[5]!, at: fhere + kv[1]!.length + kv[2]!.length + kv[4]!.length });
    }
    out.push(fields);
  }
  return out;
}

/** `app.use([path,] ...handlers)`: one inclusion per argument that can be a router. */
function scanUse(facts: ModuleFacts, owner: string, text: string, start: number, open: number, close: number, lineAt: (o: number) => number): void {
  const raw = splitTopLevel(text.slice(open + 1, close), ',', 'js');
  const args = raw.map((a) => a.trim()).filter(Boolean);
  if (args.length === 0) return;
  const lit = plainString(args[0]!, 'js');
  let mountPath = '';
  let mountExpression: string | undefined;
  let mountSpan: TextSpan | undefined;
  let handlers = args;
  if (lit !== undefined) {
    mountPath = lit;
    if (raw[0]!.trim() === args[0]) mountSpan = literalSpan(args[0]!, open + 1 + raw[0]!.indexOf(args[0]!), lit);
    handlers = args.slice(1);
  } else if (args.length > 1 && isPathExpression(args[0]!)) {
    // A path held in a name, or a handler (`app.use(auth, router)`): resolution tells which.
    mountExpression = args[0]!;
    handlers = args.slice(1);
    if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(args[0]!)) {
      facts.inclusions.push({ owner, argument: args[0]!, mountPath: '', line: lineAt(start), start, end: statementEnd(text, close + 1) });
    }
  }
  for (const arg of handlers) {
    const inline = inlineModule(arg);
    const ref = /^[A-Za-z_$][\w$]*(\s*\.\s*[A-Za-z_$][\w$]*)*$/.test(arg) ? arg.replace(/\s+/g, '') : undefined;
    if (!inline && !ref) continue;
    facts.inclusions.push({
      owner,
      argument: ref ?? arg.replace(/\s+/g, ' '),
      mountPath,
      ...(mountExpression !== undefined ? { mountExpression } : {}),
      ...(mountSpan ? { mountSpan } : {}),
      ...(inline ? { inline } : {}),
      line: lineAt(start),
      start,
      end: statementEnd(text, close + 1),
    });
  }
}

/** A first argument of `use` that stands for a path rather than a handler: a name, a template, a concatenation, a lookup. */
function isPathExpression(arg: string): boolean {
  if (/^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(arg)) return false;
  if (/^[A-Za-z_$][\w$.]*\s*\(/.test(arg)) return false; // a call: cors(), express.json()
  return true;
}

/** `require('./x')`, `require('./routes/' + f)`, `(await import(`./routes/${f}`)).default`, with an optional `.member`. */
function inlineModule(arg: string): Inclusion['inline'] | undefined {
  const m = /^\(?\s*(?:await\s+)?(require|import)\s*\(([\s\S]*)\)\s*\)?\s*(?:\.\s*([A-Za-z_$][\w$]*))?$/.exec(arg);
  if (!m) return undefined;
  const spec = moduleSpecifier(m[2]!);
  if (!spec) return undefined;
  const imported = m[3] ?? (m[1] === 'require' ? 'default' : '*module*');
  return { module: spec.module, imported, directory: spec.directory };
}

/** The module a require/import argument names: a literal, or the folder a computed name lies in. */
function moduleSpecifier(arg: string): { module: string; directory: boolean } | undefined {
  const a = arg.trim();
  const lit = /^(["'`])([^"'`$\n]+)\1$/.exec(a);
  if (lit) return { module: lit[2]!, directory: false };
  const template = /^`([^`$]*\/)\$\{[^}]+\}[^`/]*`$/.exec(a);
  if (template) return { module: template[1]!, directory: true };
  const concat = /^(["'])([^"'\n]*\/)\1\s*\+\s*[^+]+$/.exec(a);
  if (concat) return { module: concat[2]!, directory: true };
  const joined = /^(?:path\s*\.\s*)?(?:join|resolve)\s*\(\s*__dirname\s*,((?:\s*(["'])[^"'\n]+\2\s*,)+)\s*[A-Za-z_$][\w$.]*\s*\)$/.exec(a);
  if (joined) {
    const parts = [...joined[1]!.matchAll(/(["'])([^"'\n]+)\1/g)].map((p) => p[2]!);
    return { module: `./${path.posix.join(...parts)}/`, directory: true };
  }
  return undefined;
}

/** `const x = await import(...)`, `const { default: r } = await import(\`./routes/${f}\`)`, `const r = require(path.join(__dirname, 'routes', f))`. */
function scanDynamicImports(facts: ModuleFacts, text: string, lineAt: (o: number) => number): void {
  for (const m of text.matchAll(/\b(?:const|let|var)\s+(\{[^}]*\}|[A-Za-z_$][\w$]*)\s*=\s*\(?\s*(?:await\s+)?(import|require)\s*\(/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    const spec = moduleSpecifier(text.slice(open + 1, close));
    // A plain literal require is read with the other imports.
    if (!spec || (m[2] === 'require' && !spec.directory)) continue;
    const member = /^\s*\)?\s*\.\s*([A-Za-z_$][\w$]*)/.exec(text.slice(close + 1, close + 80))?.[1];
    const end = statementEnd(text, close + 1);
    const into: ImportBinding[] = [];
    if (m[1]!.startsWith('{')) addJsBindings(into, m[1]!, spec.module, lineAt(m.index), m.index, end);
    else into.push({ local: m[1]!, module: spec.module, imported: member ?? (m[2] === 'require' ? 'default' : '*module*'), line: lineAt(m.index), start: m.index, end });
    for (const b of into) facts.innerImports.push(spec.directory ? { ...b, directory: true } : b);
  }
}

function scanJsExports(facts: ModuleFacts, text: string): void {
  const add = (name: string, local: string) => facts.exports.push({ name, local });
  for (const m of text.matchAll(/\bmodule\.exports\s*=\s*([A-Za-z_$][\w$]*)\s*;?\s*$/gm)) add('default', m[1]!);
  for (const m of text.matchAll(/\bexport\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*$/gm)) add('default', m[1]!);
  for (const m of text.matchAll(/\bexport\s+(?:const|let|var|function|class)\s+([A-Za-z_$][\w$]*)/g)) add(m[1]!, m[1]!);
  for (const m of text.matchAll(/\b(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=\s*([A-Za-z_$][\w$]*)\s*;?\s*$/gm)) add(m[1]!, m[2]!);
  for (const m of text.matchAll(/\b(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=\s*require\(\s*(["'])([^"'\n]+)\2\s*\)/g)) facts.reexports.push({ name: m[1]!, module: m[3]!, imported: 'default' });
  for (const m of text.matchAll(/\bexport\s*\{([^}]*)\}\s*(?:from\s*(["'])([^"'\n]+)\2)?/g)) {
    for (const part of m[1]!.split(',')) {
      const p = /^\s*([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*$/.exec(part);
      if (!p) continue;
      if (m[3]) facts.reexports.push({ name: p[2] ?? p[1]!, module: m[3], imported: p[1]! });
      else add(p[2] ?? p[1]!, p[1]!);
    }
  }
  for (const m of text.matchAll(/\bmodule\.exports\s*=\s*\{/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBracket(text, open, 'js');
    if (close < 0) continue;
    for (const part of splitTopLevel(text.slice(open + 1, close), ',', 'js')) {
      const short = /^\s*([A-Za-z_$][\w$]*)\s*$/.exec(part);
      const named = /^\s*([A-Za-z_$][\w$]*)\s*:\s*([A-Za-z_$][\w$]*)\s*$/.exec(part);
      const req = /^\s*([A-Za-z_$][\w$]*)\s*:\s*require\(\s*(["'])([^"'\n]+)\2\s*\)\s*$/.exec(part);
      if (short) add(short[1]!, short[1]!);
      else if (named) add(named[1]!, named[2]!);
      else if (req) facts.reexports.push({ name: req[1]!, module: req[3]!, imported: 'default' });
    }
  }
}

function addJsBindings(into: ImportBinding[], lhs: string, module: string, line: number, start: number, end: number): void {
  if (lhs.startsWith('{')) {
    for (const part of lhs.slice(1, -1).split(',')) {
      const nm = /^\s*([A-Za-z_$][\w$]*)(?:\s*(?::|\bas\b)\s*([A-Za-z_$][\w$]*))?\s*$/.exec(part);
      if (nm) into.push({ local: nm[2] ?? nm[1]!, module, imported: nm[1]!, line, start, end });
    }
  } else into.push({ local: lhs, module, imported: 'default', line, start, end });
}

/** Offset after the statement ending at `at`: past an optional `;` on the same line. */
function statementEnd(text: string, at: number): number {
  const m = /^[ \t]*;/.exec(text.slice(at, at + 50));
  return m ? at + m[0].length : at;
}

/** Parse every source file once. */
export function scanModules(texts: Map<string, string>): ModuleFacts[] {
  return [...texts].map(([file, text]) => scanModule(file, text));
}

// ---------------------------------------------------------------- module names

/** The dotted module name of a Python file (`app/routers/reviews.py` → `app.routers.reviews`). */
export function pythonModuleName(file: string): string {
  return file.replace(/\.py$/, '').replace(/\/__init__$/, '').split('/').join('.');
}

/** The workspace file a JavaScript module specifier names, from the importing file; undefined for packages. */
export function resolveJsModule(importer: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
  const exts = ['.js', '.ts', '.mjs', '.cjs', '.mts', '.cts'];
  // ES modules written in TypeScript import `./x.js` for `./x.ts`.
  const swapped = /\.(m|c)?js$/.test(base) ? [base.replace(/\.(m|c)?js$/, '.$1ts')] : [];
  for (const cand of [base, ...swapped, ...exts.map((e) => base + e), ...['/index.js', '/index.ts', '/index.mjs', '/index.cjs'].map((e) => base + e)]) {
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
