import * as path from 'node:path';
import type { ProcessRuntimeConfig } from '../config/schema';
import { ProcessRuntime } from '../runtime';
import { isHealthy, waitForHealth } from '../smoke/health';
import { AppStartError, replacePort, type SandboxApp, type SandboxAppTarget } from './app';
import { sandboxNodeOptions } from './commands';

/**
 * The app as a local process started in the sandbox view: the configured command with the
 * original port number replaced, the port variable set, Node told to keep the view's links.
 */
export function createProcessApp(input: SandboxAppTarget & { config: ProcessRuntimeConfig; view: string }): SandboxApp {
  const command = replacePort(input.config.command, input.originalPort, input.port);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.config.env)) env[k] = replacePort(v, input.originalPort, input.port);
  env[input.portEnv] = String(input.port);
  env.NODE_OPTIONS = sandboxNodeOptions(env.NODE_OPTIONS ?? process.env.NODE_OPTIONS);
  const runtime = new ProcessRuntime(
    { ...input.config, command, env, start: true },
    input.view,
    () => isHealthy(input.baseUrl, input.health),
    async (stop) => {
      await waitForHealth(input.baseUrl, input.health, input.healthTimeoutMs, stop ?? input.signal);
    },
  );
  return {
    describe: () => `process \`${command}\` in ${path.join(input.view, input.config.cwd)}`,
    start: async () => {
      try {
        await runtime.ensureRunning();
      } catch (err) {
        throw new AppStartError(`the patched app did not start: ${(err as Error).message}`, 'patch');
      }
    },
    outputTail: async () => runtime.output().split('\n').slice(-40).join('\n'),
    dispose: () => runtime.dispose(),
  };
}
