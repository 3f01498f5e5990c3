import * as path from 'node:path';
import type { Mount } from './types';

/**
 * Whether the app under test runs this workspace's code. Two checkouts (or worktrees) of one
 * project share a compose project name, so the container found for a workspace may have been
 * started from the other folder: its traces then map by path suffix onto look-alike files, fixes
 * are validated and applied to files the app never loads, and the pass rate does not move.
 *
 * The container says where its code comes from: its bind mounts, and the folder compose ran in
 * (label `com.docker.compose.project.working_dir`). Undefined when nothing says otherwise (a mount
 * inside the workspace, or no mount and no compose folder: the code is baked into the image).
 */
export function foreignApp(workspace: string, mounts: readonly Mount[], composeDir?: string): string | undefined {
  const ws = path.resolve(workspace);
  const related = (p: string) => within(p, ws) || within(ws, p);
  if (mounts.some((m) => related(m.source))) return undefined;
  const code = mounts.filter((m) => !SYSTEM_MOUNT.test(m.source) && !SYSTEM_MOUNT.test(m.destination));
  if (code.length > 0) {
    const shown = code.slice(0, 3).map((m) => `${m.source} → ${m.destination}`).join(', ');
    return `the app's container mounts ${shown}, not this workspace (${ws}): it runs another folder's code (another checkout or worktree?)`;
  }
  if (composeDir && !related(path.resolve(composeDir))) {
    return `the app's container was started by compose in ${composeDir}, not in this workspace (${ws}): it runs another folder's code`;
  }
  return undefined;
}

/** Mounts that carry no app code: sockets, the host's system folders, caches. */
const SYSTEM_MOUNT = /^\/(?:var\/run|run|proc|sys|dev|etc|usr|lib|lib64|bin|sbin)(?:\/|$)|docker\.sock$/;

function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
