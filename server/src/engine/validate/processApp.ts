import * as path from 'node:path';
import type { ProcessRuntimeConfig } from '../config/schema';
import { ProcessRuntime } from '../runtime';
import { isHealthy, waitForHealth } from '../smoke/health';
import { AppStartError, replacePort, type SandboxApp, type SandboxAppTarget } from './app';
import type { Sandbox } from './sandbox';
import { addedDependencies, changeOf, installForSandbox, SandboxInstallError } from './sandboxDeps';

/** `text` with every occurrence of the workspace folder (as a whole path prefix) replaced by `view`. */
export function replaceWorkspacePath(text: string, workspace: string, view: string): string {
  const ws = path.resolve(workspace);
  const re = new RegExp(`${ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[/\\\s"':;,)])`, 'g');
  return text.replace(re, view);
}

/**
 * The app as a local process started in the sandbox view: the configured command with the
 * original port number replaced and the workspace's own path (in the command and the environment,
 * e.g. a database file given by absolute path) replaced by the view's, the port variable set.
 */
export function createProcessApp(input: SandboxAppTarget & { config: ProcessRuntimeConfig; view: string; workspace: string; sandbox?: Sandbox }): SandboxApp {
  const inView = (text: string) => replaceWorkspacePath(replacePort(text, input.originalPort, input.port), input.workspace, input.view);
  const command = inView(input.config.command);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.config.env)) env[k] = inView(v);
  env[input.portEnv] = String(input.port);
  const runtime = new ProcessRuntime(
    { ...input.config, command, env, start: true },
    input.view,
    () => isHealthy(input.baseUrl, input.health),
    async (stop) => {
      await waitForHealth(input.baseUrl, input.health, input.healthTimeoutMs, stop ?? input.signal);
    },
  );
  let afterApply: string[] = [];
  return {
    describe: () => `process \`${command}\` in ${path.join(input.view, input.config.cwd)}`,
    afterApply: () => afterApply,
    start: async () => {
      // What the patch adds to a manifest is installed for the sandbox alone, never into the
      // user's environment; the app then finds it first.
      const sandbox = input.sandbox;
      if (sandbox) {
        const changes = await Promise.all(sandbox.changed.map((f) => changeOf(input.workspace, sandbox.pathOf(f), f)));
        const added = addedDependencies(changes);
        if (added.python.length || added.npm.length) {
          try {
            const installed = await installForSandbox({ added, root: sandbox.root, view: input.view, workspace: input.workspace, command: input.config.command, cwd: path.join(input.workspace, input.config.cwd), signal: input.signal });
            Object.assign(env, installed.env);
            afterApply = installed.afterApply;
          } catch (err) {
            if (err instanceof SandboxInstallError) throw new AppStartError(err.message, 'patch');
            throw err;
          }
        }
      }
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
