import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { SmokeConfig } from '../config/schema';
import { AppStartFailure, type Progress } from '../model';
import { bringUp } from '../startup';
import { createRuntime } from '../runtime';
import { healthProbe } from '../smoke/health';
import { isHealthy, waitForHealth } from '../smoke/runner';

/**
 * After fixes are written, the app must run the new code before smoke runs again: files under a
 * bind mount need a restart; other files (a dependency manifest the image copies) need a rebuild,
 * done only when `app.docker.rebuild` allows it and a Dockerfile exists. Returns what was done.
 */
export async function reloadApp(
  workspace: string,
  config: SmokeConfig,
  changed: string[],
  progress: Progress,
  signal?: AbortSignal,
): Promise<string> {
  const baseUrl = config.app.baseUrl;
  const health = {
    isHealthy: () => isHealthy(baseUrl, healthProbe(config.app)),
    waitHealthy: async (stop?: AbortSignal) => {
      await waitForHealth(baseUrl, healthProbe(config.app), config.app.healthTimeoutMs, stop ?? signal);
    },
  };
  const runtime = createRuntime(config, workspace, health);
  if (!runtime) return 'the app is not managed (no docker or process settings): it was not restarted';
  // A process app is started afresh by every run (and stopped after it): nothing to reload.
  if (runtime.kind === 'process') return `${runtime.describe()} starts afresh with the fix on the next run`;
  try {
    try {
      await runtime.ensureRunning(signal);
    } catch (err) {
      // An app that had not started is started again below, with the fix in place.
      if (!(err instanceof AppStartFailure)) throw err;
    }
    const mounts = await runtime.mounts().catch(() => []);
    const outside = changed.filter((f) => {
      const abs = path.join(workspace, f);
      return !mounts.some((m) => abs === m.source || abs.startsWith(m.source.endsWith(path.sep) ? m.source : m.source + path.sep));
    });
    let done: string;
    if (runtime.kind === 'docker' && outside.length > 0 && config.app.docker?.rebuild && runtime.rebuild && existsSync(path.join(workspace, 'Dockerfile'))) {
      progress.report(`Rebuilding the image (${outside.join(', ')} changed)`);
      await runtime.rebuild();
      done = `rebuilt the image (${outside.join(', ')} changed)`;
    } else {
      progress.report(`Restarting ${runtime.describe()}`);
      await runtime.restart();
      done =
        runtime.kind === 'docker' && outside.length > 0
          ? `restarted ${runtime.describe()}; ${outside.join(', ')} is not mounted into the container, so the change needs a rebuild (app.docker.rebuild)`
          : `restarted ${runtime.describe()}`;
    }
    try {
      await bringUp(runtime, health.waitHealthy, signal);
    } catch (err) {
      // The next smoke run reports it as the "app starts" failure, with its trace.
      if (err instanceof AppStartFailure) return `${done}, but it did not start: ${err.how}`;
      throw err;
    }
    return done;
  } finally {
    await runtime.dispose();
  }
}
