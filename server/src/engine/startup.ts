import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { classify } from './classify';
import {
  AppStartFailure,
  STARTUP_SCENARIO_ID,
  STARTUP_SCENARIO_NAME,
  type Classification,
  type LogLine,
  type ScenarioResult,
  type Trace,
  type Violation,
} from './model';
import type { Runtime } from './runtime';
import { AppNotAnswering } from './smoke/health';
import { extractTracesFromLines } from './traces';
import { ownTrace } from './traces/assign';
import type { PathMapper } from './traces/pathmap';
import { mapTrace } from './traces/pathmap';
import { importerLocation, innermostWorkspaceFrame } from './violations';

/**
 * An app that cannot start is a failure like any other: the pseudo-scenario "app starts", with the
 * trace from the app's own output (process or container), classified, located on the frame that
 * raised it, and planned, validated and repaired like a failing request.
 */

/** Longest output excerpt kept with the violation. */
const EXCERPT_CHARS = 8 * 1024;

/**
 * Bring the app up: start it when the runtime owns it, then wait until it answers, and stop
 * waiting the moment its process or container exits. A wait that times out while the app's output
 * ends in a stack trace is a start-up failure too (a reloader that keeps running after its worker
 * crashed); any other time-out stays an environment problem.
 */
export async function bringUp(runtime: Runtime | undefined, waitHealthy: (signal?: AbortSignal) => Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!runtime) {
    await waitHealthy(signal);
    return;
  }
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  try {
    await runtime.ensureRunning(both);
    await Promise.race([waitHealthy(both), runtime.watchExit(both)]);
  } catch (err) {
    if (err instanceof AppNotAnswering) {
      const lines = await runtime.startupLog().catch(() => [] as LogLine[]);
      if (extractTracesFromLines(lines).length > 0) {
        const now = Date.now();
        throw new AppStartFailure(
          `${runtime.describe()} did not answer, and its output ends in a stack trace: ${err.message}`,
          'Its output is in the "app starts" failure; fix what it reports, then run again.',
          lines,
          'did not answer, and its output holds a stack trace',
          { startedAt: lines[0]?.time ?? now, endedAt: now },
        );
      }
    }
    throw err;
  } finally {
    stop.abort();
  }
}

export interface StartupEvidence {
  result: ScenarioResult;
  violation: Violation;
}

/**
 * A start that failed before any code of the app ran prints no trace, only the loader's one line:
 * `python -m flask` without Flask says `/usr/local/bin/python3: No module named flask`. That line is
 * the trace (no frames): the module that is missing.
 */
function loaderMessage(lines: readonly LogLine[]): Trace | undefined {
  for (const l of lines.slice(-20).reverse()) {
    const m = /(?:^|[\s:])No module named '?([A-Za-z_][\w.]*)'?\s*$/.exec(l.text.trim());
    if (m) {
      const message = `No module named '${m[1]}'`;
      return { language: 'python', exceptionClass: 'ModuleNotFoundError', message, frames: [], causes: [], text: l.text.trim() };
    }
  }
  return undefined;
}

/** The "app starts" result and violation for a failed start, with the last trace of its output. */
export function startupEvidence(failure: AppStartFailure, mapper: PathMapper, runtime: Pick<Runtime, 'describe' | 'kind'>, workspace: string): StartupEvidence {
  const runtimeName = runtime.describe();
  const raw: Trace | undefined = ownTrace(extractTracesFromLines(failure.lines).map((f) => f.trace)) ?? loaderMessage(failure.lines);
  const trace = raw ? mapTrace(raw, mapper) : undefined;
  const logText = tail(failure.lines);
  const c: Classification = trace
    ? classify({ status: 0, expectedStatus: 0, trace, logText })
    : { failureType: 'INFRA', strategy: 'INFRA', retryable: false, signals: [`the app ${failure.how} and printed no stack trace`] };
  const lastLine = [...failure.lines].reverse().find((l) => l.text.trim() !== '')?.text.trim();
  const detail = trace ? (trace.message ? `${trace.exceptionClass}: ${trace.message.split('\n')[0]}` : trace.exceptionClass) : lastLine ?? 'no output';
  const result: ScenarioResult = {
    scenarioId: STARTUP_SCENARIO_ID,
    name: STARTUP_SCENARIO_NAME,
    method: 'START',
    path: runtimeName,
    resolvedPath: runtimeName,
    expectedStatus: 0,
    status: 0,
    ok: false,
    durationMs: failure.window.endedAt - failure.window.startedAt,
    startedAt: failure.window.startedAt,
    endedAt: failure.window.endedAt,
    bodyExcerpt: '',
    failures: [`the app ${failure.how}`],
    errorCode: 'APP_NOT_STARTED',
    attempts: 1,
  };
  const frame = trace && innermostWorkspaceFrame(trace);
  const location = frame ? { file: frame.file, line: frame.line, column: frame.column } : trace && importerLocation(trace, mapper, (f) => readWorkspaceFile(workspace, f));
  const violation: Violation = {
    id: `${STARTUP_SCENARIO_ID}:${trace?.exceptionClass ?? 'exit'}`,
    scenarioId: STARTUP_SCENARIO_ID,
    scenario: STARTUP_SCENARIO_NAME,
    method: 'START',
    path: runtimeName,
    expectedStatus: 0,
    actualStatus: 0,
    failureType: c.failureType,
    strategy: c.strategy,
    retryable: false,
    signals: [`the app ${failure.how}`, ...c.signals],
    message: `app starts → ${failure.how}: ${clip(detail)}`,
    trace,
    location,
    locationKind: frame ? 'frame' : location ? 'importer' : 'none',
    logExcerpt: logText,
    // The output of one start belongs to that start alone.
    pinned: Boolean(trace),
    attribution: trace ? 'startup' : 'none',
    ...(trace ? { traceSource: runtime.kind === 'docker' ? ('container' as const) : ('process' as const) } : {}),
    request: { method: 'START', path: runtimeName },
    response: { status: 0, bodyExcerpt: '' },
    window: failure.window,
  };
  return { result, violation };
}

function tail(lines: readonly LogLine[]): string {
  let out = '';
  for (let i = lines.length - 1; i >= 0; i--) {
    const next = lines[i].text + '\n' + out;
    if (next.length > EXCERPT_CHARS) return '…\n' + out;
    out = next;
  }
  return out;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

/** A workspace file's text, or undefined when it cannot be read. */
export function readWorkspaceFile(workspace: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(workspace, file), 'utf8');
  } catch {
    return undefined;
  }
}
