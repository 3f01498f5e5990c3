import { analyze, type Scope } from 'eslint-scope';
import * as espree from 'espree';
import globals from 'globals';
import { jsSyntaxOf } from './providers';

/**
 * Names a JavaScript module's functions read that nothing binds: what ESLint's no-undef reports,
 * read with ESLint's own parser and scope analysis, against the globals of Node (CommonJS adds
 * `require`, `module`, `exports`...). Reads at the module's top level are left out: a module that
 * reads an unbound name while it loads does not start, and its trace says so. `typeof x` is not a
 * read that fails. TypeScript and JSX are not read (answered `ok: false`).
 */

export interface UndefinedJsName {
  name: string;
  /** 1-based line of the first read. */
  line: number;
}

export type JsNamesOutput = { ok: true; undefined: UndefinedJsName[] } | { ok: false; message: string; line: number };

const ESM_GLOBALS = new Set([...Object.keys(globals.builtin), ...Object.keys(globals.nodeBuiltin)]);
const CJS_GLOBALS = new Set([...Object.keys(globals.builtin), ...Object.keys(globals.node)]);

interface Located {
  name: string;
  range?: [number, number];
  loc?: { start: { line: number } };
}

export function undefinedJsNames(file: string, source: string): JsNamesOutput {
  if (!/\.(c|m)?js$/.test(file)) return { ok: false, message: `${file} is not plain JavaScript`, line: 1 };
  const esm = jsSyntaxOf(file, source) === 'esm';
  let ast;
  try {
    ast = espree.parse(source, { ecmaVersion: 'latest', sourceType: esm ? 'module' : 'commonjs', range: true, loc: true });
  } catch (err) {
    const e = err as Error & { lineNumber?: number };
    return { ok: false, message: e.message, line: e.lineNumber ?? 1 };
  }
  const manager = analyze(ast as never, { ecmaVersion: 2022, sourceType: esm ? 'module' : 'commonjs', nodejsScope: !esm });
  const known = esm ? ESM_GLOBALS : CJS_GLOBALS;
  const global = manager.globalScope!;
  const declared = new Set(global.variables.map((v) => v.name));
  const firstRead = new Map<string, { line: number; at: number }>();
  for (const ref of global.through) {
    const id = ref.identifier as Located;
    const name = id.name;
    if (known.has(name) || declared.has(name) || !ref.isRead() || !insideFunction(ref.from)) continue;
    if (id.range && /\btypeof\s*\(?\s*$/.test(source.slice(Math.max(0, id.range[0] - 20), id.range[0]))) continue;
    const at = id.range?.[0] ?? 0;
    if (!firstRead.has(name) || at < firstRead.get(name)!.at) firstRead.set(name, { line: id.loc?.start.line ?? 1, at });
  }
  // In the order they are read.
  const out = [...firstRead].sort(([, a], [, b]) => a.at - b.at).map(([name, { line }]) => ({ name, line }));
  return { ok: true, undefined: out };
}

/** Whether a scope is (inside) a function: the code runs when called, not when the module loads. */
function insideFunction(scope: Scope | null): boolean {
  for (let s = scope; s; s = s.upper) if (s.type === 'function') return true;
  return false;
}
