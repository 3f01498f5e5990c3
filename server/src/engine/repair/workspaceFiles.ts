import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Reading workspace files for planners and the patch generator: raw UTF-8 text (line endings kept),
 * undefined for a file that does not exist or a path that leaves the workspace.
 */
export function workspaceReader(workspace: string): (file: string) => Promise<string | undefined> {
  const root = path.resolve(workspace);
  return async (file) => {
    const abs = path.resolve(root, file);
    const rel = path.relative(root, abs);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    try {
      return await readFile(abs, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  };
}
