import type { SmokeConfig } from '../config/schema';
import { DockerRuntime } from './docker';
import { ProcessRuntime } from './process';
import type { Runtime } from './types';

export type { Mount, Runtime } from './types';
export { DockerRuntime, defaultComposeProject } from './docker';
export { ProcessRuntime } from './process';

/**
 * The runtime the configuration names, or undefined when the app is neither in Docker nor a process
 * this tool knows of (then requests still run, but no server logs can be read).
 */
export function createRuntime(
  config: SmokeConfig,
  workspace: string,
  health: { isHealthy: () => Promise<boolean>; waitHealthy: (signal?: AbortSignal) => Promise<void> },
): Runtime | undefined {
  if (config.app.docker) return new DockerRuntime(config.app.docker, workspace);
  if (config.app.process) return new ProcessRuntime(config.app.process, workspace, health.isHealthy, health.waitHealthy);
  return undefined;
}
