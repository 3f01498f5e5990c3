import type { LogLine, ScenarioResult, Trace } from '../model';

export interface TimedTrace {
  trace: Trace;
  /** When its first line was logged, ms since epoch. */
  time: number;
}

/** How far from a trace the server's access-log line for the same request may stand (either side: some servers log it first). */
const ACCESS_LOG_MS = 300;

/**
 * Tie each trace to the failing request whose time window holds it. When windows overlap, the
 * access-log line the server writes next to the trace (`"POST /orders/2/pay HTTP/1.1" 500`) settles
 * which request it was: the request named by the line nearest to the trace wins; among requests
 * that ran one after the other, the trace goes to the latest that had started. A request still
 * not settled (several traces, one trace that fits several requests, or a 5xx with no trace seen) is
 * ambiguous: those are re-run one at a time. Only answers that a server error explains are
 * candidates (5xx, or no answer at all).
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

  // Traces that fit one request only, and that request has no other trace: settled.
  for (const r of candidates) {
    const mine = traces.filter((t) => inWindow(r, t));
    if (mine.length === 1 && !candidates.some((o) => o !== r && inWindow(o, mine[0]))) {
      assigned.set(r.scenarioId, mine[0].trace);
      taken.add(mine[0]);
    }
  }
  // The rest: the access-log line nearest to each trace names its request.
  for (const t of traces) {
    if (taken.has(t)) continue;
    const fits = candidates.filter((r) => !assigned.has(r.scenarioId) && inWindow(r, t));
    let best: { r: ScenarioResult; distance: number } | undefined;
    let tie = false;
    for (const r of fits) {
      const distance = accessLogDistance(lines, t.time, r);
      if (distance === undefined) continue;
      if (!best || distance < best.distance) {
        best = { r, distance };
        tie = false;
      } else if (distance === best.distance) tie = true;
    }
    if (best && !tie) {
      assigned.set(best.r.scenarioId, t.trace);
      taken.add(t);
    }
  }
  // Requests that did not overlap in time (one after the other, as in a chain): a trace belongs to
  // the latest of them that had started when it was logged.
  for (const t of traces) {
    if (taken.has(t)) continue;
    const fits = candidates.filter((r) => !assigned.has(r.scenarioId) && inWindow(r, t));
    if (fits.length === 0 || !disjoint(fits)) continue;
    const started = fits.filter((r) => r.startedAt <= t.time).sort((a, b) => b.startedAt - a.startedAt)[0];
    if (started) {
      assigned.set(started.scenarioId, t.trace);
      taken.add(t);
    }
  }
  const ambiguous = candidates.filter((r) => !assigned.has(r.scenarioId) && (r.status >= 500 || traces.some((t) => !taken.has(t) && inWindow(r, t))));
  return { assigned, ambiguous };
}

/** Whether no two of these requests were in flight at the same time. */
function disjoint(requests: ScenarioResult[]): boolean {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  return sorted.every((r, i) => i === 0 || sorted[i - 1].endedAt <= r.startedAt);
}

/** How far in time from `time` the nearest log line naming this request's method, concrete path and status stands. */
function accessLogDistance(lines: readonly LogLine[], time: number, r: ScenarioResult): number | undefined {
  const needle = `${r.method} ${r.resolvedPath}`;
  const status = r.status ? String(r.status) : undefined;
  let best: number | undefined;
  for (const l of lines) {
    const distance = Math.abs(l.time - time);
    if (distance > ACCESS_LOG_MS || (best !== undefined && distance >= best)) continue;
    const at = l.text.indexOf(needle);
    if (at < 0) continue;
    const next = l.text.charAt(at + needle.length);
    if (!(next === '' || next === ' ' || next === '"' || next === '?')) continue;
    if (status && !new RegExp(`\\b${status}\\b`).test(l.text.slice(at + needle.length))) continue;
    best = distance;
  }
  return best;
}
