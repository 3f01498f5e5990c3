/**
 * The corpus run as tables: per kind and per framework, the fix rate (fixed = validated, applied,
 * every scenario green afterwards, no regression; over the detected faults a rule is meant to fix),
 * the safety counts, and the faults that were detected but not fixed, with the product's reasons.
 */
import { KIND_TITLES, KINDS } from './faults';
import type { CorpusRun, FaultResult } from './runner';

export interface Row {
  group: string;
  faults: number;
  notObservable: number;
  errors: number;
  notDetected: number;
  detected: number;
  located: number;
  /** Detected and a rule or catalog entry is meant to fix it. */
  fixable: number;
  planned: number;
  validated: number;
  applied: number;
  fixed: number;
  /** Fixed among the rule-fixable detected ones. */
  fixedFixable: number;
  fixRate: number | null;
  /** Fixed, and the planted files are byte for byte as the app was written. */
  reverted: number;
  harmful: number;
  regressions: number;
  outsidePlan: number;
  rollbackBad: number;
}

export function row(group: string, rs: FaultResult[]): Row {
  const ran = rs.filter((r) => r.outcome !== 'not-observable' && r.outcome !== 'error');
  const detected = ran.filter((r) => r.detected);
  const fixable = detected.filter((r) => r.fault.ruleFixable);
  const fixedFixable = fixable.filter((r) => r.fixed).length;
  return {
    group,
    faults: rs.length,
    notObservable: rs.filter((r) => r.outcome === 'not-observable').length,
    errors: rs.filter((r) => r.outcome === 'error').length,
    notDetected: ran.filter((r) => !r.detected).length,
    detected: detected.length,
    located: detected.filter((r) => r.located).length,
    fixable: fixable.length,
    planned: detected.filter((r) => r.planned).length,
    validated: detected.filter((r) => r.validated).length,
    applied: detected.filter((r) => r.applied).length,
    fixed: detected.filter((r) => r.fixed).length,
    fixedFixable,
    fixRate: fixable.length ? fixedFixable / fixable.length : null,
    reverted: detected.filter((r) => r.fixed && r.reverted).length,
    harmful: rs.filter((r) => r.harmful).length,
    regressions: rs.filter((r) => r.regressions.length > 0).length,
    outsidePlan: rs.filter((r) => r.outsidePlan.length > 0).length,
    rollbackBad: rs.filter((r) => typeof r.rollback === 'object').length,
  };
}

export interface Summary {
  byKind: Row[];
  byFramework: Row[];
  total: Row;
}

export function summarize(run: Pick<CorpusRun, 'results'>): Summary {
  const rs = run.results;
  return {
    byKind: KINDS.filter((k) => rs.some((r) => r.fault.kind === k)).map((k) => row(k, rs.filter((r) => r.fault.kind === k))),
    byFramework: ['fastapi', 'flask', 'express'].filter((f) => rs.some((r) => r.fault.framework === f)).map((f) => row(f, rs.filter((r) => r.fault.framework === f))),
    total: row('all', rs),
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)}%`);

const COLUMNS: Array<[string, (r: Row) => string]> = [
  ['faults', (r) => String(r.faults)],
  ['not obs.', (r) => String(r.notObservable)],
  ['errors', (r) => String(r.errors)],
  ['not detected', (r) => String(r.notDetected)],
  ['detected', (r) => String(r.detected)],
  ['located', (r) => String(r.located)],
  ['rule-fixable', (r) => String(r.fixable)],
  ['planned', (r) => String(r.planned)],
  ['validated', (r) => String(r.validated)],
  ['applied', (r) => String(r.applied)],
  ['fixed', (r) => `${r.fixedFixable}${r.fixed !== r.fixedFixable ? ` (+${r.fixed - r.fixedFixable})` : ''}`],
  ['fix rate', (r) => pct(r.fixRate)],
  ['exact', (r) => String(r.reverted)],
  ['harmful', (r) => String(r.harmful)],
  ['regress.', (r) => String(r.regressions)],
  ['outside plan', (r) => String(r.outsidePlan)],
  ['rollback ≠', (r) => String(r.rollbackBad)],
];

/** Plain-text table for a terminal. */
export function textTable(title: string, rows: Row[]): string {
  const head = [title, ...COLUMNS.map(([h]) => h)];
  const body = rows.map((r) => [r.group, ...COLUMNS.map(([, f]) => f(r))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(title: string, rows: Row[]): string {
  const head = [title, ...COLUMNS.map(([h]) => h)];
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${[r.group, ...COLUMNS.map(([, f]) => f(r))].join(' | ')} |`)].join('\n');
}

/** Detected faults that were not fixed (and unsafe outcomes), one line each with the product's reason. */
export function failures(run: Pick<CorpusRun, 'results'>, maxLine = Infinity): string[] {
  const cut = (l: string) => (l.length > maxLine ? `${l.slice(0, maxLine - 3)}...` : l);
  const out: string[] = [];
  for (const r of run.results) {
    const unsafe = r.harmful || r.regressions.length > 0 || r.outsidePlan.length > 0 || typeof r.rollback === 'object';
    if (!(r.detected && !r.fixed) && !unsafe && r.outcome !== 'error') continue;
    const f = r.fault;
    const recs = r.records.map((x) => {
      const plan = x.planner ? `${x.planner} ${x.operations.join('+')}${x.validation ? `, validation ${x.validation}${x.validationWhy ? ` (${x.validationWhy})` : ''}` : ''}` : `no plan${x.noPlan ? ` (${x.noPlan})` : ''}`;
      return cut(`${x.scenario} [${x.failureType}/${x.strategy}${x.exceptionClass ? ` ${x.exceptionClass}` : ''}]: ${plan}; ${x.reason}`);
    });
    const flags = [
      r.harmful ? 'HARMFUL' : '',
      r.regressions.length ? `regressions: ${r.regressions.join(', ')}` : '',
      r.outsidePlan.length ? `touched outside the plan: ${r.outsidePlan.join(', ')}` : '',
      typeof r.rollback === 'object' ? `rollback: ${JSON.stringify(r.rollback)}` : '',
      r.fault.ruleFixable ? '' : `not rule-fixable${r.fault.note ? `: ${r.fault.note}` : ''}`,
      r.located ? '' : r.detected ? `not located (${r.locations.map((l) => `${l.file ?? '-'}:${l.line ?? ''} ${l.kind}`).join(', ')})` : '',
    ].filter(Boolean);
    out.push(
      `${f.app} ${f.kind} ${f.file}:${f.line} (${f.variant}): ${f.summary}\n    outcome: ${r.outcome}${r.error ? ` (${r.error})` : ''}${flags.length ? `; ${flags.join('; ')}` : ''}${recs.map((x) => `\n    - ${x}`).join('')}`,
    );
  }
  return out;
}

/** Fixed faults whose fix differs from the app as written: what the fix wrote instead (changed lines of its diff). */
export function inexact(run: Pick<CorpusRun, 'results'>): string[] {
  return run.results
    .filter((r) => r.fixed && !r.reverted)
    .map((r) => {
      const lines = r.records
        .filter((x) => x.applied)
        .flatMap((x) => (x.diff ?? '').split('\n').filter((l) => /^[+-](?![+-]{2})/.test(l)))
        .slice(0, 6);
      return `${r.fault.app} ${r.fault.kind} ${r.fault.file}:${r.fault.line}: ${r.fault.summary}\n${lines.map((l) => `    ${l.length > 140 ? `${l.slice(0, 137)}...` : l}`).join('\n')}`;
    });
}

export function textReport(run: CorpusRun): string {
  const s = summarize(run);
  return [
    `machine: ${run.machine}`,
    `faults: ${run.results.length}, ${(run.durationMs / 1000).toFixed(0)} s`,
    '',
    textTable('kind', [...s.byKind, s.total]),
    '',
    textTable('framework', [...s.byFramework, s.total]),
    '',
    'fixed = validated + applied + every scenario green afterwards + no regression; fix rate = fixed / detected faults a rule is meant to fix ("(+n)": fixed faults no rule is meant to fix); exact = fixed and the planted files are byte for byte as written.',
    ...(run.unplantedCatalog.length ? [`catalog entries without an operator: ${run.unplantedCatalog.join(', ')}`] : []),
    ...(Object.keys(run.catalogSites).length ? [`anti-pattern sites per catalog entry: ${Object.entries(run.catalogSites).map(([id, n]) => `${id} ${n}`).join(', ')}`] : []),
  ].join('\n');
}

export function markdownReport(run: CorpusRun, command: string): string {
  const s = summarize(run);
  const kinds = s.byKind.map((r) => `- \`${r.group}\`: ${KIND_TITLES[r.group as keyof typeof KIND_TITLES]}`).join('\n');
  return [
    `Command: \`${command}\``,
    '',
    `Machine: ${run.machine}; ${run.results.length} faults in ${Math.floor(run.durationMs / 60000)} min ${Math.round((run.durationMs % 60000) / 1000)} s (started ${run.startedAt}).`,
    '',
    markdownTable('kind', [...s.byKind, s.total]),
    '',
    markdownTable('framework', [...s.byFramework, s.total]),
    '',
    `Anti-pattern sites per catalog entry: ${Object.entries(run.catalogSites).map(([id, n]) => `\`${id}\` ${n}`).join(', ')}.`,
    '',
    kinds,
  ].join('\n');
}
