import * as path from 'node:path';
import { classify } from './classify';
import { loadConfig } from './config';
import type { SmokeConfig } from './config/schema';
import {
  ConfigError,
  LocatedError,
  silentProgress,
  type Progress,
  type Scenario,
  type ScenarioResult,
  type SmokeReport,
  type Trace,
  type Violation,
} from './model';
import { findHandler, scanWorkspaceRoutes, type RouteDeclaration } from './routes';
import { createRuntime, type Runtime } from './runtime';
import { collectScenariosDetailed } from './smoke/collect';
import { runScenarios, waitForHealth, isHealthy } from './smoke/runner';
import { assignTraces, type TimedTrace } from './traces/assign';
import { createPathMapper, listWorkspaceFiles, mapTrace } from './traces/pathmap';
import { extractTracesFromLines } from './traces';
import { describeViolation, innermostWorkspaceFrame } from './violations';

export interface RunSmokeOptions {
  /** Absolute path of the workspace folder (where smoke-repair.yaml is). */
  workspace: string;
  /** The configuration file, relative to the workspace or absolute. Default: smoke-repair.yaml. */
  configFile?: string;
  progress?: Progress;
  signal?: AbortSignal;
  /** Run only these scenario ids (their chains' earlier steps still run). */
  only?: string[];
}

/** How long after a response its server-side trace may still be logged. */
const LOG_SLACK_MS = 250;
/** Longest log excerpt kept per violation. */
const LOG_EXCERPT_CHARS = 8 * 1024;

/**
 * One smoke run: check the app is up, run every scenario, and turn each failure into a violation
 * with its server-side trace (pinned to its request), mapped frames, a classification and a place
 * in the workspace. Throws ConfigError for a bad configuration and EnvironmentError when Docker or
 * the app cannot be reached; never leaves a process it started running.
 */
export async function runSmoke(opts: RunSmokeOptions): Promise<SmokeReport> {
  const workspace = path.resolve(opts.workspace);
  const progress = opts.progress ?? silentProgress;
  const started = Date.now();

  progress.report('Reading smoke-repair.yaml', 0);
  const loaded = await loadConfig(workspace, opts.configFile);
  if (!loaded.ok) throw new ConfigError(loaded.file, loaded.errors);
  const { config } = loaded;
  const configFile = path.relative(workspace, loaded.file).split(path.sep).join('/');
  const baseUrl = config.app.baseUrl;

  const health = {
    isHealthy: () => isHealthy(baseUrl, config.app.health),
    waitHealthy: async () => {
      await waitForHealth(baseUrl, config.app.health, config.app.healthTimeoutMs, opts.signal);
    },
  };
  const runtime = createRuntime(config, workspace, health);
  try {
    progress.report(`Checking ${runtime ? runtime.describe() : baseUrl}`, 0.02);
    await runtime?.ensureRunning();
    await health.waitHealthy();

    progress.report('Collecting scenarios', 0.05);
    const collected = await collectScenariosDetailed(config, { workspace, configFile, loaded, baseUrl, signal: opts.signal });
    let scenarios = collected.scenarios;
    if (scenarios.length === 0) {
      throw new ConfigError(loaded.file, [
        new LocatedError('there are no scenarios to run', loaded.file, 1, 1, 'Add `scenarios:` or an `openapi:` location to derive them from.'),
      ]);
    }
    if (opts.only?.length) scenarios = withPrerequisites(scenarios, new Set(opts.only));

    let done = 0;
    const results = await runScenarios(baseUrl, scenarios, {
      concurrency: config.smoke.concurrency,
      timeoutMs: config.smoke.timeoutMs,
      retries: config.smoke.retries,
      signal: opts.signal,
      onResult: (r) => {
        done++;
        progress.report(`${done}/${scenarios.length} ${r.method} ${r.path} → ${r.status || r.errorCode || 'no answer'}`, 0.1 + 0.7 * (done / scenarios.length));
      },
    });

    const failing = results.filter((r) => !r.ok && !r.skipped);
    const violations = failing.length
      ? await explainFailures({ workspace, config, configFile, runtime, baseUrl, scenarios, results, failing, progress, signal: opts.signal })
      : [];

    const passed = results.filter((r) => r.ok).length;
    progress.report(`${passed}/${results.length} passed`, 1);
    return {
      workspace,
      configFile,
      baseUrl,
      runtime: runtime?.describe() ?? 'external',
      startedAt: started,
      durationMs: Date.now() - started,
      passRate: results.length ? passed / results.length : 0,
      passed,
      total: results.length,
      scenarios: results,
      violations,
      unsatisfied: collected.unsatisfied.map(({ method, path: p, reason }) => ({ method, path: p, reason })),
    };
  } finally {
    await runtime?.dispose();
  }
}

/** Keep the wanted scenarios and the earlier steps of their chains (they make the ids the wanted ones use). */
function withPrerequisites(scenarios: Scenario[], wanted: Set<string>): Scenario[] {
  const lastStep = new Map<string, number>();
  for (const s of scenarios) if (wanted.has(s.id) && s.chain) lastStep.set(s.chain, Math.max(lastStep.get(s.chain) ?? -1, s.order));
  return scenarios.filter((s) => wanted.has(s.id) || (s.chain !== undefined && s.order <= (lastStep.get(s.chain) ?? -1)));
}

interface ExplainInput {
  workspace: string;
  config: SmokeConfig;
  configFile: string;
  runtime: Runtime | undefined;
  baseUrl: string;
  scenarios: Scenario[];
  results: ScenarioResult[];
  failing: ScenarioResult[];
  progress: Progress;
  signal?: AbortSignal;
}

async function explainFailures(input: ExplainInput): Promise<Violation[]> {
  const { workspace, config, runtime, results, failing, progress } = input;
  progress.report(`Reading server logs for ${failing.length} failure${failing.length === 1 ? '' : 's'}`, 0.82);

  const traces = new Map<string, Trace>();
  const excerpts = new Map<string, string>();
  const pinned = new Set<string>();
  if (runtime) {
    const from = Math.min(...results.map((r) => r.startedAt)) - 50;
    const to = Math.max(...results.map((r) => r.endedAt)) + LOG_SLACK_MS;
    await settle(to);
    const lines = await runtime.logs(from, to);
    const timed: TimedTrace[] = extractTracesFromLines(lines);
    const { assigned, ambiguous } = assignTraces(failing, timed, LOG_SLACK_MS, lines);
    for (const [id, trace] of assigned) traces.set(id, trace);
    for (const r of failing) excerpts.set(r.scenarioId, excerpt(lines, r.startedAt - 50, r.endedAt + LOG_SLACK_MS));

    if (ambiguous.length && config.smoke.pinTraces) {
      const pinning = ambiguous.slice(0, config.smoke.pinLimit);
      const left = ambiguous.length - pinning.length;
      progress.report(
        `Re-running ${pinning.length} failing scenario${pinning.length === 1 ? '' : 's'} one at a time to pin traces` +
          (left ? ` (${left} more left unpinned: smoke.pinLimit is ${config.smoke.pinLimit})` : ''),
        0.86,
      );
      for (const [i, r] of pinning.entries()) {
        input.signal?.throwIfAborted();
        progress.report(`Pinning ${i + 1}/${pinning.length}: ${r.method} ${r.path}`, 0.86 + 0.05 * (i / pinning.length));
        const again = await rerunAlone(input, r);
        if (!again) continue;
        await settle(again.endedAt + LOG_SLACK_MS);
        const own = await runtime.logs(again.startedAt - 50, again.endedAt + LOG_SLACK_MS);
        const found = extractTracesFromLines(own);
        excerpts.set(r.scenarioId, excerpt(own, again.startedAt - 50, again.endedAt + LOG_SLACK_MS));
        if (found.length) {
          traces.set(r.scenarioId, found[found.length - 1].trace);
          pinned.add(r.scenarioId);
        }
      }
    }
  }

  progress.report('Mapping stack frames to workspace files', 0.92);
  const files = await listWorkspaceFiles(workspace);
  const mapper = createPathMapper({ workspace, mounts: runtime ? await runtime.mounts() : [], pathMap: config.app.pathMap, files });
  let routes: RouteDeclaration[] | undefined;
  const scenarioById = new Map(input.scenarios.map((s) => [s.id, s]));

  const violations: Violation[] = [];
  for (const r of failing) {
    const raw = traces.get(r.scenarioId);
    const trace = raw ? mapTrace(raw, mapper) : undefined;
    const logText = excerpts.get(r.scenarioId) ?? '';
    const c = classify({
      status: r.status,
      expectedStatus: r.expectedStatus,
      errorCode: r.errorCode,
      trace,
      // The window's log may hold other requests' lines; a trace pinned to this request says enough.
      logText: trace ? undefined : logText,
      bodyExcerpt: r.bodyExcerpt,
      failures: r.failures,
    });
    const scenario = scenarioById.get(r.scenarioId);
    let location: Violation['location'];
    let locationKind: Violation['locationKind'] = 'none';
    const frame = trace && innermostWorkspaceFrame(trace);
    if (frame) {
      location = { file: frame.file, line: frame.line, column: frame.column };
      locationKind = 'frame';
    } else {
      routes ??= await scanWorkspaceRoutes(workspace, files);
      const handler = scenario?.handler ?? findHandler(routes, r.method, r.path)?.location;
      if (handler) {
        location = handler;
        locationKind = 'handler';
      } else if (scenario?.source.kind === 'file') {
        location = { file: scenario.source.file, line: scenario.source.line };
        locationKind = 'scenario';
      } else if (scenario?.source.kind === 'openapi' && scenario.source.file && scenario.source.line) {
        location = { file: scenario.source.file, line: scenario.source.line };
        locationKind = 'scenario';
      }
    }
    violations.push({
      id: `${r.scenarioId}:${r.status || r.errorCode || 'none'}`,
      scenarioId: r.scenarioId,
      scenario: r.name,
      method: r.method,
      path: r.path,
      expectedStatus: r.expectedStatus,
      actualStatus: r.status,
      failureType: c.failureType,
      strategy: c.strategy,
      retryable: c.retryable,
      signals: c.signals,
      message: describeViolation(r, trace),
      trace,
      location,
      locationKind,
      logExcerpt: logText,
      pinned: pinned.has(r.scenarioId),
      request: { method: r.method, path: r.resolvedPath, body: r.requestBody },
      response: { status: r.status, bodyExcerpt: r.bodyExcerpt },
      window: { startedAt: r.startedAt, endedAt: r.endedAt },
    });
  }
  return violations;
}

/** Re-run one failing scenario by itself, with the concrete path and body it had the first time. */
async function rerunAlone(input: ExplainInput, r: ScenarioResult): Promise<ScenarioResult | undefined> {
  const original = input.scenarios.find((s) => s.id === r.scenarioId);
  if (!original) return undefined;
  const concrete: Scenario = {
    ...original,
    chain: undefined,
    order: 0,
    save: undefined,
    request: { ...original.request, path: r.resolvedPath, body: r.requestBody ?? original.request.body },
  };
  const [again] = await runScenarios(input.baseUrl, [concrete], {
    concurrency: 1,
    timeoutMs: input.config.smoke.timeoutMs,
    retries: 0,
    signal: input.signal,
  });
  return again;
}

/** Wait until the wall clock is past `until`, so that the log lines of that moment have been written. */
async function settle(until: number): Promise<void> {
  const wait = until - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5000)));
}

function excerpt(lines: Array<{ time: number; text: string }>, from: number, to: number): string {
  let out = '';
  for (const l of lines) {
    if (l.time < from || l.time > to) continue;
    out += l.text + '\n';
    if (out.length > LOG_EXCERPT_CHARS) return out.slice(0, LOG_EXCERPT_CHARS) + '\n…';
  }
  return out;
}
