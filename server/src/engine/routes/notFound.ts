/**
 * Whether a 404 came from routing (no route matched) or from a handler (the route matched and the
 * handler said a record is missing), judged from the response body. A route fix made for a 404 a
 * handler answered would move a working route, so the routing rules stay out of it.
 */

export type NotFoundSource = 'routing' | 'handler' | 'unknown';

/** Bodies the frameworks answer when no route matches. Werkzeug's is also what `abort(404)` answers, so it says nothing. */
const FRAMEWORK_ROUTING = [
  /^\s*\{\s*"detail"\s*:\s*"Not Found"\s*\}\s*$/, // FastAPI / Starlette
  /^\s*Not Found\s*$/, // Starlette plain text
  /Cannot (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \//, // Express's final handler
  /\bno (?:such )?route\b|\broute not found\b|\bunknown (?:route|endpoint|path)\b|\bno handler for\b/i,
];

/** Words that name no record: "page not found", "resource not found" say nothing about which. */
const GENERIC_SUBJECT = /^(?:the\s+)?(?:page|route|path|url|endpoint|resource|requested url|requested resource|file|item requested|object|entity|record|it|error|not)$/i;

export function notFoundSource(body: string): NotFoundSource {
  const text = body.trim();
  if (!text) return 'unknown';
  if (FRAMEWORK_ROUTING.some((re) => re.test(text))) return 'routing';
  const plain = text.replace(/<[^>]+>/g, ' ').replace(/\\"/g, '"');
  for (const m of plain.matchAll(/([A-Za-z][\w'-]*(?:\s+[\w'-]+){0,3}?)\s+(?:was\s+|is\s+)?not\s+found\b/gi)) {
    const subject = m[1]!.replace(/^(?:error|detail|message)\W*/i, '').trim();
    if (subject && !GENERIC_SUBJECT.test(subject) && !/\b(?:not|found|404)\b/i.test(subject)) return 'handler';
  }
  if (/\b(?:does not|doesn't|do not|don't) exist\b|\bno (?:\w+ )?with (?:id|that)\b|\bunknown (?:id|\w+ id)\b/i.test(plain)) return 'handler';
  return 'unknown';
}
