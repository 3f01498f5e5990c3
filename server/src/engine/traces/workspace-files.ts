import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders that never hold the workspace's own code. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set([
  'node_modules',
  '.git',
  '.venv',
  'venv',
  '__pycache__',
  'dist',
  '.mypy_cache',
  '.pytest_cache',
  '.tox',
]);

/**
 * Lists the workspace's files (workspace-relative, forward slashes, sorted) for suffix matching.
 * Breadth first, so when `maxFiles` (default 20,000) is reached the shallow files are the ones
 * kept. Symbolic links are not followed; dependency, build and cache folders and unreadable
 * folders are skipped.
 */
export async function listWorkspaceFiles(root: string, options: { maxFiles?: number } = {}): Promise<string[]> {
  const max = options.maxFiles ?? 20_000;
  const files: string[] = [];
  let queue: string[] = [''];
  let truncated = false;
  while (queue.length > 0 && !truncated) {
    const next: string[] = [];
    for (const rel of queue) {
      let entries;
      try {
        entries = await readdir(join(root, rel), { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const path = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(e.name)) next.push(path);
        } else if (e.isFile()) {
          if (files.length >= max) {
            truncated = true;
            break;
          }
          files.push(path);
        }
      }
      if (truncated) break;
    }
    queue = next;
  }
  files.sort();
  return files;
}
