/**
 * A private copy of an example app: its files in a temp folder, run in its own compose project on
 * its own port and image tag, so a test can change files (and rebuild) while the shared example
 * containers stay as they are. `stop()` takes the copy's container and image down and deletes the folder.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitForHealth } from '../../server/src/engine/smoke/health';
import { exampleDetails, type ExampleName } from './docker';

const BASES: Record<ExampleName, string> = { 'shop-api': 'smoke-repair/python-base:1', 'todo-api-node': 'smoke-repair/node-base:1' };

export interface ExampleCopy {
  /** The copy's folder (a workspace). */
  dir: string;
  /** Its compose project (also its container name). */
  project: string;
  /** Where the copy answers, e.g. http://127.0.0.1:41234. */
  baseUrl: string;
  /** Takes the container and the image tag down and deletes the folder. */
  stop(): void;
}

/**
 * Copies `examples/<name>` (without node_modules, __pycache__, .smoke-repair) and starts it on
 * `port`. The example's image must exist (`ensureExampleUp(name)` builds it); it is tagged anew for
 * the copy, so a rebuild of the copy never touches the shared one. `prepare` may change the copy's
 * files (its compose file, its code, its smoke-repair.yaml) before it starts.
 */
export async function copyExample(name: ExampleName, port: number, options: { prepare?: (dir: string) => void } = {}): Promise<ExampleCopy> {
  const src = exampleDetails(name).dir;
  const dir = mkdtempSync(path.join(tmpdir(), `copy-${name}-`));
  cpSync(src, dir, { recursive: true, filter: (s) => !/node_modules|__pycache__|\.smoke-repair/.test(s) });
  const project = `${name}-copy-${port}`;
  const image = `smoke-repair/${name}-copy:${port}`;
  const composeFile = path.join(dir, 'docker-compose.yml');
  let compose = readFileSync(composeFile, 'utf8');
  compose = compose
    .replace(/container_name: .*/, `container_name: ${project}`)
    .replace(/image: .*/, `image: ${image}`)
    .replace(/build:\n\s+context: \./, `build:\n      context: .\n      args:\n        BASE: ${BASES[name]}`);
  if (name === 'shop-api') compose = compose.replace(/(network_mode: host)/, `$1\n    command: uvicorn app.main:app --host 127.0.0.1 --port ${port}`);
  else compose = compose.replace(/PORT: "3000"/, `PORT: "${port}"`);
  writeFileSync(composeFile, compose);
  let yaml = readFileSync(path.join(dir, 'smoke-repair.yaml'), 'utf8');
  yaml = yaml.replace(/baseUrl: http:\/\/127\.0\.0\.1:\d+/, `baseUrl: http://127.0.0.1:${port}`).replace(/project: .*/, `project: ${project}\n    rebuild: true`);
  writeFileSync(path.join(dir, 'smoke-repair.yaml'), yaml);
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('docker-compose', ['-p', project, '-f', composeFile, 'down', '--remove-orphans'], { stdio: 'pipe' });
    } finally {
      try {
        execFileSync('docker', ['rmi', '-f', image], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  try {
    options.prepare?.(dir);
    execFileSync('docker', ['tag', exampleDetails(name).image, image]);
    execFileSync('docker-compose', ['-p', project, '-f', composeFile, 'up', '-d', '--no-build'], { stdio: 'pipe' });
    await waitForHealth(baseUrl, '/health', 60_000);
  } catch (err) {
    try {
      stop();
    } catch {
      /* the start error is the one to report */
    }
    throw err;
  }
  return { dir, project, baseUrl, stop };
}
