import type { LogLine, ScenarioResult, Trace } from '../model';

export interface TimedTrace {
  trace: Trace;
  /** When its first line was logged, ms since epoch. */
  time: number;
}

/** How soon after a trace the server's access-log line for the same request is expected. */
const ACCESS_LOG_MS = 500;

/**
 * Tie each trace to the failing request whose time window holds it. When windows overlap, the
 * access-log line the server writes right after the trace (`"POST /orders/2/pay HTTP/1.1" 500`)
 * settles which request it was. A request still not settled (several traces, or one trace that
 * fits several requests, or a 5xx with no trace seen) is ambiguous: those are re-run one at a time.
 * Only answers that a server error explains are candidates (5xx, or no answer at all).
 */
export function assignTraces(
  failing: ScenarioResult[],
  traces: TimedTrace[],
  slackMs: number,
  lines: readonly LogLine[] = [],
): { assigned: Map<string, Trace>; ambiguous: ScenarioResult[] } {
  const candidates = failing.filter((r) => r.status >= 500 || r.status === 0);
  const inWindow = (r: ScenarioResult, t: TimedTrace) => t.time >= r.startedAt - 50 && t.time <= r.endedAt + slackMs;
  const assigned = new Map<string, Trace>();
  const taken = new Set<TimedTrace>();

  // First pass: the access log names the request right after its trace.
  for (const t of traces) {
    const fits = candidates.filter((r) => inWindow(r, t));
    if (fits.length < 2) continue;
    const named = fits.filter((r) => accessLogNames(lines, t.time, r));
    if (named.length === 1 && !assigned.has(named[0].scenarioId)) {
      assigned.set(named[0].scenarioId, t.trace);
      taken.add(t);
    }
  }

  const ambiguous: ScenarioResult[] = [];
  for (const r of candidates) {
    if (assigned.has(r.scenarioId)) continue;
    const mine = traces.filter((t) => !taken.has(t) && inWindow(r, t));
    if (mine.length === 0) {
      // No trace seen: a 5xx normally logs one, so look again alone (the log may have lagged or interleaved).
      if (r.status >= 500) ambiguous.push(r);
      continue;
    }
    const shared = mine.some((t) => candidates.some((o) => o !== r && !assigned.has(o.scenarioId) && inWindow(o, t)));
    if (mine.length === 1 && !shared) assigned.set(r.scenarioId, mine[0].trace);
    else ambiguous.push(r);
  }
  return { assigned, ambiguous };
}

/** Whether a log line shortly after `time` names this request's method and concrete path. */
function accessLogNames(lines: readonly LogLine[], time: number, r: ScenarioResult): boolean {
  const needle = `${r.method} ${r.resolvedPath}`;
  for (const l of lines) {
    if (l.time < time || l.time > time + ACCESS_LOG_MS) continue;
    const at = l.text.indexOf(needle);
    if (at < 0) continue;
    const next = l.text.charAt(at + needle.length);
    if (next === '' || next === ' ' || next === '"' || next === '?') return true;
  }
  return false;
}
