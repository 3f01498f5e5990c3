/**
 * Import faults: an import a handler uses removed (kind `remove-import`), and an unused import of a
 * module that is not installed added inside a handler or at the top of a module
 * (`unused-missing-import`).
 */
import { edit, wholeLines, type AppSources, type Edit, type Fault } from '../faults';
import { functionAt, handlers, indentAt, lineEnd, pythonStatements, usesOf, type SourceFile } from '../source';
import { makeFault } from './common';

/** One name an import statement binds, with where its entry sits in the statement. */
interface Binding {
  name: string;
  /** The entry as written (`select`, `b as c`, `{ Router }`). */
  entry: string;
  start: number;
  end: number;
}

interface ImportStatement {
  src: SourceFile;
  start: number;
  end: number;
  module: string;
  bindings: Binding[];
  /** The function the import sits in (Python imports inside a def), if any. */
  scope?: [number, number];
  form: string;
}

/** Comma-separated entries of masked text between `from` and `to`, trimmed, brackets not crossed. */
function entries(src: SourceFile, from: number, to: number): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let start = from;
  for (let i = from; i <= to; i++) {
    if (i === to || src.masked[i] === ',') {
      let a = start;
      let b = i;
      while (a < b && /[\s(){}\\]/.test(src.masked[a]!)) a++;
      while (b > a && /[\s(){}\\]/.test(src.masked[b - 1]!)) b--;
      if (b > a) out.push({ start: a, end: b });
      start = i + 1;
    }
  }
  return out;
}

export function pythonImports(src: SourceFile): ImportStatement[] {
  const out: ImportStatement[] = [];
  for (const s of pythonStatements(src)) {
    const body = s.masked.trimStart();
    const lead = s.start + (s.masked.length - body.length);
    const fn = s.indent > 0 ? functionAt(src, s.start) : undefined;
    const scope: [number, number] | undefined = fn ? [s.end, fn.end] : undefined;
    let m = /^import\s+/.exec(body);
    if (m) {
      const bindings = entries(src, lead + m[0].length, s.end).map((e) => {
        const entry = src.text.slice(e.start, e.end);
        const as = /\bas\s+(\w+)$/.exec(entry);
        return { name: as ? as[1]! : entry.split('.')[0]!.trim(), entry, ...e };
      });
      out.push({ src, start: s.start, end: s.end, module: bindings.map((b) => b.entry).join(', '), bindings, scope, form: 'import' });
      continue;
    }
    m = /^from\s+(\S+)\s+import\s+/.exec(body);
    if (m) {
      if (/\*/.test(body.slice(m[0].length))) continue;
      const bindings = entries(src, lead + m[0].length, s.end).map((e) => {
        const entry = src.text.slice(e.start, e.end);
        const as = /\bas\s+(\w+)$/.exec(entry);
        return { name: as ? as[1]! : entry.trim(), entry, ...e };
      });
      out.push({ src, start: s.start, end: s.end, module: src.text.slice(lead + m[0].indexOf(m[1]!), lead + m[0].indexOf(m[1]!) + m[1]!.length), bindings, scope, form: 'from-import' });
    }
  }
  return out;
}

export function jsImports(src: SourceFile): ImportStatement[] {
  const out: ImportStatement[] = [];
  const t = src.masked;
  // require(): `const x = require('m')`, `var { a, b: c } = require('m')`, at the top level of the module.
  for (const m of t.matchAll(/^([ \t]*)(const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*(['"])/gm)) {
    if (m[1] !== '') continue;
    const q = m.index! + m[0].length - 1;
    const close = t.indexOf(m[4]!, q + 1);
    const module = src.text.slice(q + 1, close);
    const end = lineEnd(t, close);
    if (!/^\s*\)\s*(\.[\w$]+\s*)*;?\s*$/.test(t.slice(close + 1, end))) continue;
    const start = m.index!;
    const target = m[3]!;
    const targetAt = start + m[0].indexOf(target, m[1]!.length + m[2]!.length);
    let bindings: Binding[];
    if (target.startsWith('{')) {
      bindings = entries(src, targetAt + 1, targetAt + target.length - 1).map((e) => {
        const entry = src.text.slice(e.start, e.end);
        return { name: /:\s*([\w$]+)$/.exec(entry)?.[1] ?? entry.trim(), entry, ...e };
      });
    } else bindings = [{ name: target, entry: target, start: targetAt, end: targetAt + target.length }];
    out.push({ src, start, end, module, bindings, form: target.startsWith('{') ? 'require-destructured' : 'require' });
  }
  // import ... from 'm'
  for (const m of t.matchAll(/^import\s+([^'";]+?)\s+from\s*(['"])/gm)) {
    const q = m.index! + m[0].length - 1;
    const close = t.indexOf(m[2]!, q + 1);
    const module = src.text.slice(q + 1, close);
    const end = lineEnd(t, close);
    const clauseAt = m.index! + m[0].indexOf(m[1]!);
    const clause = m[1]!;
    const bindings: Binding[] = [];
    const brace = clause.indexOf('{');
    const head = brace >= 0 ? clause.slice(0, brace) : clause;
    const def = /^\s*([\w$]+)/.exec(head);
    if (def) bindings.push({ name: def[1]!, entry: def[1]!, start: clauseAt + def.index + def[0].length - def[1]!.length, end: clauseAt + def.index + def[0].length });
    const ns = /\*\s*as\s+([\w$]+)/.exec(head);
    if (ns) bindings.push({ name: ns[1]!, entry: ns[0], start: clauseAt + ns.index, end: clauseAt + ns.index + ns[0].length });
    if (brace >= 0) {
      const closeBrace = clause.indexOf('}', brace);
      for (const e of entries(src, clauseAt + brace + 1, clauseAt + closeBrace)) {
        const entry = src.text.slice(e.start, e.end);
        bindings.push({ name: /\bas\s+([\w$]+)$/.exec(entry)?.[1] ?? entry.trim(), entry, ...e });
      }
    }
    const form = ns ? 'import-namespace' : brace >= 0 ? 'import-named' : 'import-default';
    out.push({ src, start: m.index!, end, module, bindings, form });
  }
  return out;
}

/** The edit removing one binding from its statement (the whole statement when it is the only one). */
function removeBinding(st: ImportStatement, k: number): Edit {
  const { src } = st;
  const b = st.bindings[k]!;
  if (st.bindings.length === 1) {
    const [a, z] = wholeLines(src.text, st.start, st.end);
    return edit(src, a, z, '');
  }
  // With its separator: up to the next entry, or (the last one) from the end of the one before.
  if (k < st.bindings.length - 1) return edit(src, b.start, st.bindings[k + 1]!.start, '');
  return edit(src, st.bindings[k - 1]!.end, b.end, '');
}

export function removeImportFaults(app: AppSources): Fault[] {
  const out: Fault[] = [];
  for (const src of app.sources) {
    const imports = src.lang === 'python' ? pythonImports(src) : jsImports(src);
    for (const st of imports) {
      st.bindings.forEach((b, k) => {
        const uses = usesOf(src, b.name, [[st.start, st.end]], st.scope);
        const inFunction = st.scope ? uses : uses.filter((u) => u.inFunction);
        if (inFunction.length === 0) return;
        const atModule = uses.length - inFunction.length;
        const e = removeBinding(st, k);
        out.push(
          makeFault(app, {
            kind: 'remove-import',
            variant: st.form,
            file: src.file,
            line: e.line,
            summary: `remove \`${b.name}\` (${st.form} of ${st.module}), used in ${inFunction.length} place${inFunction.length === 1 ? '' : 's'} inside functions${atModule ? ` and ${atModule} at module level` : ''}`,
            edits: [e],
            ruleFixable: true,
          }),
        );
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- unused import of a module that is not installed

/** The name a JavaScript module would be bound to (`why-is-node-running` → whyIsNodeRunning). */
const jsAlias = (pkg: string) => pkg.replace(/^@[^/]+\//, '').replace(/[-.]+(\w)/g, (_, c: string) => c.toUpperCase());

/** Where the module's imports end: after the last top-level import, else after a shebang, docstring or 'use strict'. */
function afterImports(src: SourceFile): number {
  let at = 0;
  if (src.lang === 'python') {
    for (const s of pythonStatements(src)) {
      if (s.indent > 0) continue;
      const body = s.masked.trim();
      if (/^(import|from)\s/.test(body) || (at === 0 && /^[rRbBuU]?("""|'''|"|')/.test(src.text.slice(s.start).trimStart()))) at = s.end + 1;
      else break;
    }
    return Math.min(at, src.text.length);
  }
  const imports = jsImports(src);
  if (imports.length) return Math.min(Math.max(...imports.map((i) => i.end)) + 1, src.text.length);
  const lead = /^(#![^\n]*\n)?(\s*(['"])use strict\3;?[^\n]*\n)?/.exec(src.text)!;
  return lead[0].length;
}

export function unusedMissingImportFaults(app: AppSources, missing: string[]): Fault[] {
  const out: Fault[] = [];
  if (missing.length === 0) return out;
  let n = 0;
  const next = () => missing[n++ % missing.length]!;
  for (const src of app.sources) {
    // At the top of the module.
    {
      const pkg = next();
      const at = afterImports(src);
      const stmt = src.lang === 'python' ? `import ${pkg}` : src.esm ? `import ${jsAlias(pkg)} from '${pkg}';` : `const ${jsAlias(pkg)} = require('${pkg}');`;
      const text = at > 0 && src.text[at - 1] !== '\n' ? `\n${stmt}\n` : `${stmt}\n`;
      const e = edit(src, at, at, text);
      out.push(
        makeFault(app, {
          kind: 'unused-missing-import',
          variant: 'top',
          file: src.file,
          line: e.line,
          summary: `add \`${stmt}\` at the top of ${src.file} (${pkg} is not installed; nothing uses it)`,
          edits: [e],
          ruleFixable: true,
        }),
      );
    }
    // Inside each handler, as its first statement.
    for (const h of handlers(src)) {
      const pkg = next();
      let at: number;
      let indent: string;
      if (src.lang === 'python') {
        const first = pythonStatements(src).find((s) => s.start >= h.bodyStart);
        if (!first) continue;
        const firstText = src.text.slice(first.start, first.end).trimStart();
        const doc = /^[rRbBuU]?("""|'''|"|')/.test(firstText);
        at = doc ? first.end + 1 : first.start;
        indent = ' '.repeat(first.indent);
      } else {
        const nl = src.text.indexOf('\n', h.bodyStart);
        if (nl < 0 || nl >= h.end || src.masked.slice(h.bodyStart, nl).trim() !== '') continue; // a body on one line
        at = nl + 1;
        const firstLine = src.text.slice(at, h.end).split('\n').find((l) => l.trim() !== '') ?? '  ';
        indent = indentAt(firstLine, 0);
      }
      let stmt: string;
      if (src.lang === 'python') stmt = `import ${pkg}`;
      else if (!src.esm) stmt = `const ${jsAlias(pkg)} = require('${pkg}');`;
      else if (h.async) stmt = `const ${jsAlias(pkg)} = await import('${pkg}');`;
      else continue; // an ES module's synchronous handler cannot import
      const e = edit(src, at, at, `${indent}${stmt}\n`);
      out.push(
        makeFault(app, {
          kind: 'unused-missing-import',
          variant: src.lang === 'js' && src.esm ? 'in-handler-dynamic' : 'in-handler',
          file: src.file,
          line: e.line,
          summary: `add \`${stmt}\` as the first statement of the handler ${h.name || `of ${h.callee}(${h.route !== undefined ? `'${h.route}'` : '…'})`} (${pkg} is not installed; nothing uses it)`,
          edits: [e],
          ruleFixable: true,
        }),
      );
    }
  }
  return out;
}
