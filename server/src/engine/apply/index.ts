import { randomBytes } from 'node:crypto';
import { readFile, rm, unlink } from 'node:fs/promises';
import * as path from 'node:path';
import { reversePatch } from '../patch';
import { blockedByName, escapesWorkspace } from '../files/paths';
import type { Checkpoint, Patch, PlannedFix } from '../contracts';
import { writeFileAtomic } from '../files/atomicWrite';
import { checkpointPath, listCheckpoints, readCheckpoint, saveCheckpoint, type StoredCheckpoint } from './checkpoints';
import { hashFile, sha256 } from '../files/hash';

export { writeFileAtomic } from '../files/atomicWrite';
export { sha256, hashFile } from '../files/hash';
export { listCheckpoints, readCheckpoint, saveCheckpoint, checkpointPath, CHECKPOINT_DIR, STATE_DIR, type StoredCheckpoint } from './checkpoints';

/**
 * Headless apply and rollback. An apply checks every file against the hash the plan was made on,
 * stores a checkpoint, then writes each file atomically; when a write fails, the files already
 * written are put back and the checkpoint is dropped, so an apply is all or nothing. A rollback
 * restores a checkpoint byte for byte and refuses files changed since (unless forced).
 */

/** A refused or failed apply or rollback; `file` is the workspace-relative file at fault. */
export class ApplyError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly code: 'stale' | 'not_in_plan' | 'blocked' | 'write_failed' | 'no_checkpoint' | 'changed_since' | 'bad_checkpoint' = 'write_failed',
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

/** Writes one file; the tests pass a failing one to see the apply put everything back. */
export type FileWriter = (absolute: string, content: string) => Promise<void>;

export interface ApplyOptions {
  workspace: string;
  fix: PlannedFix;
  patch: Patch;
  write?: FileWriter;
}

function newId(prefix: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${stamp}-${randomBytes(3).toString('hex')}`;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Write `after` for each file, in order; on a failure put back what was written and rethrow. */
async function writeAll(
  workspace: string,
  items: Array<{ file: string; before: string | null; after: string | null }>,
  write: FileWriter,
): Promise<void> {
  const done: typeof items = [];
  for (const item of items) {
    const abs = path.join(workspace, item.file);
    try {
      if (item.after === null) await removeFile(abs);
      else await write(abs, item.after);
      done.push(item);
    } catch (err) {
      const unrestored: string[] = [];
      for (const prev of done.reverse()) {
        try {
          const prevAbs = path.join(workspace, prev.file);
          if (prev.before === null) await removeFile(prevAbs);
          else await writeFileAtomic(prevAbs, prev.before);
        } catch {
          unrestored.push(prev.file);
        }
      }
      const restored = done.length - unrestored.length;
      const tail = unrestored.length
        ? `; could NOT restore ${unrestored.join(', ')}`
        : restored > 0
          ? `; the ${restored} file${restored > 1 ? 's' : ''} already written ${restored > 1 ? 'were' : 'was'} restored`
          : '';
      throw new ApplyError(`could not write ${item.file}: ${(err as Error).message}${tail}`, item.file, 'write_failed');
    }
  }
}

/**
 * Apply a planned fix's patch to the workspace. Throws ApplyError (nothing written) when a file
 * is not in the plan, is blocked by policy, or changed since the plan was made.
 */
export async function applyFix(opts: ApplyOptions): Promise<Checkpoint> {
  const workspace = path.resolve(opts.workspace);
  const { fix, patch } = opts;
  const planFiles = new Set(fix.plan.files);
  const files: Checkpoint['files'] = [];
  for (const f of patch.files) {
    if (!planFiles.has(f.file)) throw new ApplyError(`${f.file} is not one of the plan's files; nothing was written`, f.file, 'not_in_plan');
    const blocked = blockedByName(f.file) ?? (await escapesWorkspace(workspace, f.file));
    if (blocked) throw new ApplyError(`${blocked}; nothing was written`, f.file, 'blocked');
    if (!(f.file in fix.base)) throw new ApplyError(`${f.file} has no base hash in the plan; nothing was written`, f.file, 'stale');
    const expected = fix.base[f.file];
    const patchBase = f.before === null ? null : sha256(f.before);
    if (patchBase !== expected) {
      throw new ApplyError(`${f.file}: the patch was not made from the text the plan was made on; make the plan again`, f.file, 'stale');
    }
    const current = await hashFile(path.join(workspace, f.file));
    if (current !== expected) {
      const what = current === null ? 'was deleted' : expected === null ? 'was created' : 'changed';
      throw new ApplyError(`${f.file} ${what} since the plan was made; nothing was written (make the plan again)`, f.file, 'stale');
    }
    files.push({ file: f.file, before: f.before, afterHash: sha256(f.after) });
  }
  const now = Date.now();
  const checkpoint: Checkpoint = { id: newId('cp-', now), createdAt: now, fixId: fix.id, files, reverseDiff: reversePatch(patch).diff };
  await saveCheckpoint(workspace, checkpoint);
  const write = opts.write ?? ((abs, content) => writeFileAtomic(abs, content));
  try {
    await writeAll(
      workspace,
      patch.files.map((f) => ({ file: f.file, before: f.before, after: f.after })),
      write,
    );
  } catch (err) {
    await rm(checkpointPath(workspace, checkpoint.id), { force: true });
    throw err;
  }
  return checkpoint;
}

export interface RollbackOptions {
  checkpointId?: string;
  /** Restore files even when they changed since the apply. */
  force?: boolean;
  write?: FileWriter;
}

export interface RollbackResult {
  checkpoint: StoredCheckpoint;
  /** Files written back to their earlier content. */
  restored: string[];
  /** Files the apply had created, now deleted. */
  deleted: string[];
}

/** Restore the last checkpoint not yet rolled back, or the one named. */
export async function rollback(workspaceDir: string, opts: RollbackOptions = {}): Promise<RollbackResult> {
  const workspace = path.resolve(workspaceDir);
  let checkpoint: StoredCheckpoint;
  if (opts.checkpointId) {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.checkpointId)) throw new ApplyError(`"${opts.checkpointId}" is not a checkpoint id`, undefined, 'no_checkpoint');
    const read = await readCheckpoint(workspace, opts.checkpointId);
    if (!read.ok) throw new ApplyError(`${read.file}: ${read.error}`, undefined, read.error.startsWith('no checkpoint') ? 'no_checkpoint' : 'bad_checkpoint');
    checkpoint = read.checkpoint;
    if (checkpoint.rolledBackAt !== undefined && !opts.force) {
      throw new ApplyError(`checkpoint ${checkpoint.id} was already rolled back at ${new Date(checkpoint.rolledBackAt).toISOString()}`, undefined, 'no_checkpoint');
    }
  } else {
    const { checkpoints } = await listCheckpoints(workspace);
    const open = checkpoints.filter((c) => c.rolledBackAt === undefined);
    if (open.length === 0) throw new ApplyError('there is no checkpoint to roll back', undefined, 'no_checkpoint');
    checkpoint = open[open.length - 1];
  }
  for (const f of checkpoint.files) {
    const blocked = blockedByName(f.file) ?? (await escapesWorkspace(workspace, f.file));
    if (blocked) throw new ApplyError(`checkpoint ${checkpoint.id}: ${blocked}; nothing was written`, f.file, 'blocked');
    if (opts.force) continue;
    const current = await hashFile(path.join(workspace, f.file));
    if (current !== f.afterHash) {
      const what = current === null ? 'was deleted' : 'changed';
      throw new ApplyError(
        `${f.file} ${what} since checkpoint ${checkpoint.id} was applied (its sha256 is not the one written); nothing was restored. Use --force to restore it anyway.`,
        f.file,
        'changed_since',
      );
    }
  }
  const items = await Promise.all(
    checkpoint.files.map(async (f) => ({ file: f.file, before: await readText(path.join(workspace, f.file)), after: f.before })),
  );
  await writeAll(workspace, items, opts.write ?? ((abs, content) => writeFileAtomic(abs, content)));
  const updated: StoredCheckpoint = { ...checkpoint, rolledBackAt: Date.now() };
  await saveCheckpoint(workspace, updated);
  return {
    checkpoint: updated,
    restored: checkpoint.files.filter((f) => f.before !== null).map((f) => f.file),
    deleted: checkpoint.files.filter((f) => f.before === null).map((f) => f.file),
  };
}
