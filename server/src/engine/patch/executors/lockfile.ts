import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PatchError, type Executor } from '../../contracts';

/** How long the package manager may take to resolve the lockfile. */
const SYNC_TIMEOUT_MS = 180_000;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: SYNC_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/**
 * Brings `package-lock.json` in line with the `package.json` beside it, as it stands after the
 * plan's earlier operations: the package manager resolves the lockfile in a scratch folder holding
 * only those two files (and the folder's `.npmrc`), with install scripts off and nothing installed.
 * The result depends on what the registry serves for the manifest's ranges; everything else about
 * the patch stays deterministic.
 */
export const syncLockfile: Executor<'sync_lockfile'> = async (op, ctx) => {
  const dir = path.posix.dirname(ctx.file);
  const manifestPath = dir === '.' ? 'package.json' : `${dir}/package.json`;
  const manifest = await ctx.read(manifestPath);
  if (manifest === undefined) throw new PatchError(`${manifestPath} does not exist, so there is nothing to bring ${ctx.file} in line with`, ctx.file, 0);
  const scratch = await mkdtemp(path.join(tmpdir(), 'smoke-repair-lock-'));
  try {
    await writeFile(path.join(scratch, 'package.json'), manifest);
    if (ctx.exists) await writeFile(path.join(scratch, 'package-lock.json'), ctx.text);
    const npmrc = await ctx.read(dir === '.' ? '.npmrc' : `${dir}/.npmrc`);
    if (npmrc !== undefined) await writeFile(path.join(scratch, '.npmrc'), npmrc);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = await run(npm, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], scratch);
    if (result.code !== 0) {
      throw new PatchError(`npm could not resolve ${ctx.file}: ${result.output.split('\n').slice(-8).join('\n')}`, ctx.file, 0);
    }
    let next = await readFile(path.join(scratch, 'package-lock.json'), 'utf8');
    if (ctx.text.includes('\r\n') && !next.includes('\r\n')) next = next.replace(/\n/g, '\r\n');
    return next;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};
