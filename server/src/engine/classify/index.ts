/**
 * Failure classification: a failure type from the fixed taxonomy and a repair strategy, decided
 * by the first matching rule of `RULES` (see rules.ts for the table and its reasoning).
 */
import type { Classification, Trace } from '../model';
import { extractTraces } from '../traces/extract';
import { buildContext, type ClassifyInput } from './context';
import { RULES } from './rules';

export type { ClassifyInput } from './context';
export { RULES, type Rule } from './rules';

function decide(input: Partial<ClassifyInput>): Classification {
  let c;
  try {
    c = buildContext(input);
  } catch {
    c = buildContext({});
  }
  const exceptionClass = c.trace?.exceptionClass;
  for (const rule of RULES) {
    const signal = rule.test(c);
    if (signal === undefined) continue;
    const signals = [signal];
    if (exceptionClass && !signal.includes(exceptionClass)) signals.push(`exception ${exceptionClass}`);
    const cause = c.trace?.causes[c.trace.causes.length - 1];
    if (cause) signals.push(`caused by ${cause.exceptionClass}${cause.message ? `: ${cause.message.split('\n')[0]}` : ''}`);
    signals.push(`rule ${rule.id}`);
    return {
      failureType: rule.failureType,
      strategy: typeof rule.strategy === 'function' ? rule.strategy(c) : rule.strategy,
      ...(exceptionClass ? { exceptionClass } : {}),
      retryable: rule.retryable ?? false,
      signals,
    };
  }
  return { failureType: 'UNKNOWN', strategy: 'GENERIC', retryable: false, signals: ['no signal: no status, error code, trace or known log pattern'] };
}

/** Classifies one failed scenario from its status, network error, trace, log and body. */
export function classify(input: ClassifyInput): Classification {
  return decide(input);
}

const NETWORK_ERROR = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT)\b/;

/**
 * Classifies a server log on its own (the `classify` command reads it from stdin): the last
 * trace in it, with the whole log as the signal text. No status is known.
 */
export function classifyLog(text: string): Classification & { trace?: Trace } {
  const log = typeof text === 'string' ? text : '';
  const traces = extractTraces(log);
  const trace = traces[traces.length - 1];
  // With no request to look at, a network error named in the log stands in for the request's own.
  const errorCode = trace ? undefined : NETWORK_ERROR.exec(log)?.[1];
  const result = decide({ trace, logText: log, ...(errorCode ? { errorCode } : {}) });
  return trace ? { ...result, trace } : result;
}
