import { constants as fsConstants, type Dirent } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A sandbox outside the workspace, under the OS temp folder: `files/` holds only the changed files
 * at their workspace-relative paths; `view/` (made on first use, for an app run as a process and
 * for configured checks) is the workspace as the patch would leave it, sharing nothing the app could
 * write (see buildView). The workspace itself is only ever read. Set SMOKE_REPAIR_KEEP_SANDBOX=1 to keep sandboxes for debugging.
 */

const LINK_BATCH = 64;

export const KEEP_SANDBOX_ENV = 'SMOKE_REPAIR_KEEP_SANDBOX';

export interface SandboxFile {
  /** Workspace-relative path, forward slashes. */
  file: string;
  /** The text the patch gives the file. */
  after: string;
}

export interface Sandbox {
  readonly workspace: string;
  /** The sandbox's own folder. */
  readonly root: string;
  /** Folder holding only the changed files, at their workspace-relative paths. */
  readonly filesDir: string;
  /** The changed files' workspace-relative paths, sorted. */
  readonly changed: readonly string[];
  /** Host path of the sandbox copy of a changed file. */
  pathOf(file: string): string;
  /** The workspace with the changed files replaced (code hard-linked, data copied); made on first call. */
  view(): Promise<string>;
  /** Removes the sandbox (kept when SMOKE_REPAIR_KEEP_SANDBOX=1 or `keep`). */
  dispose(): Promise<void>;
}

export class UnsafePathError extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(`${JSON.stringify(file)} ${why}`);
    this.name = 'UnsafePathError';
  }
}

/** A workspace-relative path that stays inside the workspace; throws UnsafePathError otherwise. */
export function checkRelativePath(file: string): string {
  if (!file) throw new UnsafePathError(file, 'is empty');
  if (file.includes('\0')) throw new UnsafePathError(file, 'holds a NUL character');
  if (file.includes('\\')) throw new UnsafePathError(file, 'uses backslashes; paths are written with forward slashes');
  if (path.posix.isAbsolute(file) || /^[A-Za-z]:/.test(file)) throw new UnsafePathError(file, 'is absolute; patch paths are workspace-relative');
  const normal = path.posix.normalize(file);
  if (normal !== file || normal === '.' || normal.startsWith('../') || normal === '..' || file.endsWith('/')) {
    throw new UnsafePathError(file, 'is not a normalised path inside the workspace');
  }
  return file;
}

export async function createSandbox(opts: {
  workspace: string;
  files: ReadonlyArray<SandboxFile>;
  keep?: boolean;
}): Promise<Sandbox> {
  const workspace = path.resolve(opts.workspace);
  const changed = [...new Set(opts.files.map((f) => checkRelativePath(f.file)))].sort();
  if (changed.length !== opts.files.length) throw new UnsafePathError(changed[0] ?? '', 'appears more than once in the patch');
  const root = await mkdtemp(path.join(tmpdir(), 'smoke-repair-sandbox-'));
  const filesDir = path.join(root, 'files');
  const texts = new Map(opts.files.map((f) => [f.file, f.after]));
  try {
    await mkdir(filesDir);
    for (const file of changed) {
      const target = path.join(filesDir, ...file.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, texts.get(file)!);
    }
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }

  let viewDir: Promise<string> | undefined;
  const keep = opts.keep ?? process.env[KEEP_SANDBOX_ENV] === '1';
  return {
    workspace,
    root,
    filesDir,
    changed,
    pathOf: (file) => path.join(filesDir, ...file.split('/')),
    view: () => (viewDir ??= buildView(workspace, path.join(root, 'view'), changed, texts)),
    dispose: async () => {
      if (!keep) await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Folders linked whole: installed dependencies and caches, which the app reads and does not write
 * (and which are large). Everything else is rebuilt, folder by folder.
 */
const LINKED_FOLDERS = new Set([
  'node_modules', 'bower_components', '.git', '.hg', '.svn', '.venv', 'venv', '.tox', '.nox', '__pycache__',
  '.mypy_cache', '.pytest_cache', '.ruff_cache', '.smoke-repair', '.next', '.nuxt', '.cache', '.gradle', 'target',
]);

/**
 * Files that are code or configuration the app only reads: hard-linked (no copy, and, unlike a
 * symbolic link, a file Node and Python load from the view, so its relative imports stay in the
 * view). Every other file may be written by the app (SQLite databases, JSON stores, logs, uploads)
 * and is copied, so nothing the sandboxed app writes reaches the workspace.
 */
const CODE_FILE = /\.(?:py|pyi|pyx|js|mjs|cjs|jsx|ts|mts|cts|tsx|vue|svelte|html?|css|scss|sass|less|md|rst|toml|cfg|ini|ya?ml|map|jinja2?|j2|ejs|hbs|pug|txt|graphql|gql|proto|sql|sh)$|(?:^|\/)(?:Dockerfile|Makefile|Procfile|LICENSE|README)[^/]*$/i;

/**
 * The workspace as the patch would leave it, made so that the sandboxed app shares nothing it can
 * write with the workspace: every folder is a folder of the view, code is hard-linked, other files
 * are copied, dependency folders are linked whole, and the changed files are written. Where hard
 * links cannot be made (another file system), code is copied too. Node needs no symlink flags.
 */
async function buildView(workspace: string, view: string, changed: readonly string[], texts: ReadonlyMap<string, string>): Promise<string> {
  const changedSet = new Set(changed);
  let linkable = true;
  const place = async (from: string, to: string, rel: string) => {
    if (CODE_FILE.test(rel) && linkable) {
      try {
        await link(from, to);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP') linkable = false;
        else throw err;
      }
    }
    await copyFile(from, to, fsConstants.COPYFILE_FICLONE);
  };
  const walk = async (rel: string): Promise<void> => {
    const own = path.join(view, ...rel.split('/').filter(Boolean));
    const original = path.join(workspace, ...rel.split('/').filter(Boolean));
    await mkdir(own, { recursive: true });
    let entries: Dirent[] = [];
    try {
      entries = await readdir(original, { withFileTypes: true });
    } catch {
      return; // a folder the patch creates
    }
    const folders: string[] = [];
    const jobs: Array<() => Promise<void>> = [];
    for (const e of entries) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (changedSet.has(child)) continue;
      const from = path.join(original, e.name);
      const to = path.join(own, e.name);
      if (e.isDirectory()) {
        if (LINKED_FOLDERS.has(e.name)) jobs.push(() => symlink(from, to));
        else folders.push(child);
      } else if (e.isSymbolicLink()) {
        // The workspace's own links stay links (to where they point).
        jobs.push(async () => symlink(await readlink(from), to));
      } else if (e.isFile()) {
        jobs.push(() => place(from, to, child));
      }
    }
    // A few at a time: the file system overlaps them, a huge folder does not exhaust handles.
    for (let at = 0; at < jobs.length; at += LINK_BATCH) await Promise.all(jobs.slice(at, at + LINK_BATCH).map((j) => j()));
    for (const f of folders) await walk(f);
  };
  await walk('');
  for (const file of changed) {
    const target = path.join(view, ...file.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, texts.get(file)!);
  }
  return view;
}
