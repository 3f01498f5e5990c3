/**
 * The run report a Repair History row opens (client/src/runReportHtml.ts): one point per smoke run
 * placed by its pass rate, the fixes by type summed over the iterations, what is left for a person,
 * hostile text escaped, and no script under a policy that allows nonce'd styles only. The report
 * opening in the real VS Code is checked by the end-to-end suite (test/e2e/repairLoopCheck.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHART, chartPoints, fixesByType, runReportHtml } from '../../client/src/runReportHtml';
import { historyRunSchema, type HistoryRun } from '../../server/src/protocol';

const fix = (title: string, applied: boolean, reason: string) => ({ recordId: `run-1-0${title.length}`, title, applied, reason, passRateBefore: 0.5, hasDiff: applied, planner: 'rules', label: 'safe', validation: 'passed' });

const run: HistoryRun = historyRunSchema.parse({
  id: 'loop-1a2b3c4d',
  kind: 'loop',
  startedAt: Date.UTC(2026, 10, 23, 20, 0, 0),
  passRateBefore: 0.5,
  passRateAfter: 0.9,
  stopReason: 'plateau',
  stopDetail: 'iteration 3 gained nothing (9/10 → 9/10)',
  target: 1,
  escalation: [{ scenario: 'order total', message: 'GET /orders/{id} → 200: total 12.5 ≠ 37.5', tried: 'no plan: no rule applies' }],
  pending: [{ scenario: 'add tag', title: 'mount the tags router', approvalId: 'apr-20261123T200000-abcdef' }],
  iterations: [
    { n: 1, passRateBefore: 0.5, passRateAfter: 0.8, fixesByType: { add_import: 2, set_status_code: 1 }, fixes: [fix('get user: import uuid', true, 'applied: safe and validated')] },
    { n: 2, passRateBefore: 0.8, passRateAfter: 0.9, fixesByType: { add_import: 1 }, fixes: [fix('<script>alert(1)</script> & "x"', true, "applied: it's fine")] },
    { n: 3, passRateBefore: 0.9, passRateAfter: 0.9, fixesByType: {}, rolledBack: ['list users'], fixes: [fix('list users: route', false, 'validation failed: the scenario still fails')] },
  ],
});

describe('the run report', () => {
  test('one point per smoke run, placed by its pass rate, left to right', () => {
    const points = chartPoints(run);
    assert.deepEqual(points.map((p) => [p.n, p.rate]), [[0, 0.5], [1, 0.8], [2, 0.9], [3, 0.9]]);
    const h = CHART.height - CHART.top - CHART.bottom;
    for (const p of points) assert.equal(p.y, Math.round((CHART.top + (1 - p.rate) * h) * 10) / 10);
    assert.equal(points[0]!.x, CHART.left);
    assert.equal(points.at(-1)!.x, CHART.width - CHART.right);
    assert.ok(points.every((p, i) => i === 0 || p.x > points[i - 1]!.x));
    // A pass on its own: two points (before, after).
    const pass = historyRunSchema.parse({ ...run, kind: 'pass', iterations: [run.iterations[0]] });
    assert.deepEqual(chartPoints(pass).map((p) => p.rate), [0.5, 0.8]);
  });

  test('fixes by type are summed over the iterations, most first', () => {
    assert.deepEqual(fixesByType(run), [['add_import', 3], ['set_status_code', 1]]);
  });

  test('the page: the chart with its points and target, the fixes, what is left, text escaped, no script', () => {
    const html = runReportHtml(run, { cspSource: 'vscode-webview://x', nonce: 'n0nce' });
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src vscode-webview:\/\/x; style-src 'nonce-n0nce';">/);
    assert.match(html, /<style nonce="n0nce">/);
    assert.doesNotMatch(html, /<script/i, 'no script: the hostile title is escaped');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;x&quot;/);
    assert.match(html, /it&#39;s fine/);
    assert.equal((html.match(/<circle class="point"/g) ?? []).length, 4);
    assert.match(html, /aria-label="Pass rate per iteration: 50%, 80%, 90%, 90%"/);
    assert.match(html, /target 100%/);
    assert.match(html, /<h1>Repair loop 50% → 90%<\/h1>/);
    assert.match(html, /Stopped: <strong>plateau<\/strong> \(iteration 3 gained nothing/);
    assert.match(html, /<th scope="row">add_import<\/th><td><svg[^>]*><rect class="bar" x="0" y="1" height="10" width="200"\/>/);
    assert.match(html, /<th scope="row">set_status_code<\/th><td><svg[^>]*><rect class="bar" x="0" y="1" height="10" width="67"\/>/);
    assert.match(html, /Left for a person<\/h2><ul><li><strong>order total<\/strong>: GET \/orders\/\{id\} → 200: total 12\.5 ≠ 37\.5<br><span class="meta">tried: no plan: no rule applies/);
    assert.match(html, /Waiting for your approval<\/h2><ul><li><strong>add tag<\/strong>: mount the tags router <span class="meta">\(apr-20261123T200000-abcdef, in Pending Approvals\)/);
    assert.match(html, /<h3>Iteration 3: 90% → 90% \(rolled back: list users regressed\)<\/h3>/);
    assert.match(html, /<li class="not-applied"><strong>list users: route<\/strong>.*not applied: validation failed: the scenario still fails/);
  });
});
