import type { SmokeReport } from './engine';
import { describeTraceOrigin } from './engine/violations';
import { passesOutsideLoops, type LoopRecord } from './engine/loop';
import type { PassedOver, PolicyDecision, RepairRecord, RepairRunSummary, ViolationPlan } from './engine/repair';
import type { Approval } from './engine/approvals';
import type { AntiPattern, FixPattern } from './engine/learn';

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
    s.expectedStatus ? String(s.expectedStatus) : 'up',
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
      const trace = describeTraceOrigin(v);
      if (trace) out.push(`    ${trace}`);
    }
  }
  for (const w of report.warnings ?? []) out.push(paint(33, `  warning: ${w}`));
  const skipped = report.scenarios.filter((s) => s.skipped);
  for (const s of skipped) out.push(`  skipped ${s.method} ${s.path}: ${s.failures.join('; ')}`);
  for (const u of report.unsatisfied) out.push(`  not derived: ${u.method} ${u.path}: ${u.reason}`);
  const pct = (report.passRate * 100).toFixed(1);
  out.push('', `Pass rate: ${report.passed}/${report.total} (${pct}%) in ${(report.durationMs / 1000).toFixed(1)} s against ${report.baseUrl} (${report.runtime})`);
  return out.join('\n') + '\n';
}

type PlanRow = ViolationPlan;
/** What the summary table shows of a pass (the reports and step timings are not shown). */
type RunSummary = Omit<RepairRunSummary, 'reportBefore' | 'reportAfter' | 'timings' | 'approvals'> & Partial<Pick<RepairRunSummary, 'approvals'>>;
type Decision = PolicyDecision;

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const passedOverLines = (list: PassedOver[] | undefined) => (list ?? []).map((p) => `  passed over ${p.planner} plan ${p.fixId}: ${p.stage}: ${p.reason}`);
const decision = (d: Decision | undefined) => (d ? `${d.allowed ? d.label : 'BLOCKED'} (danger ${d.dangerScore})` : '-');

/** Each violation's plan (or why none), its policy decisions and its diff. */
export function formatPlans(rows: PlanRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    out.push(`● ${r.violation.message}`, `  violation: ${r.violation.id}`, ...passedOverLines(r.passedOver));
    if (r.noPlan) {
      out.push(`  no plan (${r.noPlan.code}): ${r.noPlan.reason}`, '');
      continue;
    }
    const fix = r.fix!;
    out.push(
      `  plan ${fix.id} by ${fix.planner}: ${fix.plan.category}, confidence ${fix.plan.confidence}`,
      `  root cause: ${fix.plan.root_cause}`,
    );
    for (const [i, op] of fix.plan.operations.entries()) out.push(`  ${i + 1}. ${op.type} ${op.file}: ${op.rationale}`);
    out.push(`  plan policy: ${decision(r.planPolicy)}`);
    for (const reason of r.planPolicy?.reasons ?? []) out.push(`    - ${reason}`);
    if (r.patchError) out.push(`  no patch: ${r.patchError.message}`);
    if (r.patch) {
      out.push(`  patch: ${r.patch.stats.files} file(s), +${r.patch.stats.added} -${r.patch.stats.removed}`, `  patch policy: ${decision(r.patchPolicy)}`);
      for (const reason of r.patchPolicy?.reasons ?? []) out.push(`    - ${reason}`);
      out.push('', ...r.patch.diff.replace(/\n$/, '').split('\n').map((l) => `    ${l}`));
    }
    out.push('');
  }
  if (rows.length === 0) out.push('No failures: nothing to plan.');
  return out.join('\n') + '\n';
}

/** The run record summary: per violation planner, decision, validation, applied or not and why; pass rates. */
export function formatRepairSummary(s: RunSummary): string {
  const out: string[] = [];
  for (const r of s.records) {
    out.push(`● ${r.violation.message}`);
    out.push(`  planner: ${r.planner ?? '-'}   decision: ${decision(r.patchPolicy ?? r.planPolicy)}   validation: ${r.validation?.status ?? '-'}`);
    out.push(...passedOverLines(r.passedOver));
    out.push(`  ${r.applied ? 'APPLIED' : 'not applied'}: ${r.reason}`);
    if (r.checkpointId) out.push(`  checkpoint: ${r.checkpointId}`);
    const t = Object.entries(r.timings).map(([k, v]) => `${k} ${v} ms`).join(', ');
    if (t) out.push(`  timings: ${t}`);
  }
  if (s.records.length === 0) out.push('No failures: nothing to repair.');
  const c = s.counts;
  out.push(
    '',
    `${c.violations} failure(s): ${c.planned} planned, ${c.noPlan} without a plan, ${c.validated} validated, ${c.applied} applied`,
  );
  if (s.reload) out.push(`App: ${s.reload}`);
  for (const a of s.approvals?.opened ?? []) out.push(`Waiting for a person: ${a.id} (${a.violation.scenario}): smoke-repair approve ${a.id}, or reject ${a.id}`);
  out.push(`Pass rate: ${s.passedBefore}/${s.total} (${pct(s.passRateBefore)}) → ${s.passedAfter}/${s.total} (${pct(s.passRateAfter)})${s.smokeAgain ? '' : ' (nothing applied; smoke not run again)'}`);
  out.push(`Records: ${s.records.length ? s.recordFiles[0].replace(/[^/\\]+$/, '') : '-'}`);
  return out.join('\n') + '\n';
}

/** The approvals: each fix with why it waits, its decision or outcome, and its diff while pending. */
export function formatApprovals(approvals: readonly Approval[], problems: ReadonlyArray<{ file: string; error: string }>, all = false): string {
  const out: string[] = [];
  for (const a of approvals) {
    out.push(`${a.id}  ${a.status.toUpperCase()}  ${APPROVAL_WHY[a.why]}`);
    out.push(`  ● ${a.violation.message}`);
    out.push(`  fix: ${a.plan.root_cause}`);
    out.push(`  planner: ${a.planner}   danger score: ${a.dangerScore} (${a.label})   validation: ${a.validation.status}${a.validation.summary ? ` (${a.validation.summary})` : ''}`);
    out.push(`  asked: ${new Date(a.createdAt).toISOString()}   record: ${a.recordId}${a.loopId ? `   loop: ${a.loopId}` : ''}`);
    if (a.decision) out.push(`  ${a.decision.decision} by ${a.decision.by} at ${new Date(a.decision.at).toISOString()}${a.decision.note ? `: ${a.decision.note}` : ''}`);
    if (a.supersededBy) out.push(`  superseded by ${a.supersededBy}`);
    if (a.outcome) out.push(`  ${a.outcome.detail}`);
    if (a.status === 'pending') out.push(...a.diff.trimEnd().split('\n').map((l) => `    ${l}`), `  approve: smoke-repair approve ${a.id}    reject: smoke-repair reject ${a.id}`);
    out.push('');
  }
  if (approvals.length === 0) out.push(all ? 'No approvals recorded.' : "No fix waits for a person's yes.", '');
  for (const p of problems) out.push(`unreadable: ${p.file}: ${p.error}`);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

const APPROVAL_WHY: Record<Approval['why'], string> = {
  'needs-review': 'needs review',
  checked: 'checked without running its scenarios',
  security: 'a SECURITY failure',
  policy: 'a POLICY failure',
  'hold-all': 'every fix waits (--approve none)',
};

/** Learned fix patterns (best first) and anti-patterns, as `smoke-repair patterns` prints them. */
export function formatPatterns(patterns: readonly FixPattern[], antiPatterns: readonly AntiPattern[], problems: readonly string[]): string {
  const out: string[] = [];
  if (patterns.length === 0) out.push('No fix patterns learned yet: every repair that is applied, fails validation, is rolled back or rejected teaches one.');
  for (const p of patterns) {
    const kind = [p.signature.exceptionClass ?? `${p.signature.failureType} ${p.signature.status}`, p.signature.messageShape].filter(Boolean).join(': ');
    out.push(`${p.promoted ? '★' : '●'} ${p.fixType} for ${kind}`);
    out.push(`  ${p.successes} of ${p.attempts} succeeded (lower bound ${p.lowerBound.toFixed(2)})${p.promoted ? ', promoted' : ''}${p.reverted ? `, ${p.reverted} reverted` : ''}${p.rejected ? `, ${p.rejected} rejected` : ''}; from ${p.sources.join(', ')} (${p.planner})`);
    out.push(`  tried at ${p.endpoints.slice(0, 3).join(', ')}${p.endpoints.length > 3 ? ` and ${p.endpoints.length - 3} more` : ''}`);
    out.push(`  key ${p.key}`);
  }
  if (antiPatterns.length) {
    out.push('', `Anti-patterns (${antiPatterns.length}):`);
    for (const a of antiPatterns) out.push(`  ● ${a.wrong}${a.correct ? ` → ${a.correct}` : ''} (${a.language}${a.exceptionClass ? `, ${a.exceptionClass}` : ''}; seen ${a.occurrences}×, ${a.severity})`, `    key ${a.key}`);
  }
  for (const p of problems) out.push(`unreadable: ${p}`);
  return out.join('\n') + '\n';
}

/** A loop record as a table: one row per iteration, then why it stopped and what is left. */
export function formatLoop(loop: LoopRecord, file?: string): string {
  const rows = loop.iterations.map((it) => [
    String(it.n),
    `${it.passedBefore}/${it.total} (${pct(it.passRateBefore)})`,
    `${it.passedAfter}/${it.total} (${pct(it.passRateAfter)})`,
    Object.entries(it.fixesByType).map(([t, n]) => `${t} ${n}`).join(', ') || '-',
    it.rolledBack ? `rolled back (${it.rolledBack.regressed.join(', ')} regressed)` : `${(it.durationMs / 1000).toFixed(1)} s`,
  ]);
  const head = ['iteration', 'before', 'after', 'fixes applied', 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push('', `Stopped: ${loop.stopReason ?? 'running'}${loop.stopDetail ? ` (${loop.stopDetail})` : ''}`);
  // Where the time went, over every iteration: the steps people ask about first.
  const spent: Record<string, number> = {};
  for (const it of loop.iterations) for (const [k, v] of Object.entries(it.timings)) spent[k] = (spent[k] ?? 0) + v;
  const steps = ['smoke', 'plan', 'policy', 'patch', 'validate', 'apply', 'reload', 'backoff'].filter((k) => spent[k] !== undefined);
  if (steps.length) out.push(`Time: ${steps.map((k) => `${k} ${(spent[k]! / 1000).toFixed(1)} s`).join(', ')}`);
  if (loop.passRateStart !== undefined && loop.passRateEnd !== undefined) out.push(`Pass rate: ${pct(loop.passRateStart)} → ${pct(loop.passRateEnd)} (target ${pct(loop.target)})`);
  if (loop.escalation?.length) {
    out.push('', `Left for a person (${loop.escalation.length}):`);
    for (const e of loop.escalation) out.push(`  ● ${e.message}`, `    tried: ${e.tried}`);
  }
  if (loop.pending?.length) {
    out.push('', `Waiting for a person's yes (${loop.pending.length}): validated, not applied`);
    for (const p of loop.pending) out.push(`  ● ${p.scenario}: ${p.title}`, `    ${p.why} (record ${p.recordId})`);
  }
  if (file) out.push('', `Loop record: ${file}`);
  return out.join('\n') + '\n';
}

/** The loops, then the passes run on their own, oldest first. */
export function formatHistory(loops: LoopRecord[], records: RepairRecord[], problems: Array<{ file: string; error: string }>): string {
  const out: string[] = [];
  for (const l of loops) {
    const when = new Date(l.startedAt).toISOString().replace('T', ' ').slice(0, 19);
    const rate = l.passRateStart !== undefined && l.passRateEnd !== undefined ? `${pct(l.passRateStart)} → ${pct(l.passRateEnd)}` : 'no pass finished';
    const applied = l.iterations.reduce((n, it) => n + it.applied.length, 0);
    out.push(`${when}  ${l.id}  ${l.iterations.length} iteration(s)  ${rate}  ${applied} fix(es) kept  stopped: ${l.stopReason ?? 'unfinished (interrupted?)'}`);
  }
  for (const [run, rs] of passesOutsideLoops(loops, records)) {
    const when = new Date(rs[0]!.createdAt).toISOString().replace('T', ' ').slice(0, 19);
    const after = rs[0]!.passRateAfter;
    out.push(`${when}  ${run}  one pass  ${pct(rs[0]!.passRateBefore)}${after !== undefined ? ` → ${pct(after)}` : ''}  ${rs.filter((r) => r.applied).length} of ${rs.length} applied`);
  }
  if (out.length === 0) out.push('No repairs recorded yet: run `smoke-repair repair --once` or `smoke-repair repair --loop`.');
  for (const p of problems) out.push(`cannot read ${p.file}: ${p.error}`);
  return out.join('\n') + '\n';
}
