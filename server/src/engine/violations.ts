import type { Frame, ScenarioResult, Trace } from './model';

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
