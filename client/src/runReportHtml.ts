import type { HistoryRun } from '../../server/src/protocol';

/**
 * The run report a Repair History row opens: the pass rate per iteration as a chart, the fixes by
 * type, each iteration's fixes (applied or why not), and what is left for a person. Plain HTML and
 * inline SVG, no script: the webview's content security policy allows styles with a nonce only.
 * A pure function of the run, so it is tested without an editor.
 */

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** As the Repair History shows rates: whole percentages. */
const pct = (r: number) => `${Math.round(r * 100)}%`;

/** The chart's geometry: a point per smoke run (the start, then after each iteration). */
export const CHART = { width: 560, height: 240, left: 48, right: 16, top: 16, bottom: 36 } as const;

/** Each point of the pass-rate line: x (iteration, 0 = before the first), the rate, and its place in the SVG. */
export function chartPoints(run: HistoryRun): Array<{ n: number; rate: number; x: number; y: number }> {
  const rates = [run.iterations[0]?.passRateBefore ?? run.passRateBefore, ...run.iterations.map((it) => it.passRateAfter)];
  const w = CHART.width - CHART.left - CHART.right;
  const h = CHART.height - CHART.top - CHART.bottom;
  const step = rates.length > 1 ? w / (rates.length - 1) : 0;
  return rates.map((rate, n) => ({ n, rate, x: Math.round((CHART.left + n * step) * 10) / 10, y: Math.round((CHART.top + (1 - rate) * h) * 10) / 10 }));
}

function chart(run: HistoryRun): string {
  const points = chartPoints(run);
  const h = CHART.height - CHART.top - CHART.bottom;
  const grid = [0, 0.25, 0.5, 0.75, 1].map((r) => {
    const y = CHART.top + (1 - r) * h;
    return `<line class="grid" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y}" y2="${y}"/><text class="axis" x="${CHART.left - 6}" y="${y + 4}" text-anchor="end">${r * 100}%</text>`;
  });
  const target =
    run.target !== undefined
      ? `<line class="target" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${CHART.top + (1 - run.target) * h}" y2="${CHART.top + (1 - run.target) * h}"/><text class="axis" x="${CHART.width - CHART.right}" y="${CHART.top + (1 - run.target) * h - 4}" text-anchor="end">target ${pct(run.target)}</text>`
      : '';
  const labels = points.map((p) => `<text class="axis" x="${p.x}" y="${CHART.height - CHART.bottom + 16}" text-anchor="middle">${p.n === 0 ? 'start' : p.n}</text>`);
  const dots = points.map((p) => `<circle class="point" cx="${p.x}" cy="${p.y}" r="4"><title>${p.n === 0 ? 'before the first iteration' : `after iteration ${p.n}`}: ${pct(p.rate)}</title></circle>`);
  const line = `<polyline class="line" points="${points.map((p) => `${p.x},${p.y}`).join(' ')}"/>`;
  return `<svg class="chart" viewBox="0 0 ${CHART.width} ${CHART.height}" width="${CHART.width}" height="${CHART.height}" role="img" aria-label="Pass rate per iteration: ${points.map((p) => pct(p.rate)).join(', ')}">${grid.join('')}${target}${line}${dots.join('')}${labels.join('')}<text class="axis" x="${CHART.left + (CHART.width - CHART.left - CHART.right) / 2}" y="${CHART.height - 4}" text-anchor="middle">iteration</text></svg>`;
}

/** Applied fixes by operation type over the whole run, most first. */
export function fixesByType(run: HistoryRun): Array<[string, number]> {
  const out: Record<string, number> = {};
  for (const it of run.iterations) for (const [t, n] of Object.entries(it.fixesByType)) out[t] = (out[t] ?? 0) + n;
  return Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function byType(run: HistoryRun): string {
  const rows = fixesByType(run);
  if (rows.length === 0) return '<p>No fix was applied.</p>';
  const max = Math.max(...rows.map(([, n]) => n));
  return `<table class="types">${rows
    .map(([t, n]) => `<tr><th scope="row">${esc(t)}</th><td><svg width="200" height="12" aria-hidden="true"><rect class="bar" x="0" y="1" height="10" width="${Math.round((n / max) * 200)}"/></svg></td><td class="n">${n}</td></tr>`)
    .join('')}</table>`;
}

function iterations(run: HistoryRun): string {
  return run.iterations
    .map((it) => {
      const head = `${run.kind === 'loop' ? `Iteration ${it.n}` : 'The pass'}: ${pct(it.passRateBefore)} → ${pct(it.passRateAfter)}${it.rolledBack ? ` (rolled back: ${esc(it.rolledBack.join(', '))} regressed)` : ''}`;
      const fixes = it.fixes
        .map((f) => `<li class="${f.applied ? 'applied' : 'not-applied'}"><strong>${esc(f.title)}</strong> <span class="meta">${esc([f.planner, f.label, f.validation ? `validation ${f.validation}` : undefined].filter(Boolean).join(' · '))}</span><br>${f.applied ? 'applied' : 'not applied'}: ${esc(f.reason)}</li>`)
        .join('');
      return `<h3>${head}</h3><ul class="fixes">${fixes || '<li>No failure was planned.</li>'}</ul>`;
    })
    .join('');
}

function left(run: HistoryRun): string {
  const parts: string[] = [];
  if (run.escalation?.length) parts.push(`<h2>Left for a person</h2><ul>${run.escalation.map((e) => `<li><strong>${esc(e.scenario)}</strong>: ${esc(e.message)}<br><span class="meta">tried: ${esc(e.tried)}</span></li>`).join('')}</ul>`);
  if (run.pending?.length) parts.push(`<h2>Waiting for your approval</h2><ul>${run.pending.map((p) => `<li><strong>${esc(p.scenario)}</strong>: ${esc(p.title)}${p.approvalId ? ` <span class="meta">(${esc(p.approvalId)}, in Pending Approvals)</span>` : ''}</li>`).join('')}</ul>`);
  return parts.join('');
}

export function runReportHtml(run: HistoryRun, page: { cspSource: string; nonce: string }): string {
  const title = `${run.kind === 'loop' ? 'Repair loop' : 'Repair pass'} ${pct(run.passRateBefore)} → ${run.passRateAfter !== undefined ? pct(run.passRateAfter) : '…'}`;
  const applied = run.iterations.reduce((n, it) => n + it.fixes.filter((f) => f.applied).length, 0);
  const stopped = run.stopReason ? `<p>Stopped: <strong>${esc(run.stopReason)}</strong>${run.stopDetail ? ` (${esc(run.stopDetail)})` : ''}</p>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${page.cspSource}; style-src 'nonce-${page.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style nonce="${page.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 20px 20px; }
.meta, .axis { color: var(--vscode-descriptionForeground); fill: var(--vscode-descriptionForeground); font-size: 11px; }
.grid { stroke: var(--vscode-editorWidget-border, #8884); stroke-width: 1; }
.target { stroke: var(--vscode-charts-green, #3c3); stroke-dasharray: 4 3; }
.line { fill: none; stroke: var(--vscode-charts-blue, #38f); stroke-width: 2; }
.point { fill: var(--vscode-charts-blue, #38f); }
.bar { fill: var(--vscode-charts-purple, #a6f); }
table.types th { text-align: left; font-weight: normal; padding-right: 12px; }
td.n { padding-left: 8px; }
ul.fixes li { margin-bottom: 6px; }
li.applied strong::before { content: "✓ "; color: var(--vscode-charts-green, #3c3); }
li.not-applied strong::before { content: "○ "; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(run.id)} · started ${esc(new Date(run.startedAt).toISOString())} · ${run.iterations.length} iteration(s) · ${applied} fix(es) applied</p>
${stopped}
<h2>Pass rate per iteration</h2>
${chart(run)}
<h2>Fixes by type</h2>
${byType(run)}
${left(run)}
<h2>${run.kind === 'loop' ? 'Iterations' : 'Fixes'}</h2>
${iterations(run)}
</body>
</html>
`;
}
