import { execFile } from 'node:child_process';

/**
 * The newest version the npm registry serves for a package (`npm view <name> version`), so a new
 * dependency gets the range `npm install <name>` would write. Undefined when the registry cannot
 * be asked (offline, unknown package, timeout): the caller then falls back and says so.
 */
export function latestNpmVersion(name: string, timeoutMs = 20_000): Promise<string | undefined> {
  if (!/^(@[a-z0-9._~-]+\/)?[a-z0-9._~-]+$/i.test(name)) return Promise.resolve(undefined);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise((resolve) => {
    execFile(npm, ['view', name, 'version', '--json'], { timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const v = JSON.parse(stdout);
        resolve(typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v) ? v : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
