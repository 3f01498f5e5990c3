import { isDeepStrictEqual } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { normalizePythonName, PYTHON_NAME } from './names';
import { pythonSpecifier } from './requirements';
import { detectEol, indentOf, lineOf, ManifestEditError, splitLines } from './text';
import { arrayStrings, scanToml, type TomlTable } from './tomlScan';

/**
 * pyproject.toml: the dependencies it declares (PEP 621 `[project]` and Poetry tables) and
 * line-level edits that add or pin one. The text is never re-serialised: an edit inserts one
 * line (or one array element) in the file's own style, then the result is parsed again and must
 * equal the original data plus exactly that dependency.
 */

export interface PyprojectDependencies {
  /** PEP 621 `[project].dependencies` names (normalised), undefined when the key is absent. */
  project: string[] | undefined;
  /** `dependencies` is listed in `[project].dynamic` (declared elsewhere, e.g. a requirements file). */
  dynamic: boolean;
  /** `[project.optional-dependencies]` per extra. */
  optional: Record<string, string[]>;
  /** Poetry: `main` for `[tool.poetry.dependencies]` (python excluded), else the group name (`dev` includes `dev-dependencies`). */
  poetry: Record<string, string[]> | undefined;
}

type Data = Record<string, unknown>;

function parseDoc(text: string): Data {
  try {
    return parseToml(text) as Data;
  } catch (e) {
    const err = e as Error & { line?: number };
    throw new ManifestEditError(`pyproject.toml does not parse: ${err.message.split('\n')[0]}`, err.line);
  }
}

const obj = (v: unknown): Data | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : undefined);

/** The distribution name of a PEP 508 requirement string. */
export function requirementName(req: string): string | undefined {
  return /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(req)?.[1];
}

const names = (list: unknown): string[] =>
  Array.isArray(list) ? list.flatMap((r) => (typeof r === 'string' && requirementName(r) ? [normalizePythonName(requirementName(r)!)] : [])) : [];

export function readPyprojectDependencies(text: string): PyprojectDependencies {
  const doc = parseDoc(text);
  const project = obj(doc.project);
  const poetry = obj(obj(obj(doc.tool)?.poetry));
  const result: PyprojectDependencies = {
    project: project && 'dependencies' in project ? names(project.dependencies) : undefined,
    dynamic: Array.isArray(project?.dynamic) && (project!.dynamic as unknown[]).includes('dependencies'),
    optional: Object.fromEntries(Object.entries(obj(project?.['optional-dependencies']) ?? {}).map(([k, v]) => [k, names(v)])),
    poetry: undefined,
  };
  if (poetry) {
    const groups: Record<string, string[]> = {};
    const keys = (t: unknown) => Object.keys(obj(t) ?? {}).filter((k) => k.toLowerCase() !== 'python').map(normalizePythonName);
    if (obj(poetry.dependencies)) groups.main = keys(poetry.dependencies);
    if (obj(poetry['dev-dependencies'])) groups.dev = keys(poetry['dev-dependencies']);
    for (const [g, t] of Object.entries(obj(poetry.group) ?? {})) {
      const deps = obj(obj(t)?.dependencies);
      if (deps) groups[g] = [...(groups[g] ?? []), ...keys(deps)];
    }
    if (Object.keys(groups).length) result.poetry = groups;
  }
  return result;
}

/** Whether the file declares dependencies itself (PEP 621 `dependencies` or a Poetry dependency table). */
export function declaresDependencies(deps: PyprojectDependencies): boolean {
  return deps.project !== undefined || deps.poetry?.main !== undefined;
}

/** Every normalised name the file declares, in any group. */
export function allDeclared(deps: PyprojectDependencies): Set<string> {
  return new Set([...(deps.project ?? []), ...Object.values(deps.optional).flat(), ...Object.values(deps.poetry ?? {}).flat()]);
}

/** A Poetry constraint: `*` for any, else as given (`^1.2`, `~1.2`, `>=1,<2`, `1.2.3`). */
function poetryConstraint(version: string | undefined): string {
  if (version === undefined || version.trim() === '' || version.trim() === '*') return '*';
  const v = version.trim();
  if (/^[\^~]?[0-9][A-Za-z0-9.*+!_-]*$/.test(v)) return v;
  return pythonSpecifier(v);
}

const tomlKey = (name: string) => (/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name));

function findTable(tables: TomlTable[], name: string): TomlTable | undefined {
  return tables.find((t) => t.name === name && !t.isArrayTable);
}

function scan(text: string): TomlTable[] {
  try {
    return scanToml(text);
  } catch (e) {
    throw new ManifestEditError(`pyproject.toml: ${(e as Error).message}`);
  }
}

/** Inserts `entry` (a requirement string, quoted in the array's style) into the array whose `[` is at `open`. */
function insertIntoArray(text: string, open: number, requirement: string): string {
  const { strings, close } = arrayStrings(text, open);
  const quote = strings[0]?.quote === "'" ? "'" : '"';
  if (quote === "'" && requirement.includes("'")) throw new ManifestEditError(`cannot write ${requirement} in a literal string`);
  const lit = quote === '"' ? JSON.stringify(requirement) : `'${requirement}'`;
  const eol = detectEol(text);
  const multiLine = text.slice(open, close).includes('\n');
  if (strings.length === 0) {
    if (!multiLine) return text.slice(0, open + 1) + lit + text.slice(close);
    // `[` ... `]` on separate lines: a line of its own before the closing bracket's line.
    const closeLine = splitLines(text)[lineOf(text, close) - 1];
    const before = text.slice(closeLine.start, close);
    if (before.trim() === '') {
      const indent = indentOf(closeLine.text) + '    ';
      return text.slice(0, closeLine.start) + `${indent}${lit},${eol}` + text.slice(closeLine.start);
    }
    return text.slice(0, close) + lit + text.slice(close);
  }
  if (!multiLine) {
    const last = strings[strings.length - 1];
    return text.slice(0, last.end) + `, ${lit}` + text.slice(last.end);
  }
  const lines = splitLines(text);
  const startsLine = (offset: number) => {
    const l = lines[lineOf(text, offset) - 1];
    return text.slice(l.start, offset).trim() === '' ? l : undefined;
  };
  const key = (s: string) => normalizePythonName(requirementName(s) ?? s);
  const sorted = strings.every((s, i) => i === 0 || key(strings[i - 1].value) <= key(s.value));
  const newKey = key(requirement);
  const next = sorted ? strings.find((s) => key(s.value) > newKey) : undefined;
  if (next) {
    const l = startsLine(next.start);
    if (l) return text.slice(0, l.start) + `${indentOf(l.text)}${lit},${l.eol || eol}` + text.slice(l.start);
  }
  const last = strings[strings.length - 1];
  const lastLine = lines[lineOf(text, last.start) - 1];
  const afterLast = text.slice(last.end, lastLine.start + lastLine.text.length);
  const hasComma = /^\s*,/.test(afterLast);
  if (startsLine(last.start) && lineOf(text, close) > lineOf(text, last.end)) {
    if (!hasComma) {
      // The last element gets the comma TOML needs; the new one follows on a line of its own, without a trailing comma like the one before it.
      const withComma = text.slice(0, last.end) + ',' + text.slice(last.end);
      const nextLineStart = lastLine.start + lastLine.text.length + 1 + lastLine.eol.length;
      return withComma.slice(0, nextLineStart) + `${indentOf(lastLine.text)}${lit}${lastLine.eol}` + withComma.slice(nextLineStart);
    }
    const lineEnd = lastLine.start + lastLine.text.length;
    return text.slice(0, lineEnd) + (lastLine.eol || eol) + `${indentOf(lastLine.text)}${lit},` + text.slice(lineEnd);
  }
  return text.slice(0, last.end) + `, ${lit}` + text.slice(last.end);
}

/** Inserts `key = <raw TOML value>` into a table's body: alphabetically when its keys are sorted, else after its last entry. */
function insertIntoTable(text: string, table: TomlTable, key: string, rawValue: string, alphabetical = true): string {
  const eol = detectEol(text);
  const line = `${tomlKey(key)} = ${rawValue}`;
  const lines = splitLines(text);
  const entries = table.entries.filter((e) => e.key.toLowerCase() !== 'python');
  const k = (s: string) => normalizePythonName(s);
  const sorted = alphabetical && entries.every((e, i) => i === 0 || k(entries[i - 1].key) <= k(e.key));
  const next = sorted ? entries.find((e) => k(e.key) > k(key)) : undefined;
  if (next) {
    const l = lines[lineOf(text, next.keyStart) - 1];
    return text.slice(0, l.start) + `${indentOf(l.text)}${line}${l.eol || eol}` + text.slice(l.start);
  }
  const last = table.entries[table.entries.length - 1];
  if (!last) {
    // Right after the header line.
    if (table.bodyStart >= text.length && !text.endsWith('\n')) return `${text}${eol}${line}`;
    return text.slice(0, table.bodyStart) + `${line}${eol}` + text.slice(table.bodyStart);
  }
  const l = lines[lineOf(text, last.valueEnd) - 1];
  const lineEnd = l.start + l.text.length;
  return text.slice(0, lineEnd) + (l.eol || eol) + `${indentOf(lines[lineOf(text, last.keyStart) - 1].text)}${line}` + text.slice(lineEnd);
}

export type PyprojectTarget = { kind: 'pep621'; group?: string } | { kind: 'poetry'; group: string };

/** Where a dependency goes: PEP 621 when `[project].dependencies` exists (or no Poetry table does), else Poetry. */
export function pyprojectTarget(text: string, group?: string): PyprojectTarget {
  const deps = readPyprojectDependencies(text);
  if (deps.project !== undefined || (!deps.poetry && !group)) return { kind: 'pep621', group };
  if (deps.poetry) return { kind: 'poetry', group: group ?? 'main' };
  return { kind: 'pep621', group };
}

/** Adds one dependency; throws ManifestEditError when it is declared already or the file has no place for it. */
export function addPyprojectDependency(text: string, name: string, version?: string, group?: string): string {
  if (!PYTHON_NAME.test(name)) throw new ManifestEditError(`"${name}" is not a valid Python distribution name`);
  const before = parseDoc(text);
  const deps = readPyprojectDependencies(text);
  const key = normalizePythonName(name);
  const target = pyprojectTarget(text, group);
  const tables = scan(text);
  let after: string;
  if (target.kind === 'pep621') {
    const requirement = name + pythonSpecifier(version);
    const tableName = target.group ? 'project.optional-dependencies' : 'project';
    const entryKey = target.group ?? 'dependencies';
    const existing = target.group ? deps.optional[target.group] : deps.project;
    if (existing?.includes(key)) throw new ManifestEditError(`"${name}" is already in ${tableName}.${entryKey}`);
    if (!target.group && deps.dynamic) throw new ManifestEditError('[project].dependencies is dynamic (declared by the build backend, e.g. from a requirements file); add it there');
    const table = findTable(tables, tableName);
    if (!table) throw new ManifestEditError(`pyproject.toml has no [${tableName}] table`);
    const entry = table.entries.find((e) => e.key === entryKey);
    if (entry) {
      if (text[entry.valueStart] !== '[') throw new ManifestEditError(`${tableName}.${entryKey} is not an array`, lineOf(text, entry.valueStart));
      after = insertIntoArray(text, entry.valueStart, requirement);
    } else {
      after = insertIntoTable(text, table, entryKey, `[${JSON.stringify(requirement)}]`, Boolean(target.group));
    }
    verify(before, parseDoc(after), (doc) => {
      const t = obj(target.group ? obj(doc.project)?.['optional-dependencies'] : doc.project)!;
      const list = t[entryKey] as unknown[];
      const i = list.indexOf(requirement);
      if (i < 0) return false;
      list.splice(i, 1);
      if (!entry && list.length === 0) delete t[entryKey];
      return true;
    });
    return after;
  }
  const g = target.group;
  if (deps.poetry?.[g]?.includes(key)) throw new ManifestEditError(`"${name}" is already a Poetry dependency${g === 'main' ? '' : ` (group ${g})`}`);
  const constraint = poetryConstraint(version);
  const tableName = g === 'main' ? 'tool.poetry.dependencies' : `tool.poetry.group.${g}.dependencies`;
  const table = findTable(tables, tableName) ?? (g === 'dev' ? findTable(tables, 'tool.poetry.dev-dependencies') : undefined);
  let created = false;
  if (table) after = insertIntoTable(text, table, name, JSON.stringify(constraint));
  else {
    if (g === 'main') throw new ManifestEditError('pyproject.toml has no [tool.poetry.dependencies] table');
    const eol = detectEol(text);
    const sep = text === '' || text.endsWith('\n') ? '' : eol;
    after = `${text}${sep}${eol}[${tableName}]${eol}${tomlKey(name)} = ${JSON.stringify(constraint)}${sep ? '' : eol}`;
    created = true;
  }
  const usedTable = table?.name ?? tableName;
  verify(before, parseDoc(after), (doc) => {
    let t: Data | undefined = doc;
    const path = usedTable.split('.');
    for (const p of path) t = obj(t?.[p]);
    if (!t || t[name] !== constraint) return false;
    delete t[name];
    if (created) {
      const group = obj(obj(obj(doc.tool)?.poetry)?.group)!;
      delete group[g];
      if (Object.keys(group).length === 0) delete obj(obj(doc.tool)?.poetry)!.group;
    }
    return true;
  });
  return after;
}

/** Replaces the version of a declared dependency (PEP 621 string or Poetry value). */
export function pinPyprojectDependency(text: string, name: string, version: string): string {
  const before = parseDoc(text);
  const key = normalizePythonName(name);
  const tables = scan(text);
  for (const table of tables) {
    for (const entry of table.entries) {
      const isPep621 = (table.name === 'project' && entry.key === 'dependencies') || table.name === 'project.optional-dependencies';
      if (isPep621 && text[entry.valueStart] === '[') {
        const hit = arrayStrings(text, entry.valueStart).strings.find((s) => normalizePythonName(requirementName(s.value) ?? '') === key);
        if (!hit) continue;
        if (hit.quote.length !== 1) throw new ManifestEditError(`"${name}" is written as a multi-line string; pin it by hand`, lineOf(text, hit.start));
        const m = /^(\s*[A-Za-z0-9._-]+\s*(?:\[[^\]]*\])?)([^;@]*?)(\s*(?:;.*)?)$/.exec(hit.value);
        if (!m) throw new ManifestEditError(`"${hit.value}" is a direct reference; it cannot be pinned`, lineOf(text, hit.start));
        const value = m[1] + pythonSpecifier(version) + m[3];
        const lit = hit.quote === '"' ? JSON.stringify(value) : `'${value}'`;
        const after = text.slice(0, hit.start) + lit + text.slice(hit.end);
        verify(before, parseDoc(after), (doc) => replaceIn(doc, hit.value, value));
        return after;
      }
      const isPoetry = /^tool\.poetry\.(dependencies|dev-dependencies|group\.[^.]+\.dependencies)$/.test(table.name);
      if (isPoetry && normalizePythonName(entry.key) === key) {
        const constraint = poetryConstraint(version);
        let start = entry.valueStart;
        let end = entry.valueEnd;
        if (text[start] === '{') {
          const m = /\bversion\s*=\s*("[^"]*"|'[^']*')/.exec(text.slice(start, end));
          if (!m) throw new ManifestEditError(`"${entry.key}" has no version key (a git or path dependency?)`, lineOf(text, start));
          start = start + m.index + m[0].length - m[1].length;
          end = start + m[1].length;
        } else if (text[start] !== '"' && text[start] !== "'") throw new ManifestEditError(`"${entry.key}" has a value that is not a version`, lineOf(text, start));
        const after = text.slice(0, start) + JSON.stringify(constraint) + text.slice(end);
        const oldValue = parseDoc(`v = ${text.slice(start, end)}`).v;
        verify(before, parseDoc(after), (doc) => {
          let t: Data | undefined = doc;
          for (const p of table.name.split('.')) t = obj(t?.[p]);
          const holder = obj(t?.[entry.key]) ?? t;
          const field = holder === t ? entry.key : 'version';
          if (!holder || holder[field] !== constraint) return false;
          holder[field] = oldValue;
          return true;
        });
        return after;
      }
    }
  }
  throw new ManifestEditError(`"${name}" is not declared in pyproject.toml`);
}

function replaceIn(doc: Data, from: string, to: string): boolean {
  let done = false;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => (x === to && !done ? ((v[i] = from), (done = true)) : walk(x)));
    else if (obj(v)) Object.values(v as Data).forEach(walk);
  };
  walk(doc);
  return done;
}

/** The edited document, with the addition taken out by `undo`, must equal the original. */
function verify(before: Data, after: Data, undo: (doc: Data) => boolean): void {
  if (!undo(after)) throw new ManifestEditError('after the edit the dependency is not where it was meant to be; nothing was changed');
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(before)), JSON.parse(JSON.stringify(after)))) {
    throw new ManifestEditError('the edit would change more than the one dependency; nothing was changed');
  }
}
