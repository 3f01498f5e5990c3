import type { SmokeReport, Trace, Violation } from '../model';
import { describeTraceOrigin } from '../violations';

function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text.replace(/\n$/, '')}\n${ticks}`;
}

function frameList(trace: Trace): string {
  const rows = trace.frames.map((f) => `| ${f.inWorkspace ? '✔' : ''} | \`${f.file}:${f.line}\` | \`${f.function}\` |`);
  return ['| in workspace | file | function |', '|---|---|---|', ...rows].join('\n');
}

/**
 * The full story of one violation, as Markdown: the request, the response, the classification,
 * the server's trace with its frames, and the log lines of the request's window.
 */
export function renderViolationReport(v: Violation, report?: SmokeReport): string {
  const out: string[] = [];
  out.push(`# ${v.method} ${v.path} → ${v.actualStatus || 'no answer'} (expected ${v.expectedStatus})`, '');
  out.push(`Scenario **${v.scenario}**${report ? ` against ${report.baseUrl} (${report.runtime})` : ''}.`, '');
  out.push(`- Failure type: **${v.failureType}**, repair strategy: **${v.strategy}**${v.retryable ? ' (a retry may help)' : ''}`);
  if (v.signals.length) out.push(`- Signals: ${v.signals.join('; ')}`);
  if (v.location) out.push(`- Location: \`${v.location.file}:${v.location.line}\` (${v.locationKind})`);
  const origin = describeTraceOrigin(v);
  if (origin) out.push(`- ${origin.charAt(0).toUpperCase()}${origin.slice(1)}`);
  out.push(`- When: ${new Date(v.window.startedAt).toISOString()} (${v.window.endedAt - v.window.startedAt} ms)`, '');
  out.push('## Request', '', fence(`${v.request.method} ${v.request.path}${v.request.body !== undefined ? `\n\n${JSON.stringify(v.request.body, null, 2)}` : ''}`, 'http'), '');
  out.push('## Response', '', fence(`${v.response.status || 'no answer'}\n\n${v.response.bodyExcerpt}`), '');
  if (v.trace) {
    out.push(`## Trace: ${v.trace.exceptionClass}${v.trace.message ? `: ${v.trace.message}` : ''}`, '');
    for (const c of v.trace.causes) out.push(`- ${c.relation === 'cause' ? 'caused by' : 'while handling'} ${c.exceptionClass}: ${c.message}`);
    if (v.trace.causes.length) out.push('');
    out.push(frameList(v.trace), '', fence(v.trace.text, v.trace.language === 'python' ? 'python' : 'js'), '');
  }
  if (v.logExcerpt) out.push('## Server log for this request', '', fence(v.logExcerpt), '');
  return out.join('\n');
}
