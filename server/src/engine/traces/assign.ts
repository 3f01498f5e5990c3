import type { ScenarioResult, Trace } from '../model';
import { isLibraryPath } from './pathmap';

export interface TimedTrace {
  trace: Trace;
  /** When its first line was logged, ms since epoch. */
  time: number;
}

/**
 * How long after a response its trace may still be logged (and arrive to be read). Servers write
 * the trace after the answer (uvicorn, Starlette, Flask) or before it (Express), and a busy reader
 * stamps lines late; a trace this close to another request could be that request's.
 */
export const GUARD_MS = 1000;

export type Attribution =
  | { how: 'window'; trace: Trace }
  | { how: 'none' }
  /** Traces were logged near this request and near others too: only running it alone can tell. */
  | { how: 'ambiguous'; near: number };

/**
 * Tie traces to failing requests, only where the time line proves it: a trace is this request's
 * when it was logged after the request started and within GUARD_MS of its end, and no other request
 * of the run was in flight within that distance of it. A failure with such traces only gets the
 * last of them; a failure with no trace near it has none; every other failure is ambiguous and is
 * re-run alone by the caller (never guessed: an access-log line or the order of lines does not say
 * which of two concurrent requests a trace belongs to, since servers log before or after the answer).
 *
 * `sent`: every request of the run that was sent (passing ones too: a passing request can log a
 * trace, and its window makes a neighbour's trace ambiguous).
 */
export function assignTraces(failing: readonly ScenarioResult[], traces: readonly TimedTrace[], sent: readonly ScenarioResult[]): Map<string, Attribution> {
  const near = (r: ScenarioResult, t: TimedTrace) => t.time >= r.startedAt - 50 && t.time <= r.endedAt + GUARD_MS;
  // Traces and requests sorted by time, so each failure looks only at its own neighbourhood.
  const byTime = [...traces].sort((a, b) => a.time - b.time);
  const requests = sent.filter((r) => r.attempts > 0 && !r.skipped).sort((a, b) => a.startedAt - b.startedAt);
  const out = new Map<string, Attribution>();
  for (const r of failing) {
    const mine = tracesBetween(byTime, r.startedAt - 50, r.endedAt + GUARD_MS);
    if (mine.length === 0) {
      out.set(r.scenarioId, { how: 'none' });
      continue;
    }
    const shared = mine.some((t) => othersNear(requests, r, t, near));
    out.set(r.scenarioId, shared ? { how: 'ambiguous', near: mine.length } : { how: 'window', trace: ownTrace(mine.map((t) => t.trace))! });
  }
  return out;
}

/**
 * Of the traces one request logged, the one that tells what failed: the last with a frame in the
 * app's own code. Loggers add their own: pino-http logs a made-up "failed with status code 500"
 * error, raised in its own code, after the handler's real one.
 */
export function ownTrace(traces: readonly Trace[]): Trace | undefined {
  const own = (t: Trace) => [...t.frames, ...t.causes.flatMap((c) => c.frames)].some((f) => !isLibraryPath(f.rawFile));
  for (let i = traces.length - 1; i >= 0; i--) if (own(traces[i])) return traces[i];
  return traces[traces.length - 1];
}

/** Traces logged within [from, to], from a list sorted by time. */
function tracesBetween(sorted: readonly TimedTrace[], from: number, to: number): TimedTrace[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].time < from) lo = mid + 1;
    else hi = mid;
  }
  const out: TimedTrace[] = [];
  for (let i = lo; i < sorted.length && sorted[i].time <= to; i++) out.push(sorted[i]);
  return out;
}

/** Whether a request other than `r` could have logged `t`. Requests are sorted by start. */
function othersNear(requests: readonly ScenarioResult[], r: ScenarioResult, t: TimedTrace, near: (o: ScenarioResult, t: TimedTrace) => boolean): boolean {
  for (const o of requests) {
    if (o.startedAt - 50 > t.time) break;
    if (o !== r && o.scenarioId !== r.scenarioId && near(o, t)) return true;
  }
  return false;
}
