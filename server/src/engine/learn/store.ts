import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { FailureSignature } from './signature';
import { antiKey, eventId, newEventId, parseEvent, PatternIndex, patternKey, type AntiEvent, type AntiPattern, type AttemptInput, type FixPattern, type PatternEvent } from './patterns';

/**
 * Where learned patterns live, behind one port: the embedded store (a file in the workspace's
 * `.smoke-repair/` or the user's global storage; nothing to install) and, for a team, Neo4j.
 * `test/unit/pattern-store-contract.ts` is the contract every adapter passes.
 */
export interface PatternStore {
  readonly name: string;
  /** Record one attempt; returns the pattern as it stands after it. */
  record(attempt: AttemptInput): Promise<FixPattern>;
  /** Record an anti-pattern sighting; returns it as it stands after it. */
  recordAntiPattern(sighting: Omit<AntiEvent, 'kind' | 'v' | 'at'> & { at?: number }): Promise<AntiPattern>;
  /** Patterns for a failure, best first (same exception class and endpoint, then message shape). */
  lookup(q: Pick<FailureSignature, 'exceptionClass' | 'endpoint' | 'messageShape' | 'failureType' | 'status'>, limit?: number): Promise<FixPattern[]>;
  list(): Promise<{ patterns: FixPattern[]; antiPatterns: AntiPattern[]; problems: string[] }>;
  /** A person's decisions; false when no pattern has that key. */
  promote(key: string, by?: string): Promise<boolean>;
  demote(key: string, by?: string): Promise<boolean>;
  forget(key: string): Promise<boolean>;
  /**
   * Take events written elsewhere (an exported file, another store, an outbox); each is taken
   * once, by its id, however often it is sent. Events are folded in the order given.
   */
  importEvents(events: readonly PatternEvent[]): Promise<{ added: number; skipped: number }>;
  /** Every event the store holds, in the order it folded them (what `patterns export` writes). */
  exportEvents(): Promise<PatternEvent[]>;
  close(): Promise<void>;
}

/** The most of a line read back; a longer one is reported and skipped. */
const MAX_LINE = 1_000_000;

/**
 * The embedded store: one append-only file of JSON lines (`patterns.jsonl`), folded into an
 * in-memory index on open and kept up to date by reading what was appended since (by this process
 * or another: the editor and the command line may write at once). Each event is one `write` of one
 * line in append mode, flushed, so writers never interleave inside a line; a line cut short by a
 * writer killed mid-write is skipped and reported, and the next write starts on a line of its own,
 * so at most that record is lost.
 */
export class EmbeddedPatternStore implements PatternStore {
  readonly name = 'embedded';
  private index = new PatternIndex();
  /** The events folded in, in order (for export). */
  private events: PatternEvent[] = [];
  private problems: string[] = [];
  private offset = 0;
  private lineNo = 0;

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<EmbeddedPatternStore> {
    // Nothing is made on disk until something is learned: reading a workspace leaves it as it is.
    const store = new EmbeddedPatternStore(path.resolve(file));
    await store.refresh();
    return store;
  }

  private static readonly files = new Map<string, Promise<EmbeddedPatternStore>>();

  /**
   * The store of a workspace (`.smoke-repair/patterns/patterns.jsonl`), opened once per process:
   * the planner, the pass, the loop and the approvals share it, and each use reads only what was
   * appended since (by anyone), not the whole file again.
   */
  static forWorkspace(workspace: string): Promise<EmbeddedPatternStore> {
    return EmbeddedPatternStore.forFile(path.join(path.resolve(workspace), '.smoke-repair', 'patterns', 'patterns.jsonl'));
  }

  /** The store kept in a file, opened once per process (the user's store, shared by every workspace). */
  static forFile(file: string): Promise<EmbeddedPatternStore> {
    const at = path.resolve(file);
    let store = EmbeddedPatternStore.files.get(at);
    if (!store) {
      store = EmbeddedPatternStore.open(at);
      EmbeddedPatternStore.files.set(at, store);
      // A store that could not be opened is tried again next time.
      store.catch(() => EmbeddedPatternStore.files.delete(at));
    }
    return store;
  }

  /** Fold the complete lines written since the last read (by anyone). */
  async refresh(): Promise<void> {
    // Nothing new (the common case): one stat, no open.
    const size = await stat(this.file).then((st) => st.size, () => 0);
    if (size < this.offset) {
      // The file was removed or replaced since it was read: read it again from the start.
      this.index = new PatternIndex();
      this.events = [];
      this.problems = [];
      this.offset = 0;
      this.lineNo = 0;
    }
    if (size <= this.offset) return;
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size <= this.offset) return;
      const buffer = Buffer.alloc(size - this.offset);
      await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.lastIndexOf(0x0a);
      if (end < 0) return; // a line still being written (or cut short): read it once it ends
      const text = buffer.subarray(0, end + 1).toString('utf8');
      this.offset += end + 1;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        this.lineNo++;
        this.fold(line);
      }
    } finally {
      await handle.close();
    }
  }

  private fold(line: string): void {
    const where = `${this.file}:${this.lineNo}`;
    if (line.length > MAX_LINE) {
      this.problems.push(`${where}: a line of ${line.length} characters, skipped`);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // A writer killed mid-write leaves a line cut short; the lines after it are whole.
      this.problems.push(`${where}: not a whole JSON line (a write cut short?), skipped`);
      return;
    }
    const parsed = parseEvent(raw);
    if (!parsed.ok) {
      this.problems.push(`${where}: ${parsed.error}`);
      return;
    }
    if (this.index.add(parsed.event)) this.events.push(parsed.event);
  }

  private async append(...events: PatternEvent[]): Promise<void> {
    await appendJsonLines(this.file, events);
    await this.refresh();
  }

  async record(attempt: AttemptInput): Promise<FixPattern> {
    const event: PatternEvent = { kind: 'attempt', v: 1, ...attempt, id: attempt.id ?? newEventId(), at: attempt.at ?? Date.now(), roles: attempt.roles ?? [] };
    await this.append(event);
    return this.index.patterns.get(patternKey(event))!;
  }

  async recordAntiPattern(sighting: Omit<AntiEvent, 'kind' | 'v' | 'at'> & { at?: number }): Promise<AntiPattern> {
    const event: AntiEvent = { kind: 'anti', v: 1, ...sighting, id: sighting.id ?? newEventId(), at: sighting.at ?? Date.now() };
    await this.append(event);
    return this.index.antiPatterns.get(antiKey(event))!;
  }

  async lookup(q: Parameters<PatternStore['lookup']>[0], limit?: number): Promise<FixPattern[]> {
    await this.refresh();
    return this.index.lookup(q, limit);
  }

  /** The lookup on what this process has read, without reading the file again (benchmarks, hot paths). */
  lookupCached(q: Parameters<PatternStore['lookup']>[0], limit?: number): FixPattern[] {
    return this.index.lookup(q, limit);
  }

  async list(): Promise<{ patterns: FixPattern[]; antiPatterns: AntiPattern[]; problems: string[] }> {
    await this.refresh();
    return {
      patterns: [...this.index.patterns.values()].sort((a, b) => Number(b.promoted) - Number(a.promoted) || b.lowerBound - a.lowerBound || a.key.localeCompare(b.key)),
      antiPatterns: [...this.index.antiPatterns.values()].sort((a, b) => b.occurrences - a.occurrences || a.key.localeCompare(b.key)),
      problems: [...this.problems],
    };
  }

  private async decision(kind: 'promote' | 'demote' | 'forget', key: string, by?: string): Promise<boolean> {
    await this.refresh();
    if (!this.index.patterns.has(key) && !(kind === 'forget' && this.index.antiPatterns.has(key))) return false;
    await this.append({ kind, id: newEventId(), v: 1, at: Date.now(), key, ...(by ? { by } : {}) });
    return true;
  }

  promote(key: string, by?: string): Promise<boolean> {
    return this.decision('promote', key, by);
  }

  demote(key: string, by?: string): Promise<boolean> {
    return this.decision('demote', key, by);
  }

  forget(key: string): Promise<boolean> {
    return this.decision('forget', key);
  }

  async importEvents(events: readonly PatternEvent[]): Promise<{ added: number; skipped: number }> {
    await this.refresh();
    const seen = new Set<string>();
    const fresh = events.filter((e) => {
      const id = eventId(e);
      if (this.index.has(id) || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    // Written in chunks of whole lines, each one write; an event keeps its id, so a repeat is skipped.
    for (let i = 0; i < fresh.length; i += 5000) await this.append(...fresh.slice(i, i + 5000).map((e) => ({ ...e, id: eventId(e) })));
    return { added: fresh.length, skipped: events.length - fresh.length };
  }

  async exportEvents(): Promise<PatternEvent[]> {
    await this.refresh();
    return [...this.events];
  }

  async close(): Promise<void> {}

  /** Bytes on disk (for the benchmark's report). */
  async size(): Promise<number> {
    return (await stat(this.file).catch(() => ({ size: 0 }))).size;
  }
}

/**
 * Append values as JSON lines in one write, flushed: writers in other processes never interleave
 * inside them, and after a line cut short (a writer killed mid-write) these start on a line of
 * their own. The folder is made when missing.
 */
export async function appendJsonLines(file: string, values: readonly unknown[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a+');
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(`${prefix}${values.map((v) => JSON.stringify(v)).join('\n')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
