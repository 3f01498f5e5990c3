import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeNpmName, normalizePythonName } from './names';

/**
 * Is a package name real and not a copy of a popular one? Checked against bundled snapshots of
 * the registries' most-downloaded packages (data/README.md): the top PyPI names by rank and the
 * top npm names by monthly downloads, one name per line, most popular first.
 *
 * - known: in the list → evidence `known-package: <registry> rank N`.
 * - imitation: not in the list, and a near-copy of a much more popular name (swapped letters,
 *   `-`/`_`/`.` games, `python-`/`py-`/`node-` prefix games, an added `s`, or an edit distance of
 *   at most 2) → the caller refuses it, naming the package it imitates.
 * - unknown: neither → evidence `unknown-package: <name>`; lower confidence, higher danger.
 *
 * A popular name is never called an imitation, even when it is close to a more popular one.
 */

export type Registry = 'pypi' | 'npm';

export interface PopularityList {
  registry: Registry;
  /** Normalised name → 1-based rank. */
  rank: Map<string, number>;
  /** Names in rank order, as the registry spells them. */
  names: string[];
}

export type PackageVerdict =
  | { status: 'known'; name: string; rank: number; evidence: string }
  | { status: 'unknown'; name: string; evidence: string }
  | { status: 'imitation'; name: string; imitates: string; imitatesRank: number; how: string; evidence: string };

/** Only names this popular are protected against look-alikes. */
export const PROTECTED_TOP = 5000;

const FILES: Record<Registry, string> = { pypi: 'pypi-top.txt', npm: 'npm-top.txt' };

const normalize = (registry: Registry, name: string) => (registry === 'pypi' ? normalizePythonName(name) : normalizeNpmName(name));

/** Where the lists are: next to this module in the sources, `deps-data/` next to a bundle. */
function dataDirs(): string[] {
  const env = process.env.SMOKE_REPAIR_DEPS_DATA;
  return [...(env ? [env] : []), path.join(__dirname, 'data'), path.join(__dirname, 'deps-data')];
}

const cache = new Map<Registry, PopularityList | null>();

/** Parses one list: one name per line, most popular first; blank lines and `#` lines are ignored. */
export function parsePopularityList(registry: Registry, text: string): PopularityList {
  const rank = new Map<string, number>();
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const name = line.trim();
    if (!name || name.startsWith('#')) continue;
    names.push(name);
    const key = normalize(registry, name);
    if (!rank.has(key)) rank.set(key, names.length);
  }
  return { registry, rank, names };
}

/** The bundled list of a registry (read once), or undefined when it is not shipped. */
export function popularityList(registry: Registry): PopularityList | undefined {
  if (!cache.has(registry)) {
    let list: PopularityList | null = null;
    for (const dir of dataDirs()) {
      const file = path.join(dir, FILES[registry]);
      if (existsSync(file)) {
        list = parsePopularityList(registry, readFileSync(file, 'utf8'));
        break;
      }
    }
    cache.set(registry, list);
  }
  return cache.get(registry) ?? undefined;
}

/** Optimal-string-alignment distance (an adjacent swap costs 1), or `limit + 1` once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = 2): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    prev2 = prev;
    prev = cur;
  }
  return Math.min(prev[b.length], limit + 1);
}

const PREFIXES: Record<Registry, string[]> = {
  pypi: ['python-', 'python3-', 'py-', 'py', 'python'],
  npm: ['node-', 'js-', 'node', 'nodejs-'],
};
const SUFFIXES: Record<Registry, string[]> = {
  pypi: ['-python', '-py', '-python3', 'py'],
  npm: ['-js', '.js', 'js', '-node'],
};

const stripSeparators = (s: string) => s.replace(/[-_.]/g, '');

/** Every spelling a name is reduced to by removing one prefix or suffix the registry's authors like to play with. */
function coreForms(registry: Registry, name: string): string[] {
  const forms = [name];
  for (const p of PREFIXES[registry]) if (name.startsWith(p) && name.length > p.length + 2) forms.push(name.slice(p.length));
  for (const s of SUFFIXES[registry]) if (name.endsWith(s) && name.length > s.length + 2) forms.push(name.slice(0, -s.length));
  return forms;
}

/** How `candidate` imitates `popular`, or undefined when it does not. Both are normalised. */
export function imitation(registry: Registry, candidate: string, popular: string): string | undefined {
  if (candidate === popular) return undefined;
  if (stripSeparators(candidate) === stripSeparators(popular)) return 'the same letters with other separators';
  if (candidate === `${popular}s` || candidate === `${popular}-s`) return 'an added "s"';
  const candidateForms = coreForms(registry, candidate);
  const popularForms = coreForms(registry, popular);
  for (const c of candidateForms)
    for (const p of popularForms) if ((c !== candidate || p !== popular) && stripSeparators(c) === stripSeparators(p)) return 'a prefix or suffix added or dropped';
  const len = Math.min(candidate.length, popular.length);
  const limit = len >= 6 ? 2 : len >= 4 ? 1 : 0;
  if (limit === 0) return undefined;
  const d = editDistance(candidate, popular, limit);
  if (d > limit) return undefined;
  if (d === 1 && candidate.length === popular.length) {
    const i = [...candidate].findIndex((ch, k) => ch !== popular[k]);
    if (i >= 0 && candidate[i] === popular[i + 1] && candidate[i + 1] === popular[i]) return 'two letters swapped';
  }
  return `an edit distance of ${d}`;
}

/** The verdict on a package name for a registry (see the module comment). */
export function checkPackageName(registry: Registry, name: string, list: PopularityList | undefined = popularityList(registry)): PackageVerdict {
  const key = normalize(registry, name);
  if (!list) return { status: 'unknown', name, evidence: `unknown-package: ${name} (no ${registry} popularity list available)` };
  const rank = list.rank.get(key);
  if (rank !== undefined) return { status: 'known', name, rank, evidence: `known-package: ${registry} rank ${rank}` };
  const top = Math.min(PROTECTED_TOP, list.names.length);
  for (let i = 0; i < top; i++) {
    const popular = list.names[i];
    const how = imitation(registry, key, normalize(registry, popular));
    if (how) {
      return {
        status: 'imitation',
        name,
        imitates: popular,
        imitatesRank: i + 1,
        how,
        evidence: `imitates-package: ${name} looks like ${popular} (${registry} rank ${i + 1}): ${how}`,
      };
    }
  }
  return { status: 'unknown', name, evidence: `unknown-package: ${name}` };
}
