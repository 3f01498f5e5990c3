import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './docker';

/** bin/smoke-repair.js, as a person or CI runs it. */
export const CLI = path.join(REPO_ROOT, 'bin', 'smoke-repair.js');

const execFileAsync = promisify(execFile);

/** Runs the command line to its end (at most 15 minutes) without blocking the test's event loop: its exit code, stdout and stderr. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
