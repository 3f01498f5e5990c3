import { createServer } from 'node:net';
import type { HealthProbe } from '../smoke/health';

/**
 * The patched app started from the sandbox, on its own loopback port. One adapter per runtime
 * (dockerApp.ts, processApp.ts).
 */
export interface SandboxApp {
  /** e.g. `docker container smoke-repair-validate-1a2b` */
  describe(): string;
  /** Resolves when the app answers its health path; throws AppStartError when it cannot. */
  start(): Promise<void>;
  /** The app's last output lines (for a step's output). */
  outputTail(): Promise<string>;
  /** Commands a person runs in the workspace after the fix is applied (dependencies the sandbox installed for itself). */
  afterApply?(): string[];
  /** Stops and removes everything the adapter made. Safe to call more than once. */
  dispose(): Promise<void>;
}

/** Where a sandbox app listens and how it is checked, the same for every adapter. */
export interface SandboxAppTarget {
  /** The configured base URL with the sandbox port. */
  baseUrl: string;
  health: HealthProbe;
  healthTimeoutMs: number;
  /** The port of the configured app, replaced by `port` in commands and settings. */
  originalPort: number;
  port: number;
  /** The environment variable that tells the app its port. */
  portEnv: string;
  signal?: AbortSignal;
}

/**
 * Why the app could not be started from the sandbox. `blame: 'patch'` when the patch caused it
 * (an image that no longer builds, an app that no longer starts): the step fails. `blame:
 * 'environment'` otherwise (no Docker, a base image that cannot be pulled): the step is skipped.
 */
export class AppStartError extends Error {
  constructor(
    message: string,
    readonly blame: 'patch' | 'environment',
  ) {
    super(message);
    this.name = 'AppStartError';
  }
}

/** A loopback TCP port that was free a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The port of a base URL (80/443 when the URL names none). */
export function portOf(baseUrl: string): number {
  const url = new URL(baseUrl);
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export function withPort(baseUrl: string, port: number): string {
  const url = new URL(baseUrl);
  url.port = String(port);
  return url.toString().replace(/\/+$/, '');
}

/** Every occurrence of the port number as a number of its own (`--port 8000`, `:8000`, `PORT=8000`) replaced. */
export function replacePort(text: string, from: number, to: number): string {
  return text.replace(new RegExp(`(?<![\\d.])${from}(?![\\d])`, 'g'), String(to));
}
