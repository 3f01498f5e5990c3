import { applyPatch } from 'diff';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Patch } from '../contracts';
import { checkRelativePath } from './sandbox';

/**
 * The apply step: the patch fits the workspace as it is now. Each file's current text equals the
 * patch's `before` (a created file must not exist yet), and the file's unified diff applied to
 * `before` gives exactly `after`.
 */
export async function checkApplies(workspace: string, patch: Patch): Promise<{ ok: boolean; output: string }> {
  const lines: string[] = [];
  let ok = true;
  if (patch.files.length === 0) return { ok: false, output: 'the patch changes no file' };
  const seen = new Set<string>();
  for (const fp of patch.files) {
    try {
      checkRelativePath(fp.file);
    } catch (err) {
      ok = false;
      lines.push(`${fp.file}: ${(err as Error).message}`);
      continue;
    }
    if (seen.has(fp.file)) {
      ok = false;
      lines.push(`${fp.file}: appears more than once in the patch`);
      continue;
    }
    seen.add(fp.file);
    const current = await readCurrent(path.join(workspace, ...fp.file.split('/')));
    if (current.error) {
      ok = false;
      lines.push(`${fp.file}: cannot be read (${current.error})`);
      continue;
    }
    if (fp.before === null && current.text !== null) {
      ok = false;
      lines.push(`${fp.file}: the patch creates it, but it exists in the workspace`);
      continue;
    }
    if (fp.before !== null && current.text === null) {
      ok = false;
      lines.push(`${fp.file}: the patch changes it, but it no longer exists in the workspace`);
      continue;
    }
    if (fp.before !== null && current.text !== fp.before) {
      ok = false;
      lines.push(`${fp.file}:${firstDifferentLine(fp.before, current.text!)}: changed since the patch was made (the current text differs from the patch's base)`);
      continue;
    }
    const applied = applyPatch(fp.before ?? '', fp.diff);
    if (applied === false) {
      ok = false;
      lines.push(`${fp.file}: the unified diff does not apply to the file's text`);
    } else if (applied !== fp.after) {
      ok = false;
      lines.push(`${fp.file}:${firstDifferentLine(fp.after, applied)}: the unified diff gives a different text than the patch's result`);
    } else {
      lines.push(`${fp.file}: applies (+${fp.added} -${fp.removed})`);
    }
  }
  return { ok, output: lines.join('\n') };
}

async function readCurrent(file: string): Promise<{ text: string | null; error?: string }> {
  try {
    return { text: await readFile(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: null };
    return { text: null, error: code ?? (err as Error).message };
  }
}

/** 1-based number of the first line where two texts differ. */
export function firstDifferentLine(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}
