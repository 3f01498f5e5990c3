import { randomUUID } from 'node:crypto';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import { lookupKeys } from './signature';
import {
  antiKey,
  eventId,
  newEventId,
  parseEvent,
  PatternIndex,
  patternKey,
  rankLookup,
  type AntiEvent,
  type AntiPattern,
  type AttemptInput,
  type FixPattern,
  type LookupQuery,
  type PatternEvent,
  type PatternState,
} from './patterns';
import { appendJsonLines, type PatternStore } from './store';

/**
 * The team's store: learned patterns in a Neo4j that every editor and CI job of a team points at.
 *
 * In the graph: each event once (`(:PatternEvent {id})`, unique), each fix pattern with its folded
 * state (`(:FixPattern {key})`, unique) found through its lookup keys (`(:LookupKey {key})-[:FINDS]->`,
 * unique, one per exception class and endpoint, and per exception class and message shape), each
 * anti-pattern (`(:AntiPattern {key})`). An event and the patterns it changes are written in one
 * transaction that first locks those patterns, so concurrent writers never lose an update, and an
 * event already present changes nothing (exactly once, however often it is sent). Every query is
 * parameterised.
 *
 * When the server cannot be reached, events wait in an outbox (JSON lines beside the workspace's
 * own store) and are sent, in order, the next time the store is used and the server answers; the
 * outbox is renamed before it is sent, so events appended meanwhile are never lost, and a send cut
 * short is sent again harmlessly.
 */

export interface Neo4jOptions {
  uri: string;
  user?: string;
  password?: string;
  database?: string;
  /** Where events wait while the server cannot be reached. */
  outbox: string;
  /** How long a connection attempt or a transaction's retries may take (ms); default 3000. */
  timeoutMs?: number;
}

export interface TeamStoreStatus {
  connected: boolean;
  /** Events waiting in the outbox. */
  waiting: number;
  lastError?: string;
}

export class TeamStoreError extends Error {}

/** Errors that mean "not reachable now": the event waits in the outbox. */
function unreachable(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return code === 'ServiceUnavailable' || code === 'SessionExpired' || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up/i.test(String((err as Error)?.message));
}

function unauthorized(err: unknown): boolean {
  return /Security\.(Unauthorized|AuthenticationRateLimit)/.test((err as { code?: string })?.code ?? '');
}

const SCHEMA = [
  'CREATE CONSTRAINT smoke_repair_event_id IF NOT EXISTS FOR (e:PatternEvent) REQUIRE e.id IS UNIQUE',
  'CREATE CONSTRAINT smoke_repair_pattern_key IF NOT EXISTS FOR (p:FixPattern) REQUIRE p.key IS UNIQUE',
  'CREATE CONSTRAINT smoke_repair_anti_key IF NOT EXISTS FOR (a:AntiPattern) REQUIRE a.key IS UNIQUE',
  'CREATE CONSTRAINT smoke_repair_lookup_key IF NOT EXISTS FOR (k:LookupKey) REQUIRE k.key IS UNIQUE',
  'CREATE INDEX smoke_repair_event_at IF NOT EXISTS FOR (e:PatternEvent) ON (e.at)',
];

/** Events per transaction when many are sent at once (an import, an outbox). */
const BATCH = 2000;

export class Neo4jPatternStore implements PatternStore {
  readonly name = 'neo4j';
  private schemaReady = false;
  private lastError: string | undefined;
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly driver: Driver,
    private readonly opts: Neo4jOptions,
  ) {}

  /** Opens a driver for the URI (no connection is made until the store is used) and sends what waits in the outbox when the server answers. */
  static async open(opts: Neo4jOptions): Promise<Neo4jPatternStore> {
    let driver: Driver;
    try {
      const auth = opts.user !== undefined || opts.password !== undefined ? neo4j.auth.basic(opts.user ?? 'neo4j', opts.password ?? '') : undefined;
      const timeout = opts.timeoutMs ?? 3000;
      driver = neo4j.driver(opts.uri, auth, {
        connectionTimeout: timeout,
        connectionAcquisitionTimeout: timeout,
        maxTransactionRetryTime: timeout,
        disableLosslessIntegers: true,
        userAgent: 'smoke-repair',
        logging: { level: 'error', logger: () => undefined },
      });
    } catch (err) {
      throw new TeamStoreError(`learning.neo4j.uri ${opts.uri}: ${(err as Error).message} (a URI like neo4j://host:7687)`);
    }
    const store = new Neo4jPatternStore(driver, opts);
    await store.flush().catch(() => undefined);
    return store;
  }

  private get session() {
    return this.driver.session({ defaultAccessMode: neo4j.session.WRITE, ...(this.opts.database ? { database: this.opts.database } : {}) });
  }

  private async write<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = this.session;
    try {
      return await session.executeWrite(work);
    } finally {
      await session.close();
    }
  }

  private async read<T>(work: (tx: ManagedTransaction) => Promise<T>): Promise<T> {
    const session = this.driver.session({ defaultAccessMode: neo4j.session.READ, ...(this.opts.database ? { database: this.opts.database } : {}) });
    try {
      return await session.executeRead(work);
    } finally {
      await session.close();
    }
  }

  /** What went wrong, with the place and the remedy. */
  private explain(err: unknown): TeamStoreError {
    if (unauthorized(err)) return new TeamStoreError(`Neo4j at ${this.opts.uri} refused the credentials: set the user and password in the environment variables learning.neo4j.userEnv and passwordEnv name (default NEO4J_USERNAME, NEO4J_PASSWORD)`);
    if (unreachable(err)) return new TeamStoreError(`Neo4j at ${this.opts.uri} cannot be reached (${(err as Error).message}); learned events wait in ${this.opts.outbox} until it can`);
    return new TeamStoreError(`Neo4j at ${this.opts.uri}: ${(err as Error).message}`);
  }

  private async ensureSchema(): Promise<void> {
    if (this.schemaReady) return;
    const session = this.session;
    try {
      // Schema changes run each in a transaction of their own.
      for (const statement of SCHEMA) await session.run(statement);
    } finally {
      await session.close();
    }
    this.schemaReady = true;
  }

  /**
   * Write events, each once: the new ones are folded into the patterns they change, under a lock on
   * each of those patterns. Returns how many were new.
   */
  private async applyEvents(events: readonly PatternEvent[]): Promise<number> {
    await this.ensureSchema();
    let added = 0;
    for (let i = 0; i < events.length; i += BATCH) {
      const batch = events.slice(i, i + BATCH).map((e) => ({ ...e, id: eventId(e) }));
      added += await this.write((tx) => this.applyBatch(tx, batch));
    }
    return added;
  }

  private async applyBatch(tx: ManagedTransaction, batch: PatternEvent[]): Promise<number> {
    // 1. The events, each once: which of them are new.
    const created = await tx.run(
      `UNWIND $events AS ev
       MERGE (e:PatternEvent {id: ev.id})
       ON CREATE SET e.kind = ev.kind, e.at = ev.at, e.json = ev.json, e.fresh = true
       WITH e, ev, coalesce(e.fresh, false) AS fresh
       REMOVE e.fresh
       RETURN ev.id AS id, fresh`,
      { events: batch.map((e) => ({ id: e.id, kind: e.kind, at: e.at, json: JSON.stringify(e) })) },
    );
    const fresh = new Set(created.records.filter((r) => r.get('fresh') === true).map((r) => r.get('id') as string));
    const events = batch.filter((e) => fresh.has(e.id!));
    if (events.length === 0) return 0;

    // 2. Lock and read the patterns they change.
    const fixKeys = new Set<string>();
    const antiKeys = new Set<string>();
    for (const e of events) {
      if (e.kind === 'attempt') fixKeys.add(patternKey(e));
      else if (e.kind === 'anti') antiKeys.add(antiKey(e));
      else (e.key.startsWith('ap-') ? antiKeys : fixKeys).add(e.key);
    }
    const index = new PatternIndex();
    const held = new Set<string>();
    const fixes = await tx.run(
      `UNWIND $keys AS k
       MERGE (p:FixPattern {key: k})
       SET p.lock = coalesce(p.lock, 0) + 1
       RETURN k, p.state AS state, p.forgotten AS forgotten`,
      { keys: [...fixKeys] },
    );
    for (const r of fixes.records) {
      const state = r.get('state') as string | null;
      if (state) held.add(r.get('k') as string);
      if (state && r.get('forgotten') !== true) index.restore(JSON.parse(state) as PatternState);
    }
    const antis = await tx.run(
      `UNWIND $keys AS k
       MERGE (a:AntiPattern {key: k})
       SET a.lock = coalesce(a.lock, 0) + 1
       RETURN k, a.state AS state, a.forgotten AS forgotten`,
      { keys: [...antiKeys] },
    );
    for (const r of antis.records) {
      const state = r.get('state') as string | null;
      if (state) held.add(r.get('k') as string);
      if (state && r.get('forgotten') !== true) {
        const a = JSON.parse(state) as AntiPattern;
        index.antiPatterns.set(a.key, a);
      }
    }

    // 3. Fold the new events in the order they were written; write the patterns back.
    const links: Array<{ p: string; k: string }> = [];
    for (const e of events) {
      index.add(e);
      if (e.kind === 'attempt') {
        const keys = lookupKeys(e.signature);
        const p = patternKey(e);
        links.push({ p, k: keys.byEndpoint }, { p, k: keys.byShape });
      }
    }
    const fixRows = [...fixKeys].map((k) => {
      const state = index.stateOf(k);
      return { key: k, state: state ? JSON.stringify(state) : null, lastSeen: state?.pattern.lastSeen ?? null, held: held.has(k) };
    });
    await tx.run(
      `UNWIND $rows AS row
       MATCH (p:FixPattern {key: row.key})
       FOREACH (_ IN CASE WHEN row.state IS NOT NULL THEN [1] ELSE [] END |
         SET p.state = row.state, p.lastSeen = row.lastSeen, p.forgotten = null)
       FOREACH (_ IN CASE WHEN row.state IS NULL AND row.held THEN [1] ELSE [] END |
         SET p.forgotten = true)
       WITH p, row WHERE row.state IS NULL AND NOT row.held
       DETACH DELETE p`,
      { rows: fixRows },
    );
    const antiRows = [...antiKeys].map((k) => {
      const a = index.antiPatterns.get(k);
      return { key: k, state: a ? JSON.stringify(a) : null, held: held.has(k) };
    });
    await tx.run(
      `UNWIND $rows AS row
       MATCH (a:AntiPattern {key: row.key})
       FOREACH (_ IN CASE WHEN row.state IS NOT NULL THEN [1] ELSE [] END | SET a.state = row.state, a.forgotten = null)
       FOREACH (_ IN CASE WHEN row.state IS NULL AND row.held THEN [1] ELSE [] END | SET a.forgotten = true)
       WITH a, row WHERE row.state IS NULL AND NOT row.held
       DETACH DELETE a`,
      { rows: antiRows },
    );
    if (links.length) {
      await tx.run(
        `UNWIND $links AS l
         MATCH (p:FixPattern {key: l.p})
         MERGE (k:LookupKey {key: l.k})
         MERGE (k)-[:FINDS]->(p)`,
        { links },
      );
    }
    return events.length;
  }

  /** Send events, or keep them in the outbox when the server cannot be reached now. */
  private async send(events: PatternEvent[]): Promise<'sent' | 'waiting'> {
    await this.flush().catch(() => undefined);
    try {
      await this.applyEvents(events);
      this.lastError = undefined;
      return 'sent';
    } catch (err) {
      this.lastError = this.explain(err).message;
      if (!unreachable(err) && !unauthorized(err)) throw this.explain(err);
      await appendJsonLines(this.opts.outbox, events.map((e) => ({ ...e, id: eventId(e) })));
      if (unauthorized(err)) throw this.explain(err);
      return 'waiting';
    }
  }

  /**
   * Send what waits in the outbox (and in outboxes whose send was cut short), in order, each event
   * once. Nothing is lost: the outbox is renamed before it is read, and removed only once sent.
   */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const dir = path.dirname(this.opts.outbox);
    const base = path.basename(this.opts.outbox);
    if (await stat(this.opts.outbox).then((s) => s.size > 0, () => false)) {
      await rename(this.opts.outbox, path.join(dir, `${base}.sending-${process.pid}-${randomUUID().slice(0, 8)}`)).catch(() => undefined);
    }
    const sending = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(`${base}.sending-`)).sort();
    for (const name of sending) {
      const file = path.join(dir, name);
      const events: PatternEvent[] = [];
      for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
        if (!line.trim()) continue;
        try {
          const parsed = parseEvent(JSON.parse(line));
          if (parsed.ok) events.push(parsed.event);
        } catch {
          /* a line cut short by a writer killed mid-write: that event is lost, the rest are sent */
        }
      }
      try {
        await this.applyEvents(events);
      } catch (err) {
        this.lastError = this.explain(err).message;
        throw this.explain(err);
      }
      await rm(file, { force: true });
    }
  }

  /** Connected or not, and how many events wait. */
  async status(): Promise<TeamStoreStatus> {
    let waiting = 0;
    const dir = path.dirname(this.opts.outbox);
    const base = path.basename(this.opts.outbox);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name === base || name.startsWith(`${base}.sending-`)) waiting += (await readFile(path.join(dir, name), 'utf8').catch(() => '')).split('\n').filter((l) => l.trim()).length;
    }
    let connected = true;
    try {
      await this.driver.verifyConnectivity();
    } catch (err) {
      connected = false;
      this.lastError = this.explain(err).message;
    }
    return { connected, waiting, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** The pattern as one event makes it, for an answer while the server is away. */
  private static alone(event: PatternEvent): PatternIndex {
    const index = new PatternIndex();
    index.add(event);
    return index;
  }

  async record(attempt: AttemptInput): Promise<FixPattern> {
    const event: PatternEvent = { kind: 'attempt', v: 1, ...attempt, id: attempt.id ?? newEventId(), at: attempt.at ?? Date.now(), roles: attempt.roles ?? [] };
    const key = patternKey(event);
    if ((await this.send([event])) === 'waiting') return Neo4jPatternStore.alone(event).patterns.get(key)!;
    return (await this.patternsByKey([key]))[0] ?? Neo4jPatternStore.alone(event).patterns.get(key)!;
  }

  async recordAntiPattern(sighting: Omit<AntiEvent, 'kind' | 'v' | 'at'> & { at?: number }): Promise<AntiPattern> {
    const event: AntiEvent = { kind: 'anti', v: 1, ...sighting, id: sighting.id ?? newEventId(), at: sighting.at ?? Date.now() };
    const key = antiKey(event);
    if ((await this.send([event])) === 'sent') {
      const got = await this.read((tx) => tx.run('MATCH (a:AntiPattern {key: $key}) WHERE a.forgotten IS NULL RETURN a.state AS state', { key }));
      const state = got.records[0]?.get('state') as string | undefined;
      if (state) return JSON.parse(state) as AntiPattern;
    }
    return Neo4jPatternStore.alone(event).antiPatterns.get(key)!;
  }

  private async patternsByKey(keys: string[]): Promise<FixPattern[]> {
    const got = await this.read((tx) => tx.run('UNWIND $keys AS k MATCH (p:FixPattern {key: k}) WHERE p.forgotten IS NULL AND p.state IS NOT NULL RETURN p.state AS state', { keys }));
    return got.records.map((r) => (JSON.parse(r.get('state') as string) as PatternState).pattern);
  }

  async lookup(q: LookupQuery, limit = 5): Promise<FixPattern[]> {
    await this.flush().catch(() => undefined);
    const keys = lookupKeys(q);
    let got;
    try {
      got = await this.read((tx) =>
        tx.run(
          `UNWIND $keys AS key
           MATCH (:LookupKey {key: key})-[:FINDS]->(p:FixPattern)
           WHERE p.forgotten IS NULL AND p.state IS NOT NULL
           RETURN key, p.state AS state`,
          { keys: [keys.byEndpoint, keys.byShape] },
        ),
      );
    } catch (err) {
      throw this.explain(err);
    }
    const byEndpoint: FixPattern[] = [];
    const byShape: FixPattern[] = [];
    for (const r of got.records) {
      const p = (JSON.parse(r.get('state') as string) as PatternState).pattern;
      (r.get('key') === keys.byEndpoint ? byEndpoint : byShape).push(p);
    }
    return rankLookup(q, byEndpoint, byShape, limit);
  }

  async list(): Promise<{ patterns: FixPattern[]; antiPatterns: AntiPattern[]; problems: string[] }> {
    const problems: string[] = [];
    await this.flush().catch((err: Error) => problems.push(err.message));
    try {
      const [fixes, antis] = await this.read(async (tx) => [
        await tx.run('MATCH (p:FixPattern) WHERE p.forgotten IS NULL AND p.state IS NOT NULL RETURN p.state AS state'),
        await tx.run('MATCH (a:AntiPattern) WHERE a.forgotten IS NULL AND a.state IS NOT NULL RETURN a.state AS state'),
      ]);
      const patterns = fixes.records.map((r) => (JSON.parse(r.get('state') as string) as PatternState).pattern);
      const antiPatterns = antis.records.map((r) => JSON.parse(r.get('state') as string) as AntiPattern);
      return {
        patterns: patterns.sort((a, b) => Number(b.promoted) - Number(a.promoted) || b.lowerBound - a.lowerBound || a.key.localeCompare(b.key)),
        antiPatterns: antiPatterns.sort((a, b) => b.occurrences - a.occurrences || a.key.localeCompare(b.key)),
        problems,
      };
    } catch (err) {
      throw this.explain(err);
    }
  }

  private async decide(kind: 'promote' | 'demote' | 'forget', key: string, by?: string): Promise<boolean> {
    const label = key.startsWith('ap-') ? 'AntiPattern' : 'FixPattern';
    if (label === 'AntiPattern' && kind !== 'forget') return false;
    const found = await this.read((tx) => tx.run(`MATCH (n:${label} {key: $key}) WHERE n.forgotten IS NULL AND n.state IS NOT NULL RETURN count(n) AS n`, { key })).catch((err) => {
      throw this.explain(err);
    });
    if (Number(found.records[0]?.get('n') ?? 0) === 0) return false;
    await this.send([{ kind, id: newEventId(), v: 1, at: Date.now(), key, ...(by ? { by } : {}) }]);
    return true;
  }

  promote(key: string, by?: string): Promise<boolean> {
    return this.decide('promote', key, by);
  }

  demote(key: string, by?: string): Promise<boolean> {
    return this.decide('demote', key, by);
  }

  forget(key: string): Promise<boolean> {
    return this.decide('forget', key);
  }

  async importEvents(events: readonly PatternEvent[]): Promise<{ added: number; skipped: number }> {
    await this.flush().catch(() => undefined);
    // Read as a store reads its lines: fields older writers left out get their fallbacks.
    const parsed = events.map((e) => parseEvent(e)).flatMap((r) => (r.ok ? [r.event] : []));
    const unique = [...new Map(parsed.map((e) => [eventId(e), e])).values()];
    try {
      const added = await this.applyEvents(unique);
      return { added, skipped: events.length - added };
    } catch (err) {
      throw this.explain(err);
    }
  }

  async exportEvents(): Promise<PatternEvent[]> {
    const got = await this.read((tx) => tx.run('MATCH (e:PatternEvent) RETURN e.json AS json ORDER BY e.at, e.id')).catch((err) => {
      throw this.explain(err);
    });
    const out: PatternEvent[] = [];
    for (const r of got.records) {
      const parsed = parseEvent(JSON.parse(r.get('json') as string));
      if (parsed.ok) out.push(parsed.event);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
