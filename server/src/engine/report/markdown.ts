import * as path from 'node:path';
import type { LoopRecord } from '../loop';
import type { CiReport, StoredRepairRecord } from './ci';
import { percent, placeText, violationPlace } from './places';

/**
 * The Markdown report, for a CI job's summary page: the pass rate, a table of the failing
 * scenarios with where each failed (`path:line`, linked to the code host when it is known), the
 * skipped ones, the last repair loop's iterations with why it stopped, and the fixes recorded.
 */

/** The URL of a workspace file's line, when the report is read where the code is hosted. */
export type SourceLink = (file: string, line: number) => string | undefined;

/**
 * Links to the commit under test on GitHub, from the variables a GitHub Actions job has
 * (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_WORKSPACE); undefined elsewhere, or
 * when the workspace is not inside the checkout.
 */
export function githubSourceLink(env: Record<string, string | undefined>, workspace: string): SourceLink | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_SHA: sha, GITHUB_WORKSPACE: checkout } = env;
  if (!server || !repo || !sha || !checkout) return undefined;
  const prefix = path.relative(path.resolve(checkout), path.resolve(workspace));
  if (prefix.startsWith('..') || path.isAbsolute(prefix)) return undefined;
  const base = `${server.replace(/\/+$/, '')}/${repo}/blob/${sha}`;
  return (file, line) => `${base}/${[...prefix.split(path.sep).filter(Boolean), ...file.split('/')].map(encodeURIComponent).join('/')}#L${line}`;
}

/** Text for a table cell: one line, Markdown and HTML syntax escaped. */
export function cell(text: string, max = 300): string {
  let t = text.replace(/\s+/g, ' ').trim();
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return t
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*[\]~|]/g, (c) => `\\${c}`)
    // `_` inside a word (`cart_id`) emphasises nothing in GitHub's Markdown; elsewhere it may.
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_');
}

/** A code span that survives a table: backticks longer than any run inside, pipes escaped. */
function code(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  const ticks = '`'.repeat(Math.max(0, ...[...t.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${t.replace(/\|/g, '\\|')}${pad}${ticks}`;
}

const when = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
const secondsText = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const byType = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function loopSection(loop: LoopRecord): string[] {
  const out = ['## Last repair loop', ''];
  const rate = loop.passRateStart !== undefined && loop.passRateEnd !== undefined ? `${percent(loop.passRateStart)} → ${percent(loop.passRateEnd)}` : 'no pass finished';
  out.push(
    `${code(loop.id)}, started ${when(loop.startedAt)}: ${rate} (target ${percent(loop.target)}) in ${loop.iterations.length} of at most ${loop.maxIterations} iteration(s); ` +
      `stopped: **${loop.stopReason ?? 'unfinished'}**${loop.stopDetail ? ` (${cell(loop.stopDetail)})` : ''}.`,
    '',
  );
  if (loop.iterations.length) {
    const rows = loop.iterations.map((it) => [
      String(it.n),
      `${it.passedBefore}/${it.total} (${percent(it.passRateBefore)})`,
      `${it.passedAfter}/${it.total} (${percent(it.passRateAfter)})`,
      it.rolledBack ? `rolled back: ${cell(it.rolledBack.regressed.join(', '))} regressed` : cell(byType(it.fixesByType)) || '–',
      secondsText(it.durationMs),
    ]);
    out.push(...table(['Iteration', 'Before', 'After', 'Fixes applied', 'Time'], rows), '');
  }
  const kept: Record<string, number> = {};
  for (const it of loop.iterations) if (!it.rolledBack) for (const [t, n] of Object.entries(it.fixesByType)) kept[t] = (kept[t] ?? 0) + n;
  out.push(`Fixes kept, by type: ${cell(byType(kept)) || 'none'}.`, '');
  if (loop.escalation?.length) {
    out.push(`Left for a person (${loop.escalation.length}):`, '');
    for (const e of loop.escalation) out.push(`- **${cell(e.scenario)}**: ${cell(e.message)}; tried: ${cell(e.tried)}`);
    out.push('');
  }
  return out;
}

function outcome(r: StoredRepairRecord): string {
  if (r.applied) return 'applied';
  return cell(r.reason || (r.noPlan ? `no plan: ${r.noPlan.reason}` : 'not applied'), 200);
}

function recordsSection(records: StoredRepairRecord[]): string[] {
  const applied = records.filter((r) => r.applied).length;
  const rows = records.map((r) => [
    cell(r.violation.scenario),
    r.plan ? cell([...new Set(r.plan.operations.map((o) => o.type))].join(', ')) : '–',
    r.plan ? r.plan.files.map(code).join(' ') : '–',
    r.planner ? cell(r.planner) : '–',
    outcome(r),
  ]);
  return [`## Fixes recorded (${applied} applied of ${records.length})`, '', ...table(['Scenario', 'Fix', 'Files', 'Planner', 'Outcome'], rows), ''];
}

export function markdownReport(report: CiReport, opts: { link?: SourceLink } = {}): string {
  const { smoke, loop, records, problems } = report;
  const out: string[] = [];
  out.push(`# Smoke Repair: ${smoke.passed} of ${smoke.total} scenario${smoke.total === 1 ? '' : 's'} pass (${percent(smoke.passRate)})`, '');
  out.push(`Against ${cell(smoke.baseUrl)} (${cell(smoke.runtime)}), ${when(smoke.startedAt)}, ${secondsText(smoke.durationMs)}.`, '');
  if (smoke.foreignApp) out.push(`> **Note:** ${cell(smoke.foreignApp, 1000)}`, '');
  for (const w of smoke.warnings ?? []) out.push(`> **Warning:** ${cell(w, 1000)}`, '');

  if (smoke.violations.length) {
    const rows = smoke.violations.map((v) => {
      const place = violationPlace(v, smoke.workspace);
      const url = place && opts.link?.(place.file, place.line);
      const where = place ? (url ? `[${code(placeText(place))}](${url.replace(/\(/g, '%28').replace(/\)/g, '%29')})` : code(placeText(place))) : '–';
      return [cell(v.scenario), cell(v.message), `${v.failureType} / ${v.strategy}`, where];
    });
    out.push(`## Failing scenarios (${smoke.violations.length})`, '', ...table(['Scenario', 'Failure', 'Type / strategy', 'Where'], rows), '');
  } else if (smoke.total > 0 && smoke.passed === smoke.total) {
    out.push('Every scenario passes.', '');
  }
  const skipped = smoke.scenarios.filter((s) => s.skipped);
  if (skipped.length) {
    out.push(`## Skipped (${skipped.length})`, '');
    for (const s of skipped) out.push(`- **${cell(s.name)}** (${code(`${s.method} ${s.path}`)}): ${cell(s.failures.join('; ') || 'skipped')}`);
    out.push('');
  }
  if (loop) out.push(...loopSection(loop));
  if (records.length) out.push(...recordsSection(records));
  if (problems.length) {
    out.push('## Records that could not be read', '');
    for (const p of problems) out.push(`- ${code(p.file)}: ${cell(p.error)}`);
    out.push('');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
