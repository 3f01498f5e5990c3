import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** Folders made by tempDir in this test file; deleted once its tests are done. */
const made: string[] = [];
after(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A new empty folder under the system's temporary folder, deleted after the test file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
