/**
 * Docker set-up for integration tests and the demo: a running engine, and the example apps
 * (examples/shop-api, examples/todo-api-node) up and healthy. The work is done by
 * scripts/setup-docker.sh; this module runs it and reports its failures with its output.
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ExampleName = 'shop-api' | 'todo-api-node';

export interface ExampleInfo {
  /** Where the app answers, e.g. http://127.0.0.1:8000. */
  baseUrl: string;
  /** Compose project name (label com.docker.compose.project). */
  project: string;
  /** Compose service name (label com.docker.compose.service). */
  service: string;
}

export interface ExampleDetails extends ExampleInfo {
  /** Absolute path of the example's folder (the workspace a test opens). */
  dir: string;
  /** Compose file, absolute. */
  composeFile: string;
  /** Fixed container name from the compose file. */
  container: string;
  /** Image the compose file runs. */
  image: string;
  health: string;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SETUP_SCRIPT = path.join(REPO_ROOT, 'scripts', 'setup-docker.sh');

const PORTS: Record<ExampleName, number> = { 'shop-api': 8000, 'todo-api-node': 3000 };

export const EXAMPLE_NAMES: readonly ExampleName[] = ['shop-api', 'todo-api-node'];

export function exampleDetails(name: ExampleName): ExampleDetails {
  const port = PORTS[name];
  if (port === undefined) throw new Error(`unknown example "${String(name)}" (expected one of: ${EXAMPLE_NAMES.join(', ')})`);
  const dir = path.join(REPO_ROOT, 'examples', name);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    project: name,
    service: 'api',
    dir,
    composeFile: path.join(dir, 'docker-compose.yml'),
    container: name,
    image: `smoke-repair/${name}:dev`,
    health: '/health',
  };
}

/** Set-up steps can build base images from scratch: allow minutes. */
const SCRIPT_TIMEOUT_MS = 20 * 60_000;

export class SetupError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- setup output (last lines) ---\n${output.split('\n').slice(-25).join('\n')}`);
    this.name = 'SetupError';
  }
}

/** Runs scripts/setup-docker.sh with the given arguments; resolves with its stderr (progress lines). */
export function runSetupScript(args: string[], options: { timeoutMs?: number; echo?: boolean } = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? SCRIPT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SETUP_SCRIPT, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      if (options.echo || process.env.SMOKE_REPAIR_SETUP_VERBOSE) process.stderr.write(text);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new SetupError(`could not run ${SETUP_SCRIPT}: ${err.message}`, output));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else if (signal) reject(new SetupError(`setup-docker.sh ${args.join(' ')} stopped by ${signal} (time limit ${timeoutMs} ms)`, output));
      else reject(new SetupError(`setup-docker.sh ${args.join(' ')} exited with ${code}`, output));
    });
  });
}

function dockerAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 }, (err, stdout) => {
      resolve(!err && stdout.trim().length > 0);
    });
  });
}

/** Makes sure a Docker engine answers: installs and starts one through the set-up script when not. */
export async function ensureDocker(): Promise<void> {
  if (await dockerAnswers()) return;
  await runSetupScript(['engine']);
  if (!(await dockerAnswers())) throw new SetupError('the Docker engine still does not answer after set-up', '');
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function composeContainerRunning(project: string, service: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`],
      { timeout: 10_000 },
      (err, stdout) => resolve(!err && stdout.trim().length > 0),
    );
  });
}

/**
 * Brings an example up with docker-compose (building the local base and example images first
 * when they are missing) and waits for its health endpoint. Cheap when it is already up.
 */
export async function ensureExampleUp(name: ExampleName): Promise<ExampleInfo> {
  const d = exampleDetails(name);
  const info: ExampleInfo = { baseUrl: d.baseUrl, project: d.project, service: d.service };
  await ensureDocker();
  if ((await composeContainerRunning(d.project, d.service)) && (await healthy(d.baseUrl + d.health))) return info;
  await runSetupScript(['up', name]);
  if (!(await healthy(d.baseUrl + d.health))) {
    throw new SetupError(`${name} is up but ${d.baseUrl}${d.health} does not answer`, '');
  }
  return info;
}

/** Stops and removes the example's containers (docker-compose down). */
export async function stopExample(name: ExampleName): Promise<void> {
  exampleDetails(name);
  await runSetupScript(['down', name]);
}
