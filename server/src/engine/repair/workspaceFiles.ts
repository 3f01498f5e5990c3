import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Reading workspace files for planners and the patch generator: raw UTF-8 text (line endings kept),
 * undefined for a file that does not exist or a path that leaves the workspace. Every read goes to
 * the disk; a text equal to the one this reader last returned for the file is returned as that same
 * string, so plans and patches made for many violations share one copy of each file.
 */
export function workspaceReader(workspace: string): (file: string) => Promise<string | undefined> {
  const root = path.resolve(workspace);
  const last = new Map<string, string>();
  return async (file) => {
    const abs = path.resolve(root, file);
    const rel = path.relative(root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    try {
      const text = await readFile(abs, 'utf8');
      const previous = last.get(rel);
      if (previous === text) return previous;
      last.set(rel, text);
      return text;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  };
}
