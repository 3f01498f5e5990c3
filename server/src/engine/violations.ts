import type { Frame, ScenarioResult, SourceLocation, Trace, Violation } from './model';

/**
 * The frame closest to where the exception was raised that lives in the workspace. Python prints
 * the most recent call last, V8 first. For a chain, the last exception is searched first, then its
 * causes from the newest back.
 */
export function innermostWorkspaceFrame(trace: Trace): Frame | undefined {
  const lists = [trace.frames, ...trace.causes.map((c) => c.frames).reverse()];
  for (const frames of lists) {
    const ordered = trace.language === 'python' ? [...frames].reverse() : frames;
    const hit = ordered.find((f) => f.inWorkspace);
    if (hit) return hit;
  }
  return undefined;
}

const MAX_DETAIL = 200;

/** `POST /carts/{cart_id}/items → 500 (expected 201): KeyError: 'price'` */
export function describeViolation(r: ScenarioResult, trace?: Trace): string {
  const got = r.status ? String(r.status) : r.errorCode ?? 'no answer';
  let detail: string;
  if (trace) detail = trace.message ? `${trace.exceptionClass}: ${trace.message}` : trace.exceptionClass;
  else if (r.failures.length) detail = r.failures.join('; ');
  else detail = r.bodyExcerpt.replace(/\s+/g, ' ').trim();
  detail = detail.split('\n')[0];
  if (detail.length > MAX_DETAIL) detail = detail.slice(0, MAX_DETAIL - 1) + '…';
  return `${r.method} ${r.path} → ${got} (expected ${r.expectedStatus})${detail ? `: ${detail}` : ''}`;
}

/** `Cannot find package 'dayjs' imported from /app/src/routes/events.js` (ES modules name the importer, not a frame). */
const IMPORTED_FROM = /Cannot find (?:package|module) '([^']+)' imported from (\S+)/;

/**
 * Where a module that cannot be loaded is imported, when the trace has no frame in the workspace
 * but its message names the importing file (Node's ES module loader): the line of that file that
 * imports the module, found as a developer would, by reading it.
 */
export function importerLocation(
  trace: Trace,
  mapPath: (raw: string) => { file: string; inWorkspace: boolean },
  read: (file: string) => string | undefined,
): SourceLocation | undefined {
  for (const t of [trace, ...[...trace.causes].reverse()]) {
    const m = IMPORTED_FROM.exec(t.message);
    if (!m) continue;
    const raw = m[2].replace(/^file:\/\//, '');
    const mapped = mapPath(decodeURIComponent(raw));
    if (!mapped.inWorkspace) continue;
    const text = read(mapped.file);
    if (text === undefined) continue;
    const specifier = m[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const quoted = new RegExp(`(['"\`])${specifier}(?:/[^'"\`]*)?\\1`);
    const lines = text.split('\n');
    const at = lines.findIndex((l) => quoted.test(l) && /\b(?:import|require|from)\b/.test(l));
    return { file: mapped.file, line: at >= 0 ? at + 1 : 1 };
  }
  return undefined;
}

const SOURCE_WORDS: Record<NonNullable<Violation['traceSource']>, string> = {
  container: "the container's log",
  process: "the process's output",
  file: 'the log file',
  command: 'the log command',
  body: 'the response body',
};

const ATTRIBUTION_WORDS: Partial<Record<NonNullable<Violation['attribution']>, string>> = {
  window: 'logged while no other request was in flight',
  rerun: 'pinned by running the scenario again alone',
  body: "the response's own body",
  startup: "the app's start-up output",
};

/** Where a violation's trace came from and how sure it is, or why it has none. */
export function describeTraceOrigin(v: Violation): string | undefined {
  if (v.trace) {
    const from = v.traceSource ? SOURCE_WORDS[v.traceSource] : 'the log';
    const how = v.attribution ? ATTRIBUTION_WORDS[v.attribution] : undefined;
    return `trace from ${from}${how ? `, ${how}` : ''}`;
  }
  if (v.attribution === 'unpinned') return `trace unpinned: ${v.attributionNote ?? 'other requests ran at the same time'}`;
  return undefined;
}
