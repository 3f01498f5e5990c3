/**
 * What makes two failures "the same kind": the exception class, the shape of its message (the
 * names, numbers and quoted values of this site taken out), the endpoint as a pattern (parameters
 * unnamed), the status and the failure type. A pattern learned at one site is looked up by these.
 */

export interface FailureSignature {
  exceptionClass?: string;
  /** The message with this site's values replaced: `name '{}' is not defined`. */
  messageShape?: string;
  /** `POST /carts/{}/items`. */
  endpoint: string;
  status: number;
  failureType: string;
  strategy?: string;
  language?: string;
  framework?: string;
}

/** The values of a message that belong to its site, in order, as `messageShape` took them out. */
export function messageValues(message: string): string[] {
  return [...shapeMatches(message)].map((m) => m.value);
}

const QUOTED = /'([^'\n]{1,200})'|"([^"\n]{1,200})"|`([^`\n]{1,200})`/g;
const NUMBER = /\b\d+(?:\.\d+)?\b/g;

function* shapeMatches(message: string): Generator<{ index: number; length: number; value: string }> {
  const spans: Array<{ index: number; length: number; value: string }> = [];
  for (const m of message.matchAll(QUOTED)) spans.push({ index: m.index, length: m[0].length, value: m[1] ?? m[2] ?? m[3] ?? '' });
  for (const m of message.matchAll(NUMBER)) {
    if (spans.some((s) => m.index >= s.index && m.index < s.index + s.length)) continue;
    spans.push({ index: m.index, length: m[0].length, value: m[0] });
  }
  yield* spans.sort((a, b) => a.index - b.index);
}

/**
 * The message without its site's values: quoted names and numbers become `{}` (keeping the quotes,
 * so `'{}'` still reads as a name), and what follows the first line is left out. Bounded.
 */
export function messageShape(message: string | undefined): string | undefined {
  if (!message) return undefined;
  const line = message.split('\n')[0]!.trim().slice(0, 300);
  let out = '';
  let at = 0;
  for (const m of shapeMatches(line)) {
    const quote = /^['"`]/.test(line[m.index] ?? '') ? line[m.index]! : '';
    out += line.slice(at, m.index) + (quote ? `${quote}{}${quote}` : '{}');
    at = m.index + m.length;
  }
  return (out + line.slice(at)).replace(/\s+/g, ' ').trim() || undefined;
}

/** `POST /carts/{cart_id}/items` → `POST /carts/{}/items`; a concrete id segment is a parameter too. */
export function endpointPattern(method: string, pathTemplate: string): string {
  const pathOnly = pathTemplate.split('?')[0]!;
  const segments = pathOnly.split('/').map((s) => (/^\{[^}]*\}$|^:\w+$/.test(s) || /^\d+$/.test(s) || /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(s) ? '{}' : s));
  return `${method.toUpperCase()} ${segments.join('/') || '/'}`;
}

/** The key of a signature for lookups: exception class and endpoint, or exception class and message shape. */
export function lookupKeys(s: Pick<FailureSignature, 'exceptionClass' | 'endpoint' | 'messageShape' | 'failureType' | 'status'>): { byEndpoint: string; byShape: string } {
  const cls = s.exceptionClass ?? `${s.failureType}/${s.status}`;
  return { byEndpoint: `${cls}\u0000${s.endpoint}`, byShape: `${cls}\u0000${s.messageShape ?? ''}` };
}
