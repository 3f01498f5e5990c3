import type { ScenarioResult, Violation } from '../model';
import type { CiReport } from './ci';
import { percent, placeText, violationPlace } from './places';

/**
 * The JUnit XML report, for test dashboards: one `<testsuite>` named smoke-repair with one
 * `<testcase>` per scenario (classname the request, name the scenario), a `<failure>` with the
 * violation's message and trace for each failing one, `<skipped/>` for each skipped one. The
 * shape Jenkins and Ant define (jenkins-junit.xsd); GitLab, Azure DevOps and the JUnit report
 * actions read it.
 */

/**
 * Text that XML 1.0 can carry: characters it forbids (C0 controls other than tab, line feed and
 * carriage return; U+FFFE, U+FFFF; lone surrogates) are written out as `\xNN` / `\uNNNN`, so an
 * escape sequence in a log line stays visible instead of making the document unreadable.
 */
export function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Element text: `&`, `<` and `>` escaped (`>` for `]]>`), carriage returns as references (a parser turns a bare CR LF into LF). */
export function xmlText(text: string): string {
  return xmlSafe(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** An attribute value in double quotes: line breaks and tabs as character references, so they survive attribute normalisation. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

function element(name: string, attrs: Record<string, string | number | undefined>, body?: string): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
  return body === undefined ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

/** What a failure's element says: the message, where, the classification, then the trace (or what the response was). */
function failureBody(v: Violation, workspace: string, result?: ScenarioResult): string {
  const place = violationPlace(v, workspace);
  const lines = [v.message];
  if (place) lines.push(`at ${placeText(place)} (${v.locationKind})`);
  lines.push(`failure type ${v.failureType}, repair strategy ${v.strategy}`);
  if (v.trace) lines.push('', v.trace.text.replace(/\n+$/, ''));
  else {
    const reasons = result?.failures ?? [];
    if (reasons.length) lines.push('', ...reasons);
    if (v.response.bodyExcerpt) lines.push('', `response ${v.response.status || 'none'}:`, v.response.bodyExcerpt);
  }
  return lines.join('\n');
}

function testcase(r: ScenarioResult | undefined, v: Violation | undefined, workspace: string): string {
  const method = r?.method ?? v!.method;
  const route = r?.path ?? v!.path;
  const attrs = { classname: `${method} ${route}`, name: r?.name ?? v!.scenario, time: seconds(r?.durationMs ?? 0) };
  const parts: string[] = [];
  if (r?.skipped) {
    parts.push('<skipped/>');
    if (r.failures.length) parts.push(element('system-out', {}, xmlText(r.failures.join('\n'))));
  } else if (v) {
    parts.push(element('failure', { message: v.message, type: v.trace?.exceptionClass ?? v.failureType }, xmlText(failureBody(v, workspace, r))));
    if (v.logExcerpt) parts.push(element('system-out', {}, xmlText(v.logExcerpt)));
  } else if (r && !r.ok) {
    const message = r.failures.join('; ') || `${method} ${route} → ${r.status || r.errorCode || 'no answer'} (expected ${r.expectedStatus})`;
    parts.push(element('failure', { message, type: r.errorCode ?? 'TEST_ASSERT' }, xmlText([message, r.bodyExcerpt].filter(Boolean).join('\n\n'))));
  }
  return parts.length ? element('testcase', attrs, `\n    ${parts.join('\n    ')}\n  `) : element('testcase', attrs);
}

export function junitReport(report: CiReport): string {
  const { smoke, loop } = report;
  const byScenario = new Map(smoke.violations.map((v) => [v.scenarioId, v]));
  const cases = smoke.scenarios.map((r) => testcase(r, byScenario.get(r.scenarioId), smoke.workspace));
  // A violation without a scenario result (none is expected) is still a failing test case.
  const seen = new Set(smoke.scenarios.map((r) => r.scenarioId));
  const orphans = smoke.violations.filter((v) => !seen.has(v.scenarioId));
  cases.push(...orphans.map((v) => testcase(undefined, v, smoke.workspace)));
  const skipped = smoke.scenarios.filter((r) => r.skipped).length;
  const failures = smoke.scenarios.filter((r) => !r.ok && !r.skipped).length + orphans.length;
  const properties = [
    ['baseUrl', smoke.baseUrl],
    ['runtime', smoke.runtime],
    ['configFile', smoke.configFile],
    ['passRate', percent(smoke.passRate)],
    ...(loop ? [['repairLoop', `${loop.id}: ${loop.iterations.length} iteration(s), stopped: ${loop.stopReason ?? 'unfinished'}`]] : []),
  ].map(([name, value]) => element('property', { name, value }));
  const suite = element(
    'testsuite',
    {
      name: 'smoke-repair',
      tests: cases.length,
      failures,
      errors: 0,
      skipped,
      time: seconds(smoke.durationMs),
      timestamp: new Date(smoke.startedAt).toISOString().slice(0, 19),
    },
    `\n  <properties>\n    ${properties.join('\n    ')}\n  </properties>\n${cases.map((c) => `  ${c}\n`).join('')}`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${suite}\n`;
}
