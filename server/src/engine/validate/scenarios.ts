import { loadConfig } from '../config';
import type { SmokeConfig, ValidationConfig } from '../config/schema';
import { isStartupFailure, type Progress, type SmokeReport, type Violation } from '../model';
import { collectScenariosDetailed } from '../smoke/collect';
import { healthProbe } from '../smoke/health';
import { runScenarios } from '../smoke/runner';
import { withEarlierSteps } from '../smoke/scenarios';
import { AppStartError, freeLoopbackPort, portOf, withPort, type SandboxApp, type SandboxAppTarget } from './app';
import { createDockerApp } from './dockerApp';
import { createProcessApp } from './processApp';
import type { Sandbox } from './sandbox';
import type { StepStatus } from '../contracts';

/**
 * The scenarios step: start the patched app from the sandbox on its own port, then run the
 * violation's scenario (with the earlier steps of its chain) and every scenario that passed before.
 * `fixed`: failed before, pass now. `regressed`: passed before, fail now.
 */

export interface ScenarioStepInput {
  workspace: string;
  config: SmokeConfig;
  validation: ValidationConfig;
  report: SmokeReport;
  violation: Violation;
  sandbox: Sandbox;
  signal?: AbortSignal;
  progress: Progress;
}

export interface ScenarioStepResult {
  status: StepStatus;
  output: string;
  /** Why it failed or was skipped, in one sentence. */
  summary?: string;
  /** Commands to run in the workspace once the fix is applied (dependencies installed for the sandbox only). */
  afterApply?: string[];
  fixed: string[];
  regressed: string[];
  /** The scenario still fails, but no longer for the violation's reason and nothing regressed: why that is progress. */
  progress?: string;
}

/** What the app said went wrong, as it would say it again: the trace's exception message (its first line). */
function ownError(violation: Violation): string | undefined {
  const message = violation.trace?.message?.split('\n')[0]?.trim();
  return message && message.length >= 6 ? message : undefined;
}

/**
 * Whether a fix that leaves its scenario failing still took away the violation's own failure (and
 * so is progress a loop can build on): a route that answered 404 or 405 now answers; a server error
 * is now an answer that is not one (and its message is gone from the app's output); an app that
 * could not start now fails to start for another reason. Nothing may have regressed. A fix that
 * turns one server error into another on the same request is not counted: it may be the same
 * failure in other words (an import of the wrong thing).
 */
export function progressOf(violation: Violation, now: { status: number; failure?: string }, output: string): string | undefined {
  const own = ownError(violation);
  const before = violation.actualStatus;
  if (now.status === 0) return undefined;
  if ((before === 404 || before === 405) && now.status !== 404 && now.status !== 405) {
    return `the route answers now (${before} → ${now.status}); the scenario fails for another reason: ${now.failure ?? `status ${now.status}`}`;
  }
  if (before >= 500 && now.status < 500 && (!own || !output.includes(own))) {
    return `its own error is gone (${before} → ${now.status}${own ? `, no more "${own}"` : ''}); the scenario fails for another reason: ${now.failure ?? `status ${now.status}`}`;
  }
  return undefined;
}

/** For an app that could not start: the patched app fails to start too, but no longer with the violation's error. */
export function startProgressOf(violation: Violation, startError: string): string | undefined {
  const own = ownError(violation);
  if (!isStartupFailure(violation) || !own || startError.includes(own)) return undefined;
  const now = startError.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? startError;
  return `the app still does not start, but no longer because of "${own}": now ${now.slice(0, 300)}`;
}

export async function runScenarioStep(input: ScenarioStepInput): Promise<ScenarioStepResult> {
  const { config, validation, report, violation } = input;
  const none = { fixed: [], regressed: [] };
  if (!validation.scenarios) return { status: 'skipped', output: '`validation.scenarios` is false', summary: '`validation.scenarios` is false', ...none };
  if (!config.app.docker && !config.app.process) {
    const why = 'the app runs neither in Docker (`app.docker`) nor as a configured process (`app.process`), so it cannot be started from the sandbox';
    return { status: 'skipped', output: why, summary: why, ...none };
  }
  const loaded = await loadConfig(input.workspace, report.configFile);
  if (!loaded.ok) return { status: 'skipped', output: `the configuration cannot be read: ${loaded.errors.map((e) => e.message).join('; ')}`, ...none };

  const originalPort = portOf(config.app.baseUrl);
  const port = validation.port ?? (await freeLoopbackPort());
  const baseUrl = withPort(config.app.baseUrl, port);
  const common: SandboxAppTarget = {
    baseUrl,
    health: healthProbe(config.app),
    healthTimeoutMs: config.app.healthTimeoutMs,
    originalPort,
    port,
    portEnv: validation.portEnv,
    signal: input.signal,
  };
  let app: SandboxApp;
  if (config.app.docker) {
    app = createDockerApp({
      ...common,
      config: config.app.docker,
      workspace: input.workspace,
      sandbox: input.sandbox,
      buildTimeoutMs: validation.buildTimeoutMs,
      onLine: (line) => input.progress.report(`Building the sandbox image: ${line}`),
    });
  } else {
    app = createProcessApp({ ...common, config: config.app.process!, view: await input.sandbox.view(), workspace: input.workspace, sandbox: input.sandbox });
  }

  const lines: string[] = [];
  try {
    input.progress.report(`Starting the patched app on ${baseUrl}`);
    try {
      await app.start();
    } catch (err) {
      input.signal?.throwIfAborted();
      if (err instanceof AppStartError) {
        const summary = `${err.blame === 'patch' ? 'the patched app did not start' : 'the app could not be started from the sandbox'}: ${err.message.split('\n')[0]}`;
        const progress = err.blame === 'patch' ? startProgressOf(violation, `${err.message}\n${await app.outputTail().catch(() => '')}`) : undefined;
        if (progress) return { status: 'passed', output: `${app.describe()}: ${err.message}\nprogress: ${progress}`, summary: progress, progress, ...none };
        return { status: err.blame === 'patch' ? 'failed' : 'skipped', output: `${app.describe()}: ${err.message}`, summary, ...none };
      }
      throw err;
    }
    lines.push(`${app.describe()} answers at ${baseUrl}`);

    const collected = await collectScenariosDetailed(config, { workspace: input.workspace, configFile: report.configFile, loaded, baseUrl, signal: input.signal });
    const before = new Map(report.scenarios.map((r) => [r.scenarioId, r]));
    if (isStartupFailure(violation)) {
      // The app starts now; the scenarios ran before on no app at all, so none can regress. They run
      // all the same, so the output shows what the next smoke run will find.
      const results = await runScenarios(baseUrl, collected.scenarios, {
        concurrency: config.smoke.concurrency,
        timeoutMs: config.smoke.timeoutMs,
        retries: config.smoke.retries,
        decoration: collected.decoration,
        signal: input.signal,
      });
      const passed = results.filter((r) => r.ok).length;
      lines.push(`the app starts; ${passed}/${results.length} scenarios pass against it`);
      for (const r of results) if (!r.ok) lines.push(`FAIL ${r.scenarioId} ${r.method} ${r.resolvedPath} → ${r.status || r.errorCode || 'no answer'}: ${r.failures.join('; ')}`);
      const afterApply = app.afterApply?.() ?? [];
      return { status: 'passed', output: lines.join('\n'), ...(afterApply.length ? { afterApply } : {}), fixed: [violation.scenarioId], regressed: [] };
    }
    if (!collected.scenarios.some((s) => s.id === violation.scenarioId)) {
      return { status: 'skipped', output: `${lines.join('\n')}\nthe scenario ${violation.scenarioId} is no longer in the configuration`, ...none };
    }
    // Every scenario of the run: the violation's, those that passed (to catch regressions), and the
    // other failing ones, so a fix that also repairs them is seen (`fixed`) and they are not planned again.
    const wanted = new Set([violation.scenarioId, ...report.scenarios.map((r) => r.scenarioId)]);
    const selected = withEarlierSteps(collected.scenarios, wanted);
    input.progress.report(`Running ${selected.length} scenarios against the patched app`);
    const results = await runScenarios(baseUrl, selected, {
      concurrency: config.smoke.concurrency,
      timeoutMs: config.smoke.timeoutMs,
      retries: config.smoke.retries,
      decoration: collected.decoration,
      signal: input.signal,
    });
    const fixed: string[] = [];
    const regressed: string[] = [];
    for (const r of results) {
      const was = before.get(r.scenarioId);
      if (r.ok && was && !was.ok && !was.skipped) fixed.push(r.scenarioId);
      if (!r.ok && was?.ok) regressed.push(r.scenarioId);
      const mark = r.ok ? 'pass' : 'FAIL';
      const change = fixed.at(-1) === r.scenarioId ? ' (fixed)' : regressed.at(-1) === r.scenarioId ? ' (regressed)' : '';
      lines.push(`${mark} ${r.scenarioId} ${r.method} ${r.resolvedPath} → ${r.status || r.errorCode || 'no answer'}${change}${r.ok ? '' : `: ${r.failures.join('; ')}`}`);
    }
    const target = results.find((r) => r.scenarioId === violation.scenarioId);
    let ok = Boolean(target?.ok) && regressed.length === 0;
    if (!target?.ok) lines.push(`the violation's scenario ${violation.scenarioId} still fails`);
    if (regressed.length) lines.push(`regressed: ${regressed.join(', ')}`);
    let progress: string | undefined;
    if (!ok) {
      const tail = await app.outputTail();
      if (target && !target.ok && regressed.length === 0) progress = progressOf(violation, { status: target.status, failure: target.failures[0] }, tail);
      if (progress) {
        ok = true;
        lines.push(`progress: ${progress}`);
      }
      if (tail) lines.push('--- the patched app\'s last output ---', tail);
    }
    const summary = progress ?? (ok
      ? undefined
      : [!target?.ok ? `the violation's scenario ${violation.scenarioId} still fails${target ? ` (${target.status || target.errorCode || 'no answer'}: ${target.failures[0] ?? ''})` : ''}` : '', regressed.length ? `regressed: ${regressed.join(', ')}` : '']
          .filter(Boolean)
          .join('; '));
    const afterApply = app.afterApply?.() ?? [];
    return { status: ok ? 'passed' : 'failed', output: lines.join('\n'), ...(summary ? { summary } : {}), ...(afterApply.length ? { afterApply } : {}), ...(progress ? { progress } : {}), fixed: fixed.sort(), regressed: regressed.sort() };
  } finally {
    await app.dispose();
  }
}
