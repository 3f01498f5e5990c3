import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { lookupKeys, type FailureSignature } from './signature';
import { wilsonLowerBound } from './wilson';

/**
 * Fix patterns and anti-patterns as every store keeps them: an append-only history of events
 * (attempts, decisions, anti-pattern sightings) folded into patterns. Events from older versions
 * or other writers that lack fields are read with fallbacks; one that cannot be read is reported
 * and skipped, never fatal.
 */

export const OUTCOMES = ['success', 'failure', 'reverted', 'rejected'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const SOURCES = ['tool', 'person', 'team'] as const;
export type PatternSource = (typeof SOURCES)[number];

/** Promotion: the Wilson lower bound (95%) of the success rate at or above this, after this many attempts. */
export const PROMOTION = { threshold: 0.7, minAttempts: 3 } as const;

const signatureSchema = z.object({
  exceptionClass: z.string().optional(),
  messageShape: z.string().optional(),
  endpoint: z.string().catch('?'),
  status: z.number().int().catch(0),
  failureType: z.string().catch('UNKNOWN'),
  strategy: z.string().optional(),
  language: z.string().optional(),
  framework: z.string().optional(),
});

/** One repair attempt: what failed, the edit with this site's values abstracted, and how it ended. */
export const attemptEventSchema = z.object({
  kind: z.literal('attempt'),
  /** Unique per event: a store takes an event once however often it is sent (import, outbox). */
  id: z.string().optional(),
  v: z.number().int().catch(1),
  at: z.number().catch(0),
  signature: signatureSchema,
  /** The abstract edit: the plan's operations with the site's names as placeholders; never a request value. */
  edit: z.unknown(),
  fixType: z.string().catch('unknown'),
  planner: z.string().catch('unknown'),
  source: z.enum(SOURCES).catch('tool'),
  outcome: z.enum(OUTCOMES),
  /** What the edited files are to the app (handler, module, manifest...). */
  roles: z.array(z.string()).catch([]),
  /** An example diff, redacted, for people to read. */
  example: z.string().optional(),
});

export const decisionEventSchema = z.object({
  kind: z.enum(['promote', 'demote', 'forget']),
  id: z.string().optional(),
  v: z.number().int().catch(1),
  at: z.number().catch(0),
  key: z.string(),
  by: z.string().optional(),
});

/** An anti-pattern: a wrong pattern, the correct one when known, and how often it was seen. */
export const antiEventSchema = z.object({
  kind: z.literal('anti'),
  id: z.string().optional(),
  v: z.number().int().catch(1),
  at: z.number().catch(0),
  wrong: z.string(),
  correct: z.string().optional(),
  language: z.string().catch('unknown'),
  exceptionClass: z.string().optional(),
  severity: z.enum(['low', 'medium', 'high']).catch('medium'),
  occurrences: z.number().int().min(1).catch(1),
  confidence: z.number().min(0).max(1).catch(0.5),
});

export const eventSchema = z.discriminatedUnion('kind', [attemptEventSchema, decisionEventSchema, antiEventSchema]);
export type AttemptEvent = z.infer<typeof attemptEventSchema>;
export type DecisionEvent = z.infer<typeof decisionEventSchema>;
export type AntiEvent = z.infer<typeof antiEventSchema>;
export type PatternEvent = z.infer<typeof eventSchema>;
export type AttemptInput = Omit<AttemptEvent, 'kind' | 'v' | 'at' | 'roles'> & { at?: number; roles?: string[] };

/**
 * An event's identity: its own `id`, or for one written before events had ids, a hash of what it
 * says (two identical old lines are one event). Stores skip an event whose id they hold.
 */
export function eventId(event: PatternEvent): string {
  if (event.id) return event.id;
  const { id: _id, ...rest } = event;
  return `ev-${sha(rest)}`;
}

/** A new event's id. */
export const newEventId = (): string => randomUUID();

export interface FixPattern {
  key: string;
  signature: Omit<FailureSignature, 'endpoint'>;
  /** Endpoints it was tried at (the most recent first, at most 20). */
  endpoints: string[];
  fixType: string;
  edit: unknown;
  planner: string;
  sources: PatternSource[];
  attempts: number;
  successes: number;
  failures: number;
  reverted: number;
  rejected: number;
  lowerBound: number;
  promoted: boolean;
  /** A person's Promote or Demote, while it stands. */
  decision?: { kind: 'promote' | 'demote'; by?: string; at: number };
  firstSeen: number;
  lastSeen: number;
  example?: string;
}

export interface AntiPattern {
  key: string;
  wrong: string;
  correct?: string;
  language: string;
  exceptionClass?: string;
  severity: 'low' | 'medium' | 'high';
  occurrences: number;
  confidence: number;
  lastSeen: number;
}

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 24);

/**
 * A pattern is one edit for one kind of failure: exception class (or failure type and status),
 * message shape and the abstract edit (the class and the edit already tell the languages apart).
 */
export function patternKey(e: Pick<AttemptEvent, 'signature' | 'edit' | 'fixType'>): string {
  const s = e.signature;
  return `fp-${sha([s.exceptionClass ?? `${s.failureType}/${s.status}`, s.messageShape ?? '', '', e.fixType, e.edit])}`;
}

export function antiKey(e: Pick<AntiEvent, 'wrong' | 'language' | 'exceptionClass'>): string {
  return `ap-${sha([e.wrong, e.language, e.exceptionClass ?? ''])}`;
}

/**
 * The patterns and anti-patterns of an event history, with indexes for lookups: by exception class
 * and endpoint, and by exception class and message shape. Folding is incremental: `add` takes one
 * event at a time, in the order they were written.
 */
export class PatternIndex {
  readonly patterns = new Map<string, FixPattern>();
  readonly antiPatterns = new Map<string, AntiPattern>();
  private readonly byEndpoint = new Map<string, Set<string>>();
  private readonly byShape = new Map<string, Set<string>>();
  /** Attempts counted when a pattern was last demoted: automatic promotion needs new evidence since. */
  private readonly demotedAt = new Map<string, number>();
  /** The ids of the events folded in: an event is folded once. */
  private readonly ids = new Set<string>();

  /** Whether an event with this id was folded in. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** One pattern's state as a store keeps it between folds (the pattern and when it was last demoted). */
  stateOf(key: string): PatternState | undefined {
    const pattern = this.patterns.get(key);
    if (!pattern) return undefined;
    const demotedAt = this.demotedAt.get(key);
    return { pattern: structuredClone(pattern), ...(demotedAt !== undefined ? { demotedAt } : {}) };
  }

  /** Take a pattern's state kept by a store, to fold further events into it. */
  restore(state: PatternState): void {
    this.patterns.set(state.pattern.key, structuredClone(state.pattern));
    if (state.demotedAt !== undefined) this.demotedAt.set(state.pattern.key, state.demotedAt);
  }

  /** Fold one event in; false (and nothing changes) when an event with its id was folded before. */
  add(event: PatternEvent): boolean {
    const id = eventId(event);
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    this.apply(event);
    return true;
  }

  private apply(event: PatternEvent): void {
    if (event.kind === 'attempt') this.addAttempt(event);
    else if (event.kind === 'anti') this.addAnti(event);
    else this.decide(event);
  }

  private addAttempt(e: AttemptEvent): void {
    const key = patternKey(e);
    let p = this.patterns.get(key);
    if (!p) {
      const { endpoint: _endpoint, ...core } = e.signature;
      p = { key, signature: core, endpoints: [], fixType: e.fixType, edit: e.edit, planner: e.planner, sources: [], attempts: 0, successes: 0, failures: 0, reverted: 0, rejected: 0, lowerBound: 0, promoted: false, firstSeen: e.at, lastSeen: e.at };
      this.patterns.set(key, p);
    }
    p.attempts++;
    if (e.outcome === 'success') p.successes++;
    else if (e.outcome === 'failure') p.failures++;
    else if (e.outcome === 'reverted') p.reverted++;
    else p.rejected++;
    p.lastSeen = Math.max(p.lastSeen, e.at);
    p.firstSeen = Math.min(p.firstSeen, e.at);
    if (!p.sources.includes(e.source)) p.sources.push(e.source);
    if (e.example && e.outcome === 'success') p.example = e.example;
    p.endpoints = [e.signature.endpoint, ...p.endpoints.filter((x) => x !== e.signature.endpoint)].slice(0, 20);
    p.lowerBound = wilsonLowerBound(p.successes, p.attempts);
    // A failure or a revert after a person's Promote, or while promoted, demotes it.
    if (e.outcome !== 'success' && p.promoted) {
      this.demotedAt.set(key, p.attempts);
      if (p.decision?.kind === 'promote') delete p.decision;
    }
    this.settle(p);
    const keys = lookupKeys(e.signature);
    add(this.byEndpoint, keys.byEndpoint, key);
    add(this.byShape, keys.byShape, key);
  }

  private decide(e: DecisionEvent): void {
    if (e.kind === 'forget') {
      this.patterns.delete(e.key);
      this.antiPatterns.delete(e.key);
      return;
    }
    const p = this.patterns.get(e.key);
    if (!p) return;
    p.decision = { kind: e.kind, at: e.at, ...(e.by ? { by: e.by } : {}) };
    if (e.kind === 'demote') this.demotedAt.set(e.key, p.attempts);
    this.settle(p);
  }

  private settle(p: FixPattern): void {
    const since = p.attempts - (this.demotedAt.get(p.key) ?? 0);
    const earned = since >= PROMOTION.minAttempts && p.attempts >= PROMOTION.minAttempts && p.lowerBound >= PROMOTION.threshold;
    p.promoted = p.decision?.kind === 'promote' || (p.decision?.kind !== 'demote' && earned);
  }

  private addAnti(e: AntiEvent): void {
    const key = antiKey(e);
    const a = this.antiPatterns.get(key);
    if (a) {
      a.occurrences += e.occurrences;
      a.lastSeen = Math.max(a.lastSeen, e.at);
      a.confidence = Math.max(a.confidence, e.confidence);
      if (e.correct) a.correct = e.correct;
      return;
    }
    this.antiPatterns.set(key, { key, wrong: e.wrong, ...(e.correct ? { correct: e.correct } : {}), language: e.language, ...(e.exceptionClass ? { exceptionClass: e.exceptionClass } : {}), severity: e.severity, occurrences: e.occurrences, confidence: e.confidence, lastSeen: e.at });
  }

  /**
   * Patterns for a failure, best first: those seen for the same exception class at the same
   * endpoint, then those for the same exception class and message shape; each group by the lower
   * bound of its success rate. A forgotten pattern is never returned.
   */
  lookup(q: LookupQuery, limit = 5): FixPattern[] {
    const keys = lookupKeys(q);
    const found = (ids: Set<string> | undefined) => [...(ids ?? [])].map((k) => this.patterns.get(k)).filter((p): p is FixPattern => p !== undefined);
    return rankLookup(q, found(this.byEndpoint.get(keys.byEndpoint)), found(this.byShape.get(keys.byShape)), limit);
  }
}

export type LookupQuery = Pick<FailureSignature, 'exceptionClass' | 'endpoint' | 'messageShape' | 'failureType' | 'status'>;

/** A pattern's state between folds, as a store that does not keep the whole history in memory keeps it. */
export interface PatternState {
  pattern: FixPattern;
  demotedAt?: number;
}

/**
 * The answer to a lookup from the patterns found by its two keys (every store ranks the same way):
 * those seen at the same endpoint (and with the same message shape, when both have one) first, then
 * those of the same message shape; each group promoted first, then by lower bound, then most recent.
 */
export function rankLookup(q: LookupQuery, byEndpoint: FixPattern[], byShape: FixPattern[], limit: number): FixPattern[] {
  const rank = (ps: FixPattern[]) => [...ps].sort((a, b) => Number(b.promoted) - Number(a.promoted) || b.lowerBound - a.lowerBound || b.lastSeen - a.lastSeen);
  const first = rank(byEndpoint).filter((p) => !q.messageShape || !p.signature.messageShape || p.signature.messageShape === q.messageShape);
  const seen = new Set(first.map((p) => p.key));
  const second = rank(byShape).filter((p) => !seen.has(p.key));
  return [...first, ...second].slice(0, limit);
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/** An event from a line of a store, read tolerantly: fields older writers left out get their fallbacks. */
export function parseEvent(raw: unknown): { ok: true; event: PatternEvent } | { ok: false; error: string } {
  const parsed = eventSchema.safeParse(raw);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}
