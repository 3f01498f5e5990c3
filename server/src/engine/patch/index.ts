import { unifiedDiff } from '../files/diff';
import type { FixPlan, Operation, OperationType } from '../fixPlan';
import { PatchError, type Executor, type FilePatch, type Patch } from '../contracts';
import { EXECUTORS, type ExecutorMap } from './registry';

export { EXECUTORS, type ExecutorMap } from './registry';

/**
 * Turning a FixPlan into a Patch: each operation's executor edits the raw text of its file (line
 * endings and every untouched byte stay as they are), operations in plan order, files in sorted
 * order, unified diffs from the `diff` package with fixed context and no timestamps. The same plan
 * on the same files gives the same bytes.
 */

export { DIFF_CONTEXT, unifiedDiff } from '../files/diff';

export type ReadFile = (file: string) => Promise<string | undefined>;

export async function generatePatch(
  plan: FixPlan,
  read: ReadFile,
  executors: ExecutorMap = EXECUTORS,
  opts: { workspace?: string } = {},
): Promise<Patch> {
  const before = new Map<string, string | undefined>();
  const current = new Map<string, string>();
  const planFiles = new Set(plan.files);
  const cachedRead: ReadFile = async (file) => (current.has(file) ? current.get(file) : read(file));

  for (const [index, op] of plan.operations.entries()) {
    if (!planFiles.has(op.file)) throw new PatchError(`the file is not in the plan's files`, op.file, index);
    const executor = executors[op.type] as Executor<OperationType> | undefined;
    if (!executor) throw new PatchError(`no executor for operation type "${op.type}"`, op.file, index);
    if (!before.has(op.file)) {
      const text = await read(op.file);
      before.set(op.file, text);
      if (text !== undefined) current.set(op.file, text);
    }
    const exists = current.has(op.file);
    const text = current.get(op.file) ?? '';
    let next: string;
    try {
      next = await executor(op as Operation, { workspace: opts.workspace ?? '', file: op.file, text, exists, read: cachedRead });
    } catch (err) {
      const line = err instanceof PatchError ? err.line : undefined;
      throw new PatchError(`operation ${index} (${op.type}) on ${op.file}: ${(err as Error).message}`, op.file, index, line);
    }
    if (typeof next !== 'string') throw new PatchError(`operation ${index} (${op.type}) on ${op.file}: the executor returned no text`, op.file, index);
    if (next === text && exists) throw new PatchError(`operation ${index} (${op.type}) on ${op.file}: the operation changes nothing`, op.file, index);
    current.set(op.file, next);
  }

  const files: FilePatch[] = [];
  for (const file of [...current.keys()].sort()) {
    const old = before.get(file);
    const after = current.get(file)!;
    if (old === after) continue;
    files.push(filePatch(file, old ?? null, after));
  }
  return assemble(files);
}

function countLines(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++ ')) added++;
    else if (line.startsWith('-') && !line.startsWith('--- ')) removed++;
  }
  return { added, removed };
}

function filePatch(file: string, before: string | null, after: string): FilePatch {
  const diff = unifiedDiff(file, before, after);
  return { file, before, after, diff, ...countLines(diff) };
}

function assemble(files: FilePatch[]): Patch {
  const diff = files.map((f) => f.diff).join('');
  return {
    files,
    diff,
    stats: {
      files: files.length,
      added: files.reduce((n, f) => n + f.added, 0),
      removed: files.reduce((n, f) => n + f.removed, 0),
      bytes: Buffer.byteLength(diff, 'utf8'),
    },
  };
}

/**
 * The patch that undoes `patch`. A file the patch created is deleted by its reverse: that entry
 * has `after` '' and a diff to /dev/null, and `before` the created text.
 */
export function reversePatch(patch: Patch): Patch {
  const files = patch.files.map((f): FilePatch => {
    if (f.before === null) {
      const diff = unifiedDiff(f.file, f.after, null);
      return { file: f.file, before: f.after, after: '', diff, ...countLines(diff) };
    }
    return filePatch(f.file, f.after, f.before);
  });
  return assemble(files);
}
