import type { Frame, Trace } from '../model';

/** What the classification rules look at, gathered once. */
export interface ClassifyInput {
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  expectedStatus: number;
  /** Network-level error code, e.g. ECONNREFUSED. */
  errorCode?: string;
  trace?: Trace;
  logText?: string;
  bodyExcerpt?: string;
  failures?: string[];
}

export interface RuleContext {
  /** Undefined when classifying a log alone (no request was made). */
  status?: number;
  expectedStatus?: number;
  errorCode?: string;
  trace?: Trace;
  /** Exception classes of the trace, outermost first, then its causes (newest first). */
  classes: string[];
  /** Exception messages in the same order. */
  messages: string[];
  /** Trace messages, log text and body, for pattern signals. */
  text: string;
  body: string;
  failures: string[];
  /** The innermost frame in the workspace, if the trace was mapped. */
  topFrame?: Frame;
  /** Whether the server failed (5xx, no answer, or a log without a status). */
  serverSide: boolean;
}

const MAX_TEXT = 64 * 1024;

function innermostWorkspaceFrame(trace: Trace): Frame | undefined {
  const lists = [trace.frames, ...[...trace.causes].reverse().map((c) => c.frames)];
  for (const frames of lists) {
    for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.inWorkspace) return frames[i];
  }
  return undefined;
}

export function buildContext(input: Partial<ClassifyInput>): RuleContext {
  const trace = input.trace;
  const chain = trace ? [trace, ...[...trace.causes].reverse()] : [];
  const classes = chain.map((t) => String(t.exceptionClass ?? ''));
  const messages = chain.map((t) => String(t.message ?? ''));
  const body = typeof input.bodyExcerpt === 'string' ? input.bodyExcerpt.slice(0, MAX_TEXT) : '';
  const log = typeof input.logText === 'string' ? input.logText.slice(-MAX_TEXT) : '';
  const status = typeof input.status === 'number' && Number.isFinite(input.status) ? input.status : undefined;
  return {
    status,
    expectedStatus: typeof input.expectedStatus === 'number' ? input.expectedStatus : undefined,
    errorCode: typeof input.errorCode === 'string' && input.errorCode ? input.errorCode : undefined,
    trace,
    classes,
    messages,
    text: [...messages, log, body].join('\n'),
    body,
    failures: Array.isArray(input.failures) ? input.failures.filter((f) => typeof f === 'string') : [],
    topFrame: trace ? innermostWorkspaceFrame(trace) : undefined,
    serverSide: status === undefined || status === 0 || status >= 500,
  };
}
