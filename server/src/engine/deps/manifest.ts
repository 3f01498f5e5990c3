import path from 'node:path';
import { z } from 'zod';
import { normalizeNpmName, normalizePythonName } from './names';
import { DEPENDENCY_SECTIONS, readPackageJsonDependencies } from './packageJson';
import { allDeclared, declaresDependencies, readPyprojectDependencies } from './pyproject';
import { parseRequirements } from './requirements';
import { ManifestEditError } from './text';

/**
 * Which manifest governs a source file, and whether a package is declared in it. Manifests are
 * looked for from the file's folder up to the workspace root: the nearest wins. For Python a
 * `pyproject.toml` that declares dependencies (PEP 621 or Poetry) is preferred over a
 * `requirements.txt` in the same folder; one that declares none is passed over.
 */

export type Ecosystem = 'python' | 'node';
export type ManifestKind = 'requirements' | 'pyproject' | 'package.json';

export interface ManifestRef {
  /** Workspace-relative, forward slashes. */
  file: string;
  kind: ManifestKind;
}

/** Reads workspace-relative files; undefined when missing. */
export interface WorkspaceReader {
  files: string[];
  read(file: string): Promise<string | undefined>;
}

export interface ManifestSearch {
  /** The manifest a new dependency goes into. */
  target?: ManifestRef;
  /** Every manifest on the way up, nearest first (the declared check looks at all of them). */
  all: ManifestRef[];
}

export function kindOf(file: string): ManifestKind | undefined {
  const base = path.posix.basename(file);
  if (base === 'package.json') return 'package.json';
  if (base === 'pyproject.toml') return 'pyproject';
  if (/^requirements.*\.(txt|in)$/.test(base)) return 'requirements';
  return undefined;
}

async function exists(ws: WorkspaceReader, known: Set<string>, file: string): Promise<boolean> {
  return known.has(file) || (await ws.read(file)) !== undefined;
}

export async function findManifests(ws: WorkspaceReader, sourceFile: string, ecosystem: Ecosystem): Promise<ManifestSearch> {
  const known = new Set(ws.files);
  const all: ManifestRef[] = [];
  let target: ManifestRef | undefined;
  let dir = path.posix.dirname(sourceFile.replace(/\\/g, '/'));
  for (;;) {
    const at = (name: string) => (dir === '.' || dir === '' ? name : `${dir}/${name}`);
    if (ecosystem === 'node') {
      const pj = at('package.json');
      if (await exists(ws, known, pj)) {
        all.push({ file: pj, kind: 'package.json' });
        target ??= { file: pj, kind: 'package.json' };
      }
    } else {
      const pp = at('pyproject.toml');
      const rq = at('requirements.txt');
      let ppDeclares = false;
      const ppText = await ws.read(pp);
      if (ppText !== undefined) {
        all.push({ file: pp, kind: 'pyproject' });
        try {
          ppDeclares = declaresDependencies(readPyprojectDependencies(ppText));
        } catch {
          ppDeclares = false;
        }
      }
      const hasRq = await exists(ws, known, rq);
      if (hasRq) all.push({ file: rq, kind: 'requirements' });
      if (!target && ppDeclares) target = { file: pp, kind: 'pyproject' };
      else if (!target && hasRq) target = { file: rq, kind: 'requirements' };
    }
    if (dir === '.' || dir === '' || dir === '/') break;
    const up = path.posix.dirname(dir);
    dir = up === dir ? '.' : up;
  }
  return { target, all };
}

export interface Declaration {
  file: string;
  /** The name as the manifest writes it. */
  name: string;
  /** 1-based line when known. */
  line?: number;
  /** Where in the file: `dependencies`, `devDependencies`, `project.dependencies`, `poetry main`, ... */
  where: string;
}

/** Where `name` (a distribution or npm package) is declared in `manifest` (requirements includes followed), or undefined. */
export async function findDeclaration(ws: WorkspaceReader, manifest: ManifestRef, name: string): Promise<Declaration | undefined> {
  const text = await ws.read(manifest.file);
  if (text === undefined) return undefined;
  try {
    if (manifest.kind === 'package.json') {
      const sections = readPackageJsonDependencies(text);
      for (const s of DEPENDENCY_SECTIONS) {
        const hit = sections[s]?.find((k) => normalizeNpmName(k) === normalizeNpmName(name));
        if (hit) return { file: manifest.file, name: hit, where: s, line: lineOfKey(text, hit) };
      }
      return undefined;
    }
    if (manifest.kind === 'pyproject') {
      return allDeclared(readPyprojectDependencies(text)).has(normalizePythonName(name)) ? { file: manifest.file, name, where: 'pyproject.toml' } : undefined;
    }
    return await findInRequirements(ws, manifest.file, text, normalizePythonName(name), new Set());
  } catch (e) {
    if (e instanceof ManifestEditError) return undefined;
    throw e;
  }
}

async function findInRequirements(ws: WorkspaceReader, file: string, text: string, key: string, seen: Set<string>): Promise<Declaration | undefined> {
  seen.add(file);
  const parsed = parseRequirements(text);
  const hit = parsed.requirements.find((r) => r.key === key);
  if (hit) return { file, name: hit.name, line: hit.line, where: 'requirements' };
  for (const inc of parsed.includes) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), inc.path));
    if (target.startsWith('..') || path.posix.isAbsolute(target) || seen.has(target)) continue;
    const inner = await ws.read(target);
    if (inner === undefined) continue;
    const found = await findInRequirements(ws, target, inner, key, seen);
    if (found) return found;
  }
  return undefined;
}

function lineOfKey(text: string, key: string): number | undefined {
  const i = text.indexOf(JSON.stringify(key));
  return i < 0 ? undefined : text.slice(0, i).split('\n').length;
}

const lockSchema = z.looseObject({
  packages: z.record(z.string(), z.looseObject({ version: z.string().optional() })).optional(),
  dependencies: z.record(z.string(), z.looseObject({ version: z.string().optional() })).optional(),
});
const installedSchema = z.looseObject({ version: z.string() });

/**
 * The version of an npm package the folder already resolves, from `package-lock.json` (v1–v3) or
 * an installed `node_modules/<name>/package.json`; undefined when neither tells.
 */
export async function lockedNpmVersion(ws: WorkspaceReader, manifestFile: string, name: string): Promise<{ version: string; source: string } | undefined> {
  const dir = path.posix.dirname(manifestFile);
  const at = (f: string) => (dir === '.' ? f : `${dir}/${f}`);
  const lockText = await ws.read(at('package-lock.json'));
  if (lockText !== undefined) {
    try {
      const lock = lockSchema.parse(JSON.parse(lockText));
      const v = lock.packages?.[`node_modules/${name}`]?.version ?? lock.dependencies?.[name]?.version;
      if (v && /^\d+\.\d+\.\d+/.test(v)) return { version: v, source: at('package-lock.json') };
    } catch {
      // An unreadable lock file tells nothing.
    }
  }
  const installed = await ws.read(at(`node_modules/${name}/package.json`));
  if (installed !== undefined) {
    try {
      const v = installedSchema.parse(JSON.parse(installed)).version;
      if (/^\d+\.\d+\.\d+/.test(v)) return { version: v, source: at(`node_modules/${name}/package.json`) };
    } catch {
      // Ditto.
    }
  }
  return undefined;
}
