/**
 * Maps a frame's raw path (as the app saw it: a container path, a `file://` URL, a Windows path)
 * to a workspace file: by the container's bind mounts, then by a configured prefix map, then by
 * the longest path-suffix match against the workspace's files.
 */
import type { Frame, Trace } from '../model';
import type { Mount } from '../runtime/types';

export { listWorkspaceFiles, SKIPPED_FOLDERS } from './workspace-files';

export interface MappedPath {
  /** Workspace-relative with forward slashes when `inWorkspace`; otherwise the raw path. */
  file: string;
  inWorkspace: boolean;
  /** Which rule mapped it. */
  via?: 'workspace' | 'mount' | 'map' | 'suffix';
}

export interface PathMapOptions {
  /** Absolute path of the workspace folder on this host. */
  workspace: string;
  /** The container's bind mounts (destination → host source). */
  mounts?: readonly Mount[];
  /** Configured map: path prefix as the app sees it → workspace-relative folder. */
  pathMap?: Readonly<Record<string, string>>;
  /** Workspace-relative files, for suffix matching (see `listWorkspaceFiles`). */
  files?: readonly string[];
}

export type PathMapper = (rawFile: string) => MappedPath;

const OUTSIDE = [
  /\/(?:site|dist)-packages\//,
  /(?:^|\/)node_modules\//,
  /^node:/,
  /^<[^>]*>$/,
  /^internal\//,
  /\/lib\/python\d+(?:\.\d+)?\//,
];

/** Turns any path spelling into forward-slash form: drops `file://`, decodes it, folds `\` and `//`. */
export function normalizePath(raw: string): string {
  let p = raw.trim();
  if (/^file:\/\//i.test(p)) {
    p = p.slice(7);
    try {
      p = decodeURIComponent(p);
    } catch {
      // keep it as written
    }
    // file:///C:/x → C:/x
    if (/^\/[A-Za-z]:[/\\]/.test(p)) p = p.slice(1);
  }
  p = p.replace(/\\/g, '/');
  const unc = p.startsWith('//');
  p = p.replace(/\/{2,}/g, '/');
  if (unc) p = `/${p}`;
  // Resolve `.` and `..` segments without touching the file system.
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '.') continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..' && parts[parts.length - 1] !== '') {
      parts.pop();
      continue;
    }
    parts.push(seg);
  }
  return parts.join('/');
}

function isWindows(p: string): boolean {
  return /^[A-Za-z]:\//.test(p);
}

/** `path` relative to `root` when it lies inside it (both normalised), else undefined. */
function relativeInside(path: string, root: string): string | undefined {
  const r = root.endsWith('/') ? root.slice(0, -1) : root;
  const fold = isWindows(path) || isWindows(r);
  const a = fold ? path.toLowerCase() : path;
  const b = fold ? r.toLowerCase() : r;
  if (a.length > b.length && a.startsWith(b) && a.charCodeAt(b.length) === 47) {
    const rel = path.slice(r.length + 1);
    return rel.split('/').includes('..') || rel === '' ? undefined : rel;
  }
  return undefined;
}

/** Whether a path is a library or runtime file that is never the workspace's own code. */
export function isLibraryPath(raw: string): boolean {
  const p = normalizePath(raw);
  return OUTSIDE.some((re) => re.test(p)) || p.startsWith('<');
}

function stripPrefix(path: string, prefix: string): string | undefined {
  const pre = normalizePath(prefix).replace(/\/$/, '');
  if (pre === '') return undefined;
  if (path === pre) return '';
  if (path.startsWith(`${pre}/`)) return path.slice(pre.length + 1);
  return undefined;
}

function joinRel(folder: string, rest: string): string | undefined {
  const f = normalizePath(folder).replace(/^\.?\/?/, '').replace(/\/$/, '');
  const joined = normalizePath(f ? `${f}/${rest}` : rest);
  if (joined === '' || joined.startsWith('/') || joined.split('/').includes('..') || isWindows(joined)) return undefined;
  return joined;
}

export function createPathMapper(options: PathMapOptions): PathMapper {
  const root = normalizePath(options.workspace);
  const mounts = [...(options.mounts ?? [])]
    .map((m) => ({ destination: normalizePath(m.destination), source: normalizePath(m.source) }))
    .sort((a, b) => b.destination.length - a.destination.length);
  const map = Object.entries(options.pathMap ?? {}).sort((a, b) => b[0].length - a[0].length);
  const byName = new Map<string, string[][]>();
  for (const f of options.files ?? []) {
    const segs = normalizePath(f).split('/').filter((s) => s !== '');
    const name = segs[segs.length - 1];
    if (!name) continue;
    let list = byName.get(name);
    if (!list) byName.set(name, (list = []));
    list.push(segs);
  }
  const cache = new Map<string, MappedPath>();

  const compute = (raw: string): MappedPath => {
    const outside: MappedPath = { file: raw, inWorkspace: false };
    if (typeof raw !== 'string' || raw.length === 0) return outside;
    const path = normalizePath(raw);
    if (OUTSIDE.some((re) => re.test(path)) || path.startsWith('<')) return outside;
    const direct = relativeInside(path, root);
    if (direct) return { file: direct, inWorkspace: true, via: 'workspace' };
    for (const m of mounts) {
      const rest = stripPrefix(path, m.destination);
      if (rest === undefined || rest === '') continue;
      const rel = relativeInside(`${m.source}/${rest}`, root);
      if (rel) return { file: rel, inWorkspace: true, via: 'mount' };
    }
    for (const [prefix, folder] of map) {
      const rest = stripPrefix(path, prefix);
      if (rest === undefined || rest === '') continue;
      const rel = joinRel(folder, rest);
      if (rel) return { file: rel, inWorkspace: true, via: 'map' };
    }
    const segs = path.split('/').filter((s) => s !== '' && !/^[A-Za-z]:$/.test(s));
    const candidates = byName.get(segs[segs.length - 1] ?? '');
    if (!candidates) return outside;
    let best: string[] | undefined;
    let bestScore = 0;
    let tie = false;
    for (const c of candidates) {
      let score = 0;
      while (score < c.length && score < segs.length && c[c.length - 1 - score] === segs[segs.length - 1 - score]) score++;
      if (score > bestScore) {
        best = c;
        bestScore = score;
        tie = false;
      } else if (score === bestScore) {
        tie = true;
      }
    }
    // Two workspace files matching equally well: pointing at the wrong one is worse than none.
    if (!best || tie) return outside;
    return { file: best.join('/'), inWorkspace: true, via: 'suffix' };
  };

  return (raw) => {
    let hit = cache.get(raw);
    if (!hit) {
      hit = compute(raw);
      if (cache.size > 10_000) cache.clear();
      cache.set(raw, hit);
    }
    return hit;
  };
}

function mapFrames(frames: readonly Frame[], mapper: PathMapper): Frame[] {
  return frames.map((f) => {
    const m = mapper(f.rawFile);
    return { ...f, file: m.file, inWorkspace: m.inWorkspace };
  });
}

/** The trace with every frame (causes' too) mapped to workspace files. */
export function mapTrace(trace: Trace, mapper: PathMapper): Trace {
  return {
    ...trace,
    frames: mapFrames(trace.frames, mapper),
    causes: trace.causes.map((c) => ({ ...c, frames: mapFrames(c.frames, mapper) })),
  };
}

/** The frame a diagnostic should sit on: the innermost workspace frame of the trace, causes included. */
export function topWorkspaceFrame(trace: Trace): Frame | undefined {
  for (let i = trace.frames.length - 1; i >= 0; i--) if (trace.frames[i]!.inWorkspace) return trace.frames[i];
  for (let c = trace.causes.length - 1; c >= 0; c--) {
    const frames = trace.causes[c]!.frames;
    for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.inWorkspace) return frames[i];
  }
  return undefined;
}
