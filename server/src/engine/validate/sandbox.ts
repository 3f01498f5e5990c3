import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A sandbox outside the workspace, under the OS temp folder, whose cost follows what changes:
 * `files/` holds only the changed files at their workspace-relative paths; `view/` (made on first
 * use) is the workspace as the patch would leave it: only the changed files' ancestor folders are
 * recreated, every other entry of those folders is a symbolic link to the original. The workspace
 * itself is only ever read. Set SMOKE_REPAIR_KEEP_SANDBOX=1 to keep sandboxes for debugging.
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
  /** The workspace with the changed files replaced (symbolic links elsewhere); made on first call. */
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

/** Recreate each changed file's ancestor folders; link every other entry of them to the original. */
async function buildView(workspace: string, view: string, changed: readonly string[], texts: ReadonlyMap<string, string>): Promise<string> {
  const folders = new Set<string>(['']);
  for (const file of changed) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) folders.add(dir);
  }
  const changedSet = new Set(changed);
  for (const folder of [...folders].sort()) {
    const own = path.join(view, ...folder.split('/').filter(Boolean));
    await mkdir(own, { recursive: true });
    const original = path.join(workspace, ...folder.split('/').filter(Boolean));
    let names: string[] = [];
    try {
      if ((await stat(original)).isDirectory()) names = await readdir(original);
    } catch {
      names = []; // a folder the patch creates
    }
    const links = names.filter((name) => {
      const rel = folder ? `${folder}/${name}` : name;
      return !folders.has(rel) && !changedSet.has(rel);
    });
    // A few links at a time: the file system overlaps them, a huge folder does not exhaust handles.
    for (let at = 0; at < links.length; at += LINK_BATCH) {
      await Promise.all(links.slice(at, at + LINK_BATCH).map((name) => symlink(path.join(original, name), path.join(own, name))));
    }
  }
  for (const file of changed) await writeFile(path.join(view, ...file.split('/')), texts.get(file)!);
  return view;
}
