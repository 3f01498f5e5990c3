import * as path from 'node:path';
import { normaliseRoutePath } from './normalise';
import { matchSegments, segmentsOf } from './pattern';

/**
 * Which declared route answers a request. A route whose every mount is known answers at its full
 * paths; one below a mount computed at run time answers at some path ending with its tail, so it
 * matches only by that tail, helped by its module's name (`routes/attendees.js` under
 * `.../attendees`); a route of a router nobody includes is matched the same way, for placing a
 * diagnostic only. Two different declarations that explain a request equally well are reported as
 * rivals, so a caller can say it is unsure instead of picking one.
 */

export interface RouteCandidate {
  /** Upper-case method, `*` for any. */
  method: string;
  /** Normalised full paths. */
  full: string[];
  /** Normalised paths below a mount computed at run time. */
  tails: string[];
  /** Normalised own paths of a route whose router is never included. */
  own: string[];
  /** Names that say which resource the module serves (`attendees`, `users`). */
  names: string[];
  /** Identity of the declaration: two candidates with one key are the same route. */
  key: string;
}

export type MatchKind = 'full' | 'tail' | 'own';

export interface RouteHit<T> {
  item: T;
  how: MatchKind;
  score: number;
}

const TIER: Record<MatchKind, number> = { full: 3000, tail: 2000, own: 1000 };

export interface RequestMatch<T> {
  best?: RouteHit<T>;
  /** Other declarations that explain the request exactly as well as the best one. */
  rivals: RouteHit<T>[];
  /** Every hit, best first. */
  hits: RouteHit<T>[];
}

export function matchRequest<T>(items: readonly T[], candidateOf: (item: T) => RouteCandidate, method: string, requestPath: string): RequestMatch<T> {
  const want = method.toUpperCase();
  const req = segmentsOf(normaliseRoutePath(requestPath));
  const hits: Array<RouteHit<T> & { key: string }> = [];
  for (const item of items) {
    const c = candidateOf(item);
    if (c.method !== want && c.method !== '*') continue;
    let best: { how: MatchKind; score: number } | undefined;
    const consider = (how: MatchKind, score: number | undefined) => {
      if (score === undefined) return;
      const total = TIER[how] + score + (c.method === '*' ? 0 : 1);
      if (!best || total > best.score) best = { how, score: total };
    };
    for (const p of c.full) consider('full', matchSegments(segmentsOf(p), req));
    for (const p of c.tails) consider('tail', tailScore(segmentsOf(p), req, c.names));
    for (const p of c.own) consider('own', tailScore(segmentsOf(p), req, c.names));
    if (best) hits.push({ item, ...best, key: c.key });
  }
  hits.sort((a, b) => b.score - a.score);
  const best = hits[0];
  const rivals = best ? hits.filter((h) => h !== best && h.score === best.score && h.key !== best.key) : [];
  return { best, rivals, hits };
}

/**
 * A tail matched against the end of the request: the segments before it are the unknown mount.
 * A match needs evidence beyond parameters taking any value: a literal segment of the tail, or the
 * segment right before it naming the module's resource (`.../attendees` for `routes/attendees.js`).
 * A name further up (`/boards/{id}/x` for `routes/boards.js`) only adds to a tail that has a literal.
 */
function tailScore(tail: string[], req: string[], names: string[]): number | undefined {
  const literal = tail.some((s) => s !== '{}' && s !== '*');
  let best: number | undefined;
  for (let k = req.length; k >= 0; k--) {
    const score = matchSegments(tail, req.slice(k));
    if (score === undefined) continue;
    const hint = resourceHint(req.slice(0, k), names);
    // Parameters alone match anything: then the segment right before must name the module.
    if (!literal && hint < 4) continue;
    best = Math.max(best ?? -1, score + hint);
  }
  return best;
}

function resourceHint(head: string[], names: string[]): number {
  if (head.length === 0 || names.length === 0) return 0;
  const same = (seg: string) => names.some((n) => sameResourceWord(seg, n));
  if (same(head[head.length - 1]!)) return 4;
  const lastLiteral = [...head].reverse().find((s) => s !== '{}');
  const onlyParamsAfter = lastLiteral !== undefined && head.slice(head.lastIndexOf(lastLiteral) + 1).every((s) => s === '{}');
  return lastLiteral && onlyParamsAfter && same(lastLiteral) ? 2 : 0;
}

/** Whether a path segment and a module's resource name are the same word (`attendees` and `attendee`, `order_items` and `order-items`). */
export function sameResourceWord(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/[-_]/g, '');
  const y = b.toLowerCase().replace(/[-_]/g, '');
  return x === y || x === `${y}s` || y === `${x}s` || x === `${y}es` || y === `${x}es`;
}

/** The resource names of a route module: its file name (its folder's for an index), its router's variable without "router"/"bp". */
export function resourceNamesOf(file: string, routerName?: string): string[] {
  let base = path.posix.basename(file).replace(/\.[^.]+$/, '');
  if (/^(index|__init__|routes?|views?|api|main)$/.test(base)) base = path.posix.basename(path.posix.dirname(file));
  // `users.routes`, `users_router`, `usersRouter` → users (a suffix after a separator or a capital only: `rapid` stays).
  const suffix = /(?:[._-](?:routes?|router|views?|controllers?|api|endpoints?|bp|blueprint)|(?:Routes?|Router|Views?|Controllers?|Api|Endpoints?|Bp|Blueprint))$/;
  base = base.replace(suffix, '');
  const name = (routerName ?? '').replace(suffix, '');
  return [...new Set([base, name].filter((n) => n && !/^(router|routes|app|api|bp|index|src|\.)$/i.test(n)).map((n) => n.toLowerCase()))];
}
