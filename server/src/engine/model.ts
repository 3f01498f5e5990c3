/**
 * The engine's vocabulary: what a smoke run produces and what every later stage
 * (classify, plan, patch, learn) reads. Plain data, JSON-serialisable, no editor types.
 */

/** The fixed failure taxonomy (DESIGN step 3). */
export const FAILURE_TYPES = [
  'TRANSIENT',
  'INFRA',
  'TEST_ASSERT',
  'LINT',
  'TYPECHECK',
  'SECURITY',
  'POLICY',
  'RUNTIME',
  'SCHEMA_MIGRATION',
  'RATE_LIMIT',
  'UNKNOWN',
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

/** Where a repair should look. GENERIC only when no signal exists. */
export const STRATEGIES = [
  'SERVICE',
  'ROUTE',
  'VALIDATION',
  'DB',
  'DEPENDENCY',
  'IMPORT',
  'AUTH',
  'RATE_LIMIT',
  'INFRA',
  'CONFIG',
  'SCHEMA',
  'GENERIC',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A position in a file: 1-based line, 1-based column (optional). */
export interface SourceLocation {
  /** Workspace-relative path with forward slashes when `inWorkspace`, else the path as seen. */
  file: string;
  line: number;
  column?: number;
}

/** One frame of a server-side stack trace, after path mapping. */
export interface Frame {
  /** Workspace-relative (forward slashes) when mapped; otherwise the raw path. */
  file: string;
  /** The path as it appeared in the log (container or process path). */
  rawFile: string;
  line: number;
  column?: number;
  function: string;
  /** The source line printed under the frame, if any. */
  code?: string;
  inWorkspace: boolean;
}

export type TraceLanguage = 'python' | 'node';

/** A parsed stack trace. For chained exceptions, `frames` and `exceptionClass` are the last (outermost reported) exception's; `causes` holds the earlier ones in order. */
export interface Trace {
  language: TraceLanguage;
  exceptionClass: string;
  message: string;
  frames: Frame[];
  /** Earlier exceptions of a chain ("During handling ..." / "direct cause"), oldest first. */
  causes: Array<{ exceptionClass: string; message: string; frames: Frame[]; relation: 'cause' | 'context' }>;
  /** The full text of the trace as it appeared in the log. */
  text: string;
}

/** One log line with its timestamp, as read from a runtime. */
export interface LogLine {
  /** Milliseconds since the epoch. */
  time: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Where a scenario came from: a line of the scenario file, or an OpenAPI operation. */
export type ScenarioSource =
  | { kind: 'file'; file: string; line: number }
  | { kind: 'openapi'; operationId: string; pointer: string; file?: string; line?: number };

export interface ScenarioRequest {
  method: string;
  /** Path template; `{name}` is filled from saved variables at run time. */
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

export interface Scenario {
  id: string;
  name: string;
  request: ScenarioRequest;
  /** Accepted statuses; the first is the one reported as "expected". */
  expectStatus: number[];
  /** Subset match on the JSON body (dot paths to values). */
  expectJson?: Record<string, unknown>;
  /** Variables to save from the response: name → dot path into the JSON body (e.g. `id`, `items.0.id`). */
  save?: Record<string, string>;
  /** Scenarios in the same chain run in order; others run concurrently. */
  chain?: string;
  /** Position within the chain. */
  order: number;
  source: ScenarioSource;
  /** Route handler location, when known (from OpenAPI or static analysis). */
  handler?: SourceLocation;
}

export interface ScenarioResult {
  scenarioId: string;
  name: string;
  method: string;
  /** The path template. */
  path: string;
  /** The concrete URL path that was requested, with variables filled in. */
  resolvedPath: string;
  expectedStatus: number;
  /** 0 when no response arrived. */
  status: number;
  ok: boolean;
  durationMs: number;
  /** Request time window, ms since epoch. */
  startedAt: number;
  endedAt: number;
  /** First bytes of the response body. */
  bodyExcerpt: string;
  requestBody?: unknown;
  /** Why it failed: status mismatch, JSON expectation, network error, missing variable. */
  failures: string[];
  /** Network-level error code, e.g. ECONNREFUSED. */
  errorCode?: string;
  attempts: number;
  /** Set when a skipped dependency (missing saved variable) prevented the request. */
  skipped?: boolean;
  /** A stack trace the server put in a failing response's body (development error pages, JSON with a stack). */
  bodyTrace?: Trace;
}

/** Where a violation's trace was read: the container's log, the process's output, `app.logs` (a file or a command), or the response body. */
export type TraceSource = 'container' | 'process' | 'file' | 'command' | 'body';

export interface Classification {
  failureType: FailureType;
  strategy: Strategy;
  exceptionClass?: string;
  /** Whether a retry can help (transient, rate limit). */
  retryable: boolean;
  /** The signals the decision rests on, human-readable. */
  signals: string[];
}

export interface Violation {
  /** Stable across runs for the same scenario and failure: `<scenarioId>:<status>`. */
  id: string;
  scenarioId: string;
  scenario: string;
  method: string;
  path: string;
  expectedStatus: number;
  actualStatus: number;
  failureType: FailureType;
  strategy: Strategy;
  retryable: boolean;
  signals: string[];
  /** One line: `POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'`. */
  message: string;
  trace?: Trace;
  /**
   * Where the diagnostic goes: the innermost workspace frame; else the import a module-not-found
   * message names (`importer`); else the route handler; else the scenario's line.
   */
  location?: SourceLocation;
  locationKind: 'frame' | 'importer' | 'handler' | 'scenario' | 'none';
  /** Log lines captured for the request's window (bounded). */
  logExcerpt: string;
  /** Whether the trace is known to be this failure's (see `attribution`). */
  pinned: boolean;
  /**
   * How the trace was tied to this failure: `window` (logged while no other request was in
   * flight), `rerun` (the scenario was run again alone and failed the same way), `startup` (the
   * output of the app's failed start); `unpinned` when traces were logged that could not be tied to
   * one request (none is attached rather than a guess); `none` when no trace was logged for it.
   */
  attribution?: 'window' | 'rerun' | 'body' | 'startup' | 'unpinned' | 'none';
  /** Where the trace was read. */
  traceSource?: TraceSource;
  /** Why the trace is unpinned, or how it was pinned, in words. */
  attributionNote?: string;
  request: { method: string; path: string; body?: unknown };
  response: { status: number; bodyExcerpt: string };
  window: { startedAt: number; endedAt: number };
}

export interface SmokeReport {
  workspace: string;
  configFile: string;
  baseUrl: string;
  runtime: string;
  startedAt: number;
  durationMs: number;
  passRate: number;
  passed: number;
  total: number;
  scenarios: ScenarioResult[];
  violations: Violation[];
  /** OpenAPI operations no scenario could be derived for, with why. */
  unsatisfied: Array<{ method: string; path: string; reason: string }>;
  /** What the run could not do but went on without (a log source that stopped), each with its remedy. */
  warnings?: string[];
  /** Set when the app under test runs another folder's code: fixes here cannot change what it serves, so none is applied. */
  foreignApp?: string;
}

/** The pseudo-scenario of an app that cannot start (its violation is planned and repaired like any other). */
export const STARTUP_SCENARIO_ID = 'app-starts';
export const STARTUP_SCENARIO_NAME = 'app starts';

/** Whether a violation (or result) is the start-up failure. */
export function isStartupFailure(v: { scenarioId: string }): boolean {
  return v.scenarioId === STARTUP_SCENARIO_ID;
}

/** Progress events from long engine work; the server turns them into LSP progress, the CLI into stderr lines. */
export interface Progress {
  report(message: string, fraction?: number): void;
}

export const silentProgress: Progress = { report() {} };

/** A problem with outside input, located where a person can fix it. */
export class LocatedError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column = 1,
    readonly remedy?: string,
  ) {
    super(message);
    this.name = 'LocatedError';
  }

  /** `file:line:column: message (remedy)` */
  format(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.message}${this.remedy ? `\n  ${this.remedy}` : ''}`;
  }
}

/** A problem with the environment (Docker unreachable, app not up) with what to do about it. */
export class EnvironmentError extends Error {
  constructor(
    message: string,
    readonly remedy: string,
  ) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

/**
 * The app could not be brought up: its process or container exited (or crash-loops, or never
 * answered while its output ends in a trace). Not an environment problem but a failure of the app
 * like any other: the smoke run turns it into the "app starts" violation with the output's trace.
 */
export class AppStartFailure extends EnvironmentError {
  constructor(
    message: string,
    remedy: string,
    /** The app's output from its (last) start, oldest first. */
    readonly lines: LogLine[],
    /** How it ended: `exited with code 1`, `restarting (3 restarts)`, `did not answer within 30 s`. */
    readonly how: string,
    /** When the start began and when it was seen to fail, ms since epoch. */
    readonly window: { startedAt: number; endedAt: number },
  ) {
    super(message, remedy);
    this.name = 'AppStartFailure';
  }
}

/** The workspace configuration has problems; each is located. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly errors: LocatedError[],
  ) {
    super(`${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'} in the configuration\n${errors.map((e) => e.format()).join('\n')}`);
    this.name = 'ConfigError';
  }
}
