import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Writes a file so that readers see either the old bytes or the new ones, never a half-written
 * file: the content goes to a temporary file in the same folder, is flushed, takes the old file's
 * mode, and is renamed over the target. Missing parent folders are created.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  let mode = opts.mode;
  if (mode === undefined) {
    try {
      mode = (await stat(file)).mode & 0o7777;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode ?? 0o644);
  try {
    await handle.writeFile(content);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  } finally {
    await handle.close().catch(() => {});
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}
