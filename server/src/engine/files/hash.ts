import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** sha256 (hex) of text as UTF-8, or of raw bytes. */
export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** sha256 of a file's bytes, or null when the file does not exist. */
export async function hashFile(file: string): Promise<string | null> {
  try {
    return sha256(await readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
