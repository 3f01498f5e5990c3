/**
 * `drop-dependency`: a dependency the code imports, removed from the manifest (a requirements file's
 * line; package.json's `dependencies` entry, with the lockfile pruned as `npm uninstall` would).
 * A process keeps running in the environment that has the package installed, so the fault shows
 * only where the environment is made from the manifest: a rebuilt Docker image.
 */
import { editsBetween, edit, wholeLines, type AppSources, type Edit, type Fault } from '../faults';
import { pythonImports, jsImports } from './imports';
import { makeFault } from './common';

/** Distribution names whose import name is not the distribution's own, normalised. */
const PY_IMPORT_NAMES: Record<string, string> = {
  pyyaml: 'yaml',
  pillow: 'PIL',
  beautifulsoup4: 'bs4',
  'python-dotenv': 'dotenv',
  'scikit-learn': 'sklearn',
  'psycopg2-binary': 'psycopg2',
  'python-multipart': 'multipart',
  'python-jose': 'jose',
  'opencv-python': 'cv2',
  'attrs': 'attr',
};

const pyImportName = (dist: string) => {
  const d = dist.toLowerCase().replace(/_/g, '-');
  return PY_IMPORT_NAMES[d] ?? d.replace(/[-.]/g, '_');
};

/** Top-level modules the app's sources import (Python: first dotted component, absolute imports only; JS: package names). */
function importedPackages(app: AppSources): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, file: string) => out.set(name, [...new Set([...(out.get(name) ?? []), file])]);
  for (const src of app.sources) {
    if (src.lang === 'python') {
      for (const st of pythonImports(src)) {
        if (st.form === 'import') for (const b of st.bindings) add(b.entry.split(/\s+as\s+/)[0]!.split('.')[0]!.trim(), src.file);
        else if (!st.module.startsWith('.')) add(st.module.split('.')[0]!, src.file);
      }
    } else {
      const specs = [...jsImports(src).map((i) => i.module)];
      for (const m of src.masked.matchAll(/\b(?:require|import)\s*\(\s*(['"])/g)) {
        const q = m.index! + m[0].length - 1;
        specs.push(src.text.slice(q + 1, src.masked.indexOf(m[1]!, q + 1)));
      }
      for (const s of specs) {
        if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:')) continue;
        add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!, src.file);
      }
    }
  }
  return out;
}

/** A package-lock.json (v2/v3) without `pkg` as a direct dependency, and without what only it needed. */
export function pruneLockfile(lockText: string, pkg: string): string | undefined {
  type Entry = { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; dev?: boolean };
  const lock = JSON.parse(lockText) as { packages?: Record<string, Entry>; dependencies?: Record<string, unknown> };
  if (!lock.packages?.['']) return undefined;
  const root = lock.packages['']!;
  if (!root.dependencies?.[pkg]) return undefined;
  delete root.dependencies[pkg];
  // Reachable packages from the root, resolved as Node does: nested node_modules first, then up.
  const keep = new Set<string>(['']);
  const queue = [''];
  const resolve = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages![key]) return key;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  while (queue.length) {
    const at = queue.shift()!;
    const e = lock.packages[at]!;
    const deps = { ...e.dependencies, ...e.optionalDependencies, ...(at === '' ? (lock.packages[''] as { devDependencies?: Record<string, string> }).devDependencies : {}), ...e.peerDependencies };
    for (const name of Object.keys(deps)) {
      const key = resolve(at, name);
      if (key && !keep.has(key)) {
        keep.add(key);
        queue.push(key);
      }
    }
  }
  for (const key of Object.keys(lock.packages)) if (!keep.has(key) && !(lock.packages[key] as { link?: boolean }).link) delete lock.packages[key];
  const indent = /^(\s+)"/m.exec(lockText)?.[1] ?? '  ';
  return JSON.stringify(lock, null, indent) + (lockText.endsWith('\n') ? '\n' : '');
}

/**
 * package.json text without one `dependencies` entry: the entry's own line (and the comma it leaves
 * dangling) when it has one, else the entry and its comma inline; re-serialised only if neither
 * gives JSON without it.
 */
export function withoutDependency(text: string, name: string): string {
  const deps = /"dependencies"\s*:\s*\{/.exec(text);
  const key = JSON.stringify(name).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const check = (out: string) => {
    try {
      const pkg = JSON.parse(out) as { dependencies?: Record<string, string> };
      return pkg.dependencies && !(name in pkg.dependencies) ? out : undefined;
    } catch {
      return undefined;
    }
  };
  if (deps) {
    const open = deps.index + deps[0].length - 1;
    const close = text.indexOf('}', open);
    const body = text.slice(open + 1, close);
    const m = new RegExp(`${key}\\s*:\\s*"[^"]*"`).exec(body);
    if (m) {
      const start = open + 1 + m.index;
      const end = start + m[0].length;
      const lineStart = text.lastIndexOf('\n', start - 1) + 1;
      const nl = text.indexOf('\n', end);
      const lineEnd = nl < 0 ? text.length : nl;
      const rest = text.slice(end, lineEnd);
      if (text.slice(lineStart, start).trim() === '' && /^\s*,?\s*$/.test(rest)) {
        let out = text.slice(0, lineStart) + text.slice(Math.min(text.length, lineEnd + 1));
        if (!rest.includes(',')) out = out.slice(0, lineStart).replace(/,(\s*)$/, '$1') + out.slice(lineStart);
        const ok = check(out);
        if (ok) return ok;
      }
      const after = /^\s*,\s*/.exec(text.slice(end));
      const inline = after ? text.slice(0, start) + text.slice(end + after[0].length) : text.slice(0, start).replace(/\s*,\s*$/, '') + text.slice(end);
      const ok = check(inline);
      if (ok) return ok;
    }
  }
  const pkg = JSON.parse(text) as { dependencies: Record<string, string> };
  delete pkg.dependencies[name];
  return JSON.stringify(pkg, null, /^(\s+)"/m.exec(text)?.[1] ?? '  ') + (text.endsWith('\n') ? '\n' : '');
}

export function dropDependencyFaults(app: AppSources): Fault[] {
  const out: Fault[] = [];
  const imported = importedPackages(app);
  const note = 'a process keeps the package installed in its environment, so this fault is observable only where the environment is built from the manifest: run in Docker with the image rebuilt';
  for (const file of app.files) {
    const base = file.split('/').pop()!;
    if (/^requirements[\w.-]*\.(txt|in)$/.test(base) && app.app.language === 'python') {
      const text = app.read(file);
      const src = { file, text, starts: [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)] };
      for (const m of text.matchAll(/^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([=<>!~;].*)?$/gm)) {
        const mod = pyImportName(m[1]!);
        const users = imported.get(mod);
        if (!users) continue;
        const [a, z] = wholeLines(text, m.index!, m.index! + m[0].length);
        const e = edit(src, a, z, '');
        out.push(
          makeFault(app, {
            kind: 'drop-dependency',
            variant: 'requirements',
            file,
            line: e.line,
            summary: `drop \`${m[0].trim()}\` from ${file} (imported as ${mod} by ${users.join(', ')})`,
            edits: [e],
            locatedIn: [file, ...users],
            runtime: 'docker',
            ruleFixable: true,
            note,
          }),
        );
      }
    }
    if (base === 'package.json' && app.app.language === 'node') {
      const text = app.read(file);
      const pkg = JSON.parse(text) as { dependencies?: Record<string, string> };
      const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
      for (const name of Object.keys(pkg.dependencies ?? {})) {
        const users = imported.get(name);
        if (!users) continue;
        const edits: Edit[] = editsBetween(file, text, withoutDependency(text, name));
        const lockFile = `${dir}package-lock.json`;
        if (app.files.includes(lockFile)) {
          const lockText = app.read(lockFile);
          const pruned = pruneLockfile(lockText, name);
          if (pruned) edits.push(...editsBetween(lockFile, lockText, pruned));
        }
        out.push(
          makeFault(app, {
            kind: 'drop-dependency',
            variant: 'package.json',
            file,
            line: edits[0]!.line,
            summary: `drop "${name}" from ${file} dependencies${edits.some((e) => e.file === lockFile) ? ` and prune ${lockFile}` : ''} (imported by ${users.join(', ')})`,
            edits,
            locatedIn: [file, ...users],
            runtime: 'docker',
            ruleFixable: true,
            note,
          }),
        );
      }
    }
  }
  return out;
}
