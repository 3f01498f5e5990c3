import * as path from 'node:path';
import { classify } from './classify';
import { loadConfig } from './config';
import type { SmokeConfig } from './config/schema';
import {
  AppStartFailure,
  ConfigError,
  LocatedError,
  silentProgress,
  type LogLine,
  type Progress,
  type Scenario,
  type ScenarioResult,
  type SmokeReport,
  type Trace,
  type TraceSource,
  type Violation,
} from './model';
import { findHandler, scanWorkspaceRoutes, type RouteDeclaration } from './routes';
import { createRuntime, type Runtime } from './runtime';
import { createLogSource } from './logs';
import { collectScenariosDetailed } from './smoke/collect';
import { withEarlierSteps } from './smoke/scenarios';
import { redactorFor, type RequestDecoration } from './smoke/decorate';
import type { Redactor } from './redact';
import { describeProbe, healthProbe } from './smoke/health';
import { chainKey, runScenario, runScenarios, waitForHealth, isHealthy } from './smoke/runner';
import { bringUp, readWorkspaceFile, startupEvidence } from './startup';
import { assignTraces, ownTrace, type TimedTrace } from './traces/assign';
import { createPathMapper, listWorkspaceFiles, mapTrace, type PathMapper } from './traces/pathmap';
import { extractTracesFromLines } from './traces';
import { describeViolation, importerLocation, innermostWorkspaceFrame } from './violations';

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
  // Evidence enters here: what the app prints and answers passes through it before anything keeps it.
  const redactor = redactorFor(config);

  const probe = healthProbe(config.app);
  const health = {
    isHealthy: () => isHealthy(baseUrl, probe),
    waitHealthy: async (signal?: AbortSignal) => {
      await waitForHealth(baseUrl, probe, config.app.healthTimeoutMs, signal ?? opts.signal);
    },
  };
  const runtime = createRuntime(config, workspace, health);
  // `app.logs` (a file or a command) is where traces are read when it is set; the runtime still
  // starts the app and knows its mounts.
  const logSource = config.app.logs ? createLogSource(config.app.logs, workspace) : undefined;
  const warnings: string[] = [];
  const noteProblem = () => {
    const problem = logSource?.problem();
    // A log command that stopped is quoted with its last output lines: redacted like the log.
    const message = problem && redactor.text(problem.message);
    if (problem && message && !warnings.some((w) => w.startsWith(message))) warnings.push(`${message} ${redactor.text(problem.remedy)}`);
  };
  try {
    const following = logSource?.start();
    progress.report(`Checking ${runtime ? runtime.describe() : redactor.text(baseUrl)} (${describeProbe(probe)})`, 0.02);
    try {
      await bringUp(runtime, health.waitHealthy, opts.signal);
    } catch (err) {
      if (!(err instanceof AppStartFailure) || !runtime) throw err;
      progress.report(`The app did not start: ${err.how}`, 0.5);
      const mapper = await workspaceMapper(workspace, runtime, config);
      const output = redactLines(redactor, err.lines);
      const failure = new AppStartFailure(redactor.text(err.message), err.remedy, output, err.how, err.window);
      const { result, violation } = startupEvidence(failure, mapper, runtime, workspace);
      progress.report('0/1 passed: the app did not start, so no scenario ran', 1);
      return {
        workspace,
        configFile,
        baseUrl: redactor.text(baseUrl),
        runtime: runtime.describe(),
        startedAt: started,
        durationMs: Date.now() - started,
        passRate: 0,
        passed: 0,
        total: 1,
        scenarios: [result],
        violations: [violation],
        unsatisfied: [],
      };
    }

    await following;
    noteProblem();
    const foreign = await runtime?.foreignCode().catch(() => undefined);
    if (foreign) {
      warnings.push(`${foreign}. Fixes are not applied: the app would not see them. Start the app from this workspace (e.g. \`docker compose up -d\` here, with another compose project name).`);
      progress.report(`Warning: ${foreign}`, 0.04);
    }

    progress.report('Collecting scenarios', 0.05);
    const collected = await collectScenariosDetailed(config, { workspace, configFile, loaded, baseUrl, signal: opts.signal });
    let scenarios = collected.scenarios;
    if (scenarios.length === 0) {
      throw new ConfigError(loaded.file, [
        new LocatedError('there are no scenarios to run', loaded.file, 1, 1, 'Add `scenarios:` or an `openapi:` location to derive them from.'),
      ]);
    }
    if (opts.only?.length) scenarios = withEarlierSteps(scenarios, new Set(opts.only));

    let done = 0;
    const results = await runScenarios(baseUrl, scenarios, {
      concurrency: config.smoke.concurrency,
      timeoutMs: config.smoke.timeoutMs,
      retries: config.smoke.retries,
      decoration: collected.decoration,
      signal: opts.signal,
      onResult: (r) => {
        done++;
        progress.report(`${done}/${scenarios.length} ${r.method} ${r.path} → ${r.status || r.errorCode || 'no answer'}`, 0.1 + 0.7 * (done / scenarios.length));
      },
    });

    const failing = results.filter((r) => !r.ok && !r.skipped);
    const violations = failing.length
      ? await explainFailures({
          workspace,
          config,
          configFile,
          runtime,
          logs: logSource ?? runtime,
          traceSource: logSource ? logSource.kind : runtime?.kind === 'docker' ? 'container' : 'process',
          baseUrl,
          scenarios,
          results,
          failing,
          decoration: collected.decoration,
          progress,
          signal: opts.signal,
        })
      : [];

    const passed = results.filter((r) => r.ok).length;
    progress.report(`${passed}/${results.length} passed`, 1);
    return {
      workspace,
      configFile,
      baseUrl: redactor.text(baseUrl),
      runtime: runtime?.describe() ?? 'external',
      startedAt: started,
      durationMs: Date.now() - started,
      passRate: results.length ? passed / results.length : 0,
      passed,
      total: results.length,
      scenarios: results,
      violations,
      unsatisfied: collected.unsatisfied.map(({ method, path: p, reason }) => ({ method, path: p, reason })),
      ...(noteProblem(), warnings.length ? { warnings } : {}),
      ...(foreign ? { foreignApp: foreign } : {}),
    };
  } finally {
    await logSource?.dispose();
    await runtime?.dispose();
  }
}

interface ExplainInput {
  workspace: string;
  config: SmokeConfig;
  configFile: string;
  runtime: Runtime | undefined;
  /** Where the app's log is read: `app.logs` when set, else the runtime. */
  logs: Pick<Runtime, 'logs'> | undefined;
  traceSource: TraceSource;
  baseUrl: string;
  scenarios: Scenario[];
  results: ScenarioResult[];
  failing: ScenarioResult[];
  decoration: RequestDecoration;
  progress: Progress;
  signal?: AbortSignal;
}

async function explainFailures(input: ExplainInput): Promise<Violation[]> {
  const { workspace, config, runtime, results, failing, progress } = input;
  const source = input.logs;
  // The log is redacted as it is read: no trace, excerpt or report holds a secret it printed.
  const readLogs = async (since: number, until: number) => redactLines(input.decoration.redactor, await source!.logs(since, until));
  progress.report(`Reading server logs for ${failing.length} failure${failing.length === 1 ? '' : 's'}`, 0.82);

  const traces = new Map<string, Trace>();
  const excerpts = new Map<string, string>();
  const attribution = new Map<string, { how: NonNullable<Violation['attribution']>; note?: string }>();
  const fromBody = new Set<string>();
  const useBody = (r: ScenarioResult, note: string) => {
    traces.set(r.scenarioId, r.bodyTrace!);
    fromBody.add(r.scenarioId);
    attribution.set(r.scenarioId, { how: 'body', note });
  };
  if (source) {
    const sent = results.filter((r) => r.attempts > 0 && !r.skipped);
    const from = Math.min(...sent.map((r) => r.startedAt), Date.now()) - 50;
    const to = Math.max(...sent.map((r) => r.endedAt), 0) + LOG_SLACK_MS;
    await settle(to);
    const lines = await readLogs(from, Math.max(to, Date.now()));
    const timed: TimedTrace[] = extractTracesFromLines(lines);
    const decided = assignTraces(failing, timed, sent);
    const ambiguous: ScenarioResult[] = [];
    for (const r of failing) {
      const a = decided.get(r.scenarioId);
      excerpts.set(r.scenarioId, excerpt(lines, r.startedAt - 50, r.endedAt + LOG_SLACK_MS));
      if (a?.how === 'window') {
        traces.set(r.scenarioId, a.trace);
        attribution.set(r.scenarioId, { how: 'window', note: 'logged while no other request was in flight' });
      } else if (a?.how === 'ambiguous' && r.bodyTrace?.frames.length) useBody(r, 'the response body carried the stack of this request');
      else if (a?.how === 'ambiguous') ambiguous.push(r);
      else if (r.bodyTrace) useBody(r, 'no trace was logged; the response body carried it');
      else attribution.set(r.scenarioId, { how: 'none' });
    }

    // Server errors first: their traces matter most when the limit leaves some unpinned.
    ambiguous.sort((a, b) => Number(b.status >= 500 || b.status === 0) - Number(a.status >= 500 || a.status === 0));
    const pinning = config.smoke.pinTraces ? ambiguous.slice(0, config.smoke.pinLimit) : [];
    for (const r of ambiguous.slice(pinning.length)) {
      if (r.bodyTrace) {
        useBody(r, 'the response body carried it (not re-run: smoke.pinLimit or smoke.pinTraces)');
        continue;
      }
      attribution.set(r.scenarioId, {
        how: 'unpinned',
        note: config.smoke.pinTraces
          ? `other requests ran at the same time and smoke.pinLimit (${config.smoke.pinLimit}) failures were already re-run alone`
          : 'other requests ran at the same time and smoke.pinTraces is off',
      });
    }
    if (pinning.length) {
      const left = ambiguous.length - pinning.length;
      progress.report(
        `Re-running ${pinning.length} failing scenario${pinning.length === 1 ? '' : 's'} one at a time to pin traces` +
          (left ? ` (${left} more left unpinned: smoke.pinLimit is ${config.smoke.pinLimit})` : ''),
        0.86,
      );
    }
    let pinned = 0;
    await replayAlone(input, pinning, readLogs, (r, again, own) => {
      progress.report(`Pinning ${++pinned}/${pinning.length}: ${r.method} ${r.path}`, 0.86 + 0.05 * (pinned / pinning.length));
      if (!again) {
        if (r.bodyTrace) useBody(r, 'the response body carried it (the scenario could not be run again alone)');
        else attribution.set(r.scenarioId, { how: 'unpinned', note: 'the scenario could not be run again alone' });
        return;
      }
      if (again.status !== r.status) {
        if (r.bodyTrace) {
          useBody(r, 'the response body carried it (run again alone, the scenario answered differently)');
          return;
        }
        attribution.set(r.scenarioId, {
          how: 'unpinned',
          note: `run again alone it answered ${again.status || again.errorCode || 'nothing'} instead of ${r.status || r.errorCode || 'nothing'}, so its trace cannot be told apart`,
        });
        return;
      }
      const found = ownTrace(extractTracesFromLines(own).map((t) => t.trace));
      excerpts.set(r.scenarioId, excerpt(own, again.startedAt - 50, again.endedAt + LOG_SLACK_MS));
      if (found) {
        traces.set(r.scenarioId, found);
        attribution.set(r.scenarioId, { how: 'rerun', note: 'run again alone (with the earlier steps of its chain), it failed the same way and logged this trace' });
      } else if (r.bodyTrace) useBody(r, 'run again alone, it logged no trace; the response body carried it');
      else attribution.set(r.scenarioId, { how: 'none', note: 'run again alone, it failed the same way and logged no trace' });
    });
  }

  // No log to read at all: a body that carries the stack is still this request's own.
  for (const r of failing) if (!source && r.bodyTrace) useBody(r, 'the response body carried the stack; no server log is read');

  progress.report('Mapping stack frames to workspace files', 0.92);
  const files = await listWorkspaceFiles(workspace);
  const mapper = await workspaceMapper(workspace, runtime, config, files);
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
    const importer = !frame && trace ? importerLocation(trace, mapper, (f) => readWorkspaceFile(workspace, f)) : undefined;
    if (frame) {
      location = { file: frame.file, line: frame.line, column: frame.column };
      locationKind = 'frame';
    } else if (importer) {
      location = importer;
      locationKind = 'importer';
    } else {
      routes ??= await scanWorkspaceRoutes(workspace, files, config);
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
      pinned: Boolean(trace),
      attribution: attribution.get(r.scenarioId)?.how ?? 'none',
      ...(trace ? { traceSource: fromBody.has(r.scenarioId) ? ('body' as const) : input.traceSource } : {}),
      ...(attribution.get(r.scenarioId)?.note ? { attributionNote: attribution.get(r.scenarioId)!.note } : {}),
      request: { method: r.method, path: r.resolvedPath, body: r.requestBody },
      response: { status: r.status, bodyExcerpt: r.bodyExcerpt },
      window: { startedAt: r.startedAt, endedAt: r.endedAt },
    });
  }
  return violations;
}

/** Maps paths as the app sees them to workspace files: its mounts, then `app.pathMap`, then the longest suffix. */
async function workspaceMapper(workspace: string, runtime: Runtime | undefined, config: SmokeConfig, files?: string[]): Promise<PathMapper> {
  const mounts = runtime ? await runtime.mounts().catch(() => []) : [];
  return createPathMapper({ workspace, mounts, pathMap: config.app.pathMap, files: files ?? (await listWorkspaceFiles(workspace)) });
}

/**
 * Run failing scenarios again with nothing else in flight, to see which trace each one logs. A
 * step of a chain runs after the earlier steps of its chain, again, one at a time: they make fresh
 * records for it, so a step that changed the state the first time (paid an order, deleted a row)
 * meets the same state again. Each step's log is read once it has gone quiet, before the next one
 * starts, so no trace can land on a neighbour. `onStep` gets each wanted failure with its new result
 * (undefined when it could not run) and the log lines of its window.
 */
async function replayAlone(
  input: ExplainInput,
  wanted: readonly ScenarioResult[],
  readLogs: (since: number, until: number) => Promise<LogLine[]>,
  onStep: (r: ScenarioResult, again: ScenarioResult | undefined, lines: LogLine[]) => void,
): Promise<void> {
  const byId = new Map(input.scenarios.map((s) => [s.id, s]));
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of wanted) {
    const s = byId.get(r.scenarioId);
    if (!s) {
      onStep(r, undefined, []);
      continue;
    }
    const key = chainKey(s);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, failures] of groups) {
    const want = new Map(failures.map((r) => [r.scenarioId, r]));
    const steps = withEarlierSteps(input.scenarios, new Set(want.keys()))
      .filter((s) => chainKey(s) === key)
      .sort((a, b) => a.order - b.order);
    let vars = {};
    for (const step of steps) {
      input.signal?.throwIfAborted();
      const ran = await runScenario(input.baseUrl, step, { timeoutMs: input.config.smoke.timeoutMs, retries: 0, decoration: input.decoration, vars, signal: input.signal });
      vars = ran.vars;
      const again = ran.result;
      const r = want.get(step.id);
      if (again.skipped || again.attempts === 0) {
        if (r) onStep(r, undefined, []);
        continue;
      }
      const lines = await quietLogs(readLogs, again.startedAt - 50, again.endedAt, r !== undefined && !again.ok);
      if (r) onStep(r, again, lines);
    }
  }
}

/**
 * The log of a request that ran alone, read as soon as it is complete: once no line has come for a
 * moment (and, when a trace is expected, one is there), or at the latest LOG_SLACK_MS after the answer.
 */
async function quietLogs(logs: (since: number, until: number) => Promise<LogLine[]>, from: number, answeredAt: number, expectTrace = true): Promise<LogLine[]> {
  const QUIET_MS = 60;
  const latest = answeredAt + LOG_SLACK_MS;
  for (;;) {
    const now = Date.now();
    const lines = await logs(from, Math.max(now, latest));
    const last = lines.length ? lines[lines.length - 1].time : from;
    const quiet = now - Math.max(last, answeredAt) >= QUIET_MS;
    if (now >= latest || (quiet && (!expectTrace || extractTracesFromLines(lines).length > 0))) return lines;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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

/** Log lines with their text redacted (together: a private-key block spans lines). */
function redactLines(redactor: Redactor, lines: readonly LogLine[]): LogLine[] {
  const texts = redactor.lines(lines.map((l) => l.text));
  return lines.map((l, i) => (texts[i] === l.text ? l : { ...l, text: texts[i]! }));
}
