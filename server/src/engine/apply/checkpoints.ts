import { mkdir, readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import type { Checkpoint } from '../contracts';
import { writeFileAtomic } from '../files/atomicWrite';

/**
 * Checkpoints on disk: `.smoke-repair/checkpoints/<id>.json`, one per apply, written before the
 * apply writes anything. A rolled-back checkpoint keeps its file with `rolledBackAt` set, so
 * "roll back the last fix" moves on to the one before.
 */

export const STATE_DIR = '.smoke-repair';
export const CHECKPOINT_DIR = path.join(STATE_DIR, 'checkpoints');

export interface StoredCheckpoint extends Checkpoint {
  rolledBackAt?: number;
}

const checkpointSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  createdAt: z.number().int(),
  fixId: z.string(),
  files: z.array(z.strictObject({ file: z.string().min(1), before: z.string().nullable(), afterHash: z.string().regex(/^[0-9a-f]{64}$/) })),
  reverseDiff: z.string(),
  rolledBackAt: z.number().int().optional(),
});

export function checkpointPath(workspace: string, id: string): string {
  return path.join(workspace, CHECKPOINT_DIR, `${id}.json`);
}

export async function saveCheckpoint(workspace: string, checkpoint: StoredCheckpoint): Promise<string> {
  const file = checkpointPath(workspace, checkpoint.id);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(checkpoint, null, 2) + '\n');
  return file;
}

export type CheckpointRead = { ok: true; checkpoint: StoredCheckpoint } | { ok: false; file: string; error: string };

export async function readCheckpoint(workspace: string, id: string): Promise<CheckpointRead> {
  const file = checkpointPath(workspace, id);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, file, error: code === 'ENOENT' ? `no checkpoint "${id}"` : (err as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, file, error: `not valid JSON: ${(err as Error).message}` };
  }
  const parsed = checkpointSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, file, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  }
  return { ok: true, checkpoint: parsed.data };
}

/** Every checkpoint, oldest first; unreadable ones are listed in `problems`. */
export async function listCheckpoints(workspace: string): Promise<{ checkpoints: StoredCheckpoint[]; problems: Array<{ file: string; error: string }> }> {
  let names: string[];
  try {
    names = (await readdir(path.join(workspace, CHECKPOINT_DIR))).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return { checkpoints: [], problems: [] };
  }
  const checkpoints: StoredCheckpoint[] = [];
  const problems: Array<{ file: string; error: string }> = [];
  for (const name of names.sort()) {
    const read = await readCheckpoint(workspace, name.slice(0, -'.json'.length));
    if (read.ok) checkpoints.push(read.checkpoint);
    else problems.push({ file: read.file, error: read.error });
  }
  checkpoints.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { checkpoints, problems };
}
