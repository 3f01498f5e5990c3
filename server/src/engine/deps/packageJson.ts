import { isDeepStrictEqual } from 'node:util';
import { NPM_NAME, normalizeNpmName } from './names';
import { detectEol, indentOf, lineOf, ManifestEditError, splitLines } from './text';

/**
 * package.json: the dependencies it declares and line-level edits that add or pin one. The
 * text is never re-serialised: the new member goes on a line of its own in the file's own
 * indentation (spaces or tabs) and line endings, alphabetically when the existing keys are sorted
 * (as npm writes them), else last. The result is parsed again and must equal the original plus
 * exactly that key.
 */

export const DEPENDENCY_SECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
export type DependencySection = (typeof DEPENDENCY_SECTIONS)[number];

interface Member {
  key: string;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
  return i;
}

function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  if (j >= text.length) throw new ManifestEditError('unterminated string', lineOf(text, i));
  return j + 1;
}

function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text[j];
      if (d === '"') {
        j = stringEnd(text, j);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new ManifestEditError(`unclosed "${c}"`, lineOf(text, i));
  }
  let j = i;
  while (j < text.length && !/[,}\]\s]/.test(text[j])) j++;
  return j;
}

/** Members of the object whose `{` is at `open`, with the offset of its `}`. */
function members(text: string, open: number): { members: Member[]; close: number } {
  const out: Member[] = [];
  let i = skipWs(text, open + 1);
  if (text[i] === '}') return { members: out, close: i };
  for (;;) {
    if (text[i] !== '"') throw new ManifestEditError('expected a key', lineOf(text, i));
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    let j = skipWs(text, keyEnd);
    if (text[j] !== ':') throw new ManifestEditError(`expected ":" after "${key}"`, lineOf(text, j));
    j = skipWs(text, j + 1);
    const end = valueEnd(text, j);
    out.push({ key, keyStart: i, valueStart: j, valueEnd: end });
    i = skipWs(text, end);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') return { members: out, close: i };
    throw new ManifestEditError('expected "," or "}"', lineOf(text, i));
  }
}

function parse(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ManifestEditError(`package.json does not parse: ${(e as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ManifestEditError('package.json is not a JSON object', 1);
  return data as Record<string, unknown>;
}

function root(text: string): { members: Member[]; close: number; open: number } {
  const open = skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text[open] !== '{') throw new ManifestEditError('package.json is not a JSON object', 1);
  return { open, ...members(text, open) };
}

/** Section → declared names, for the sections present. */
export function readPackageJsonDependencies(text: string): Partial<Record<DependencySection, string[]>> {
  const data = parse(text);
  const out: Partial<Record<DependencySection, string[]>> = {};
  for (const s of DEPENDENCY_SECTIONS) {
    const v = data[s];
    if (v && typeof v === 'object' && !Array.isArray(v)) out[s] = Object.keys(v);
  }
  return out;
}

/** npm sorts dependency keys with `localeCompare(…, 'en')`. */
const compare = (a: string, b: string) => a.localeCompare(b, 'en');

/** The indentation one level deeper than `outer`, in the file's style (the root's first member shows the unit). */
function indentUnit(text: string, rootMembers: Member[]): string {
  const first = rootMembers[0];
  if (!first) return '  ';
  const line = splitLines(text)[lineOf(text, first.keyStart) - 1];
  const indent = indentOf(line.text);
  return indent || '  ';
}

/**
 * Inserts `"key": rawValue` into the object at `open`: before the first greater key when the keys
 * are sorted, else after the last member (which then gets its comma). An empty object becomes a
 * multi-line one in the file's indentation.
 */
function insertMember(text: string, open: number, key: string, rawValue: string, unit: string, sortedInsert: boolean): string {
  const { members: ms, close } = members(text, open);
  const eol = detectEol(text);
  const lines = splitLines(text);
  const member = `${JSON.stringify(key)}: ${rawValue}`;
  const openLine = lines[lineOf(text, open) - 1];
  const outerIndent = indentOf(openLine.text);
  if (ms.length === 0) {
    return text.slice(0, open + 1) + `${eol}${outerIndent}${unit}${member}${eol}${outerIndent}` + text.slice(close);
  }
  const multiLine = lineOf(text, ms[0].keyStart) !== lineOf(text, open);
  if (!multiLine) {
    const last = ms[ms.length - 1];
    return text.slice(0, last.valueEnd) + `, ${member}` + text.slice(last.valueEnd);
  }
  const sorted = sortedInsert && ms.every((m, i) => i === 0 || compare(ms[i - 1].key, m.key) <= 0);
  const next = sorted ? ms.find((m) => compare(m.key, key) > 0) : undefined;
  if (next) {
    const l = lines[lineOf(text, next.keyStart) - 1];
    if (text.slice(l.start, next.keyStart).trim() === '') return text.slice(0, l.start) + `${indentOf(l.text)}${member},${l.eol || eol}` + text.slice(l.start);
  }
  const last = ms[ms.length - 1];
  const lastLine = lines[lineOf(text, last.valueEnd) - 1];
  const indent = indentOf(lines[lineOf(text, last.keyStart) - 1].text);
  if (lineOf(text, close) === lineOf(text, last.valueEnd)) {
    return text.slice(0, last.valueEnd) + `,${eol}${indent}${member}` + text.slice(last.valueEnd);
  }
  const lineEnd = lastLine.start + lastLine.text.length;
  return text.slice(0, last.valueEnd) + ',' + text.slice(last.valueEnd, lineEnd) + `${lastLine.eol || eol}${indent}${member}` + text.slice(lineEnd);
}

export function sectionFor(group: string | undefined): DependencySection {
  if (!group || group === 'main' || group === 'prod' || group === 'dependencies') return 'dependencies';
  if (group === 'dev' || group === 'devDependencies') return 'devDependencies';
  if (group === 'peer' || group === 'peerDependencies') return 'peerDependencies';
  if (group === 'optional' || group === 'optionalDependencies') return 'optionalDependencies';
  throw new ManifestEditError(`unknown dependency group "${group}" for package.json (expected dev, peer or optional)`);
}

/** A version range npm accepts: `^1.2.3`, `~1.2`, `1.x`, `>=1 <2`, `*`. Tags (`latest`) and URLs are refused. */
export function npmRange(version: string): string {
  const v = version.trim();
  if (v === '*') return v;
  if (/^[\^~]?\d+(\.(\d+|x|\*)){0,2}(-[0-9A-Za-z.-]+)?$/.test(v)) return v;
  if (/^([<>]=?|=)?\s*\d+(\.\d+){0,2}(\s+([<>]=?|=)?\s*\d+(\.\d+){0,2})*$/.test(v)) return v;
  throw new ManifestEditError(`"${version}" is not a semver range (expected e.g. "^6.5.0"; tags like "latest" are not allowed)`);
}

export function addPackageJsonDependency(text: string, name: string, version: string, group?: string): string {
  if (!NPM_NAME.test(name)) throw new ManifestEditError(`"${name}" is not a valid npm package name`);
  const range = npmRange(version);
  const before = parse(text);
  const section = sectionFor(group);
  const existing = before[section];
  if (existing !== undefined && (typeof existing !== 'object' || existing === null || Array.isArray(existing))) throw new ManifestEditError(`"${section}" is not an object`);
  const already = Object.keys((existing as object) ?? {}).find((k) => normalizeNpmName(k) === normalizeNpmName(name));
  if (already) throw new ManifestEditError(`"${already}" is already in ${section}`, lineOf(text, text.indexOf(JSON.stringify(already))));
  const r = root(text);
  const unit = indentUnit(text, r.members);
  const sectionMember = r.members.find((m) => m.key === section);
  let after: string;
  if (sectionMember) after = insertMember(text, sectionMember.valueStart, name, JSON.stringify(range), unit, true);
  else {
    // A new section object: after the last member of the root object, in the file's indentation.
    const eol = detectEol(text);
    const inner = `{${eol}${unit}${unit}${JSON.stringify(name)}: ${JSON.stringify(range)}${eol}${unit}}`;
    after = insertMember(text, r.open, section, inner, unit, false);
  }
  const parsed = parse(after);
  const added = parsed[section] as Record<string, unknown> | undefined;
  if (!added || added[name] !== range) throw new ManifestEditError('after the edit the dependency is not there; nothing was changed');
  delete added[name];
  if (!sectionMember) delete parsed[section];
  const keysBefore = Object.keys(before);
  if (!isDeepStrictEqual(parsed, before) || !isDeepStrictEqual(Object.keys(parsed), keysBefore)) {
    throw new ManifestEditError('the edit would change more than the one dependency; nothing was changed');
  }
  return after;
}

/** Replaces the version range of a dependency already declared (in any section). */
export function pinPackageJsonDependency(text: string, name: string, version: string): string {
  const range = npmRange(version);
  const before = parse(text);
  const r = root(text);
  for (const section of DEPENDENCY_SECTIONS) {
    const sm = r.members.find((m) => m.key === section);
    if (!sm || text[sm.valueStart] !== '{') continue;
    const hit = members(text, sm.valueStart).members.find((m) => m.key === name);
    if (!hit) continue;
    if (text[hit.valueStart] !== '"') throw new ManifestEditError(`"${name}" in ${section} is not a string`, lineOf(text, hit.valueStart));
    const after = text.slice(0, hit.valueStart) + JSON.stringify(range) + text.slice(hit.valueEnd);
    const parsed = parse(after);
    (parsed[section] as Record<string, unknown>)[name] = (before[section] as Record<string, unknown>)[name];
    if (!isDeepStrictEqual(parsed, before)) throw new ManifestEditError('the edit would change more than the one version; nothing was changed');
    return after;
  }
  throw new ManifestEditError(`"${name}" is not declared in package.json`);
}
