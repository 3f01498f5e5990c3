import type { CiReport } from './ci';

/**
 * The Prometheus text exposition format (0.0.4) of a run: the smoke pass rate and counts, and the
 * latest repair loop's counters (`autofix_attempts_total{signal,outcome}`,
 * `autofix_success_ratio`, `autofix_backoff_seconds`, iterations, fixes applied and waiting for a
 * person), for a CI job's push gateway or a textfile collector.
 */

/** A label value as the format escapes it: backslash, double quote and newline. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function metric(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Record<string, string>, number]>): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
    out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
  }
}

export function prometheusReport(report: CiReport): string {
  const out: string[] = [];
  const s = report.smoke;
  metric(out, 'smoke_pass_ratio', 'gauge', 'Scenarios passing in the last smoke run, 0..1.', [[{}, s.passRate]]);
  metric(out, 'smoke_scenarios', 'gauge', 'Scenarios of the last smoke run by result.', [
    [{ result: 'passed' }, s.passed],
    [{ result: 'failed' }, s.total - s.passed],
  ]);
  const loop = report.loop;
  if (loop) {
    const attempts = Object.entries(loop.counters.autofix_attempts_total).map(([key, n]): [Record<string, string>, number] => {
      const [signal, outcome] = key.split(',');
      return [{ signal: signal ?? '', outcome: outcome ?? '' }, n];
    });
    metric(out, 'autofix_attempts_total', 'counter', 'Repair attempts of the last loop by signal (exception or failure type) and outcome.', attempts);
    metric(out, 'autofix_success_ratio', 'gauge', 'Fixes kept per plan made in the last loop.', [[{}, loop.counters.autofix_success_ratio]]);
    metric(out, 'autofix_backoff_seconds', 'counter', 'Seconds waited between retries in the last loop.', [[{}, loop.counters.autofix_backoff_seconds ?? 0]]);
    metric(out, 'autofix_iterations', 'gauge', 'Iterations of the last loop.', [[{ stop_reason: loop.stopReason ?? 'running' }, loop.iterations.length]]);
    metric(out, 'autofix_fixes_applied', 'gauge', 'Fixes applied and kept by the last loop.', [[{}, loop.iterations.reduce((n, it) => n + it.applied.length, 0)]]);
    metric(out, 'autofix_replans_total', 'counter', 'Plans of the last loop set aside for another of the same failure.', [[{}, loop.counters.autofix_replans_total ?? 0]]);
    // Loops recorded before approvals were kept counted only what was pending.
    const approvals = loop.counters.approval_requests_total ?? { pending: loop.pending?.length ?? 0 };
    const byStatus = Object.entries(approvals).map(([status, n]): [Record<string, string>, number] => [{ status }, n]);
    metric(out, 'approval_requests_total', 'counter', 'Approvals the last loop opened, by status.', byStatus.length ? byStatus : [[{ status: 'pending' }, 0]]);
  }
  return `${out.join('\n')}\n`;
}
