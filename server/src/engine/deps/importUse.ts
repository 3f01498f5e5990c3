/**
 * Is the import that failed used at all? An import of a missing module whose names are never
 * used is not a missing dependency: the right fix removes the import (the unused-import rule).
 * A line-level reading, good enough for the statement on the failing frame's line; when in doubt
 * it answers "used", which keeps the dependency rule in charge.
 */

export interface ImportUse {
  /** The import statement as written (first line). */
  statement: string;
  /** Names the statement binds. */
  names: string[];
  /** Names used somewhere in the scope (outside the statement itself). */
  used: string[];
  /** `function get_customer`, `module`. */
  scope: string;
}


/** Removes string literals and comments from a Python line (single-line strings only). */
function pyCode(line: string): string {
  return line.replace(/([rbuf]{0,2})("""|'''|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/gi, '""').replace(/#.*$/, '');
}

function pyBound(statement: string): string[] | undefined {
  const s = statement.replace(/[()\\\n]/g, ' ').replace(/\s+/g, ' ').trim();
  let m = /^import (.+)$/.exec(s);
  if (m) {
    return m[1].split(',').map((part) => {
      const [mod, alias] = part.trim().split(/\s+as\s+/);
      return (alias ?? mod.split('.')[0]).trim();
    });
  }
  m = /^from \S+ import (.+)$/.exec(s);
  if (m) {
    if (m[1].trim() === '*') return undefined;
    return m[1].split(',').map((part) => {
      const [name, alias] = part.trim().split(/\s+as\s+/);
      return (alias ?? name).trim();
    }).filter(Boolean);
  }
  return undefined;
}

/** The Python import at `line` (1-based) and whether its names are used in its function (or module). */
export function pythonImportUse(text: string, line: number): ImportUse | undefined {
  const lines = text.split(/\r?\n/);
  const first = lines[line - 1];
  if (first === undefined || !/^\s*(import|from)\s/.test(first)) return undefined;
  let end = line - 1;
  let statement = first;
  if (first.includes('(') && !first.includes(')')) {
    while (end + 1 < lines.length && !lines[end].includes(')')) statement += '\n' + lines[++end];
  }
  while (/\\\s*$/.test(lines[end] ?? '') && end + 1 < lines.length) statement += '\n' + lines[++end];
  const names = pyBound(pyCode(statement));
  if (!names) return undefined;
  const indent = /^\s*/.exec(first)![0].length;
  let from = 0;
  let to = lines.length;
  let scope = 'module';
  if (indent > 0) {
    let h = line - 2;
    while (h >= 0 && (lines[h].trim() === '' || /^\s*#/.test(lines[h]) || /^\s*/.exec(lines[h])![0].length >= indent)) h--;
    if (h < 0) return undefined;
    const header = lines[h];
    const hIndent = /^\s*/.exec(header)![0].length;
    const def = /^\s*(?:async\s+)?(def|class)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(header);
    if (!def) return undefined; // inside try/if/with: guarded or conditional imports are left alone
    scope = `${def[1] === 'def' ? 'function' : 'class'} ${def[2]}`;
    from = h;
    to = h + 1;
    while (to < lines.length && (lines[to].trim() === '' || /^\s*/.exec(lines[to])![0].length > hIndent)) to++;
  }
  const used = new Set<string>();
  for (let i = from; i < to; i++) {
    if (i >= line - 1 && i <= end) continue;
    const code = pyCode(lines[i]);
    for (const n of names) if (new RegExp(`(^|[^A-Za-z0-9_.])${n}(?![A-Za-z0-9_])`).test(code)) used.add(n);
  }
  if (scope === 'module') {
    for (const n of names) if (new RegExp(`__all__[\\s\\S]*['"]${n}['"]`).test(text)) used.add(n);
  }
  return { statement: first.trim(), names, used: [...used], scope };
}

/** The `require`/`import` at `line` (1-based) of a JS/TS file and whether its bindings are used elsewhere in the file. */
export function jsImportUse(text: string, line: number): ImportUse | undefined {
  const lines = text.split(/\r?\n/);
  const stmt = lines[line - 1];
  if (stmt === undefined) return undefined;
  let names: string[] | undefined;
  let m = /(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:await\s+)?(?:require|import)\s*\(/.exec(stmt);
  if (m) names = [m[1]];
  m ??= /(?:const|let|var)\s*\{([^}]*)\}\s*=\s*(?:await\s+)?(?:require|import)\s*\(/.exec(stmt);
  if (m && !names) names = m[1].split(',').map((p) => p.split(':').pop()!.split('=')[0].trim()).filter(Boolean);
  const esm = /^\s*import\s+(.+?)\s+from\s+['"]/.exec(stmt);
  if (!names && esm) {
    names = esm[1]
      .replace(/[{}]/g, ',')
      .split(',')
      .map((p) => p.replace(/^\s*type\s+/, '').split(/\s+as\s+/).pop()!.replace(/^\*\s*/, '').trim())
      .filter(Boolean);
  }
  if (!names?.length) return undefined; // a bare require('x') is there for its side effects: used
  const code = lines
    .map((l, i) => (i === line - 1 ? '' : l.replace(/\/\/.*$/, '').replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""')))
    .join('\n');
  const used = names.filter((n) => new RegExp(`(^|[^\\w$.])${n.replace(/\$/g, '\\$')}(?![\\w$])`).test(code));
  return { statement: stmt.trim(), names, used, scope: 'module' };
}
