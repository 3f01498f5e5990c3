import type { SmokeReport } from './engine';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The smoke report as a plain-text table, the violations under it, and the pass rate last. */
export function formatSmokeTable(report: SmokeReport, opts: { color: boolean }): string {
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const header = ['RESULT', 'METHOD', 'PATH', 'EXPECTED', 'GOT', 'MS', 'SCENARIO'];
  const rows = report.scenarios.map((s) => [
    s.ok ? 'pass' : s.skipped ? 'skip' : 'FAIL',
    s.method,
    s.path,
    String(s.expectedStatus),
    s.status ? String(s.status) : s.errorCode ?? '-',
    s.skipped ? '-' : s.durationMs.toFixed(0),
    s.name,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]))).join('  ');
  const out: string[] = [line(header)];
  for (const r of rows) {
    const text = line(r);
    out.push(r[0] === 'pass' ? text : r[0] === 'skip' ? paint(33, text) : paint(31, text));
  }
  if (report.violations.length) {
    out.push('', 'Failures:');
    for (const v of report.violations) {
      out.push(`  ${v.message}`);
      const where = v.location ? `${v.location.file}:${v.location.line}` : 'no location';
      out.push(`    ${v.failureType} / ${v.strategy} at ${where} (${v.locationKind})`);
    }
  }
  const skipped = report.scenarios.filter((s) => s.skipped);
  for (const s of skipped) out.push(`  skipped ${s.method} ${s.path}: ${s.failures.join('; ')}`);
  for (const u of report.unsatisfied) out.push(`  not derived: ${u.method} ${u.path}: ${u.reason}`);
  const pct = (report.passRate * 100).toFixed(1);
  out.push('', `Pass rate: ${report.passed}/${report.total} (${pct}%) in ${(report.durationMs / 1000).toFixed(1)} s against ${report.baseUrl} (${report.runtime})`);
  return out.join('\n') + '\n';
}
