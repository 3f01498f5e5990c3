import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../config';
import type { LearningConfig } from '../config/schema';
import { newEventId, type AntiPattern, type FixPattern, type PatternEvent, type PatternSource } from './patterns';
import { Neo4jPatternStore } from './neo4j';
import { EmbeddedPatternStore, type PatternStore } from './store';

/**
 * Where a workspace's learning lives: its own store (`.smoke-repair/patterns/`), the user's store
 * (every workspace of that user; on by default) and, when configured, the team's Neo4j. Every
 * attempt is written to each; a lookup asks each and keeps, for a pattern more than one holds, the
 * one with the most attempts (the team's counts include this workspace's). A layer that cannot be
 * reached never stops the others: its problem is reported with the rest.
 */

export type LayerName = 'workspace' | 'user' | 'team';

export interface StoreLayer {
  layer: LayerName;
  store: PatternStore;
}

/** A pattern as the layers hold it: where it is kept. */
export type LayeredPattern = FixPattern & { layers: LayerName[] };

const rank = (a: FixPattern, b: FixPattern) => Number(b.promoted) - Number(a.promoted) || b.lowerBound - a.lowerBound || b.lastSeen - a.lastSeen;

/** The source a pattern has from the layer it came from: one only the team's store holds came from the team. */
function withLayer(p: FixPattern, layer: LayerName): LayeredPattern {
  const sources: PatternSource[] = layer === 'team' && !p.sources.includes('team') ? [...p.sources, 'team'] : p.sources;
  return { ...p, sources, layers: [layer] };
}

function merge(found: Array<{ layer: LayerName; patterns: FixPattern[] }>): LayeredPattern[] {
  const byKey = new Map<string, LayeredPattern>();
  for (const { layer, patterns } of found) {
    for (const p of patterns) {
      const had = byKey.get(p.key);
      if (!had) {
        byKey.set(p.key, withLayer(p, layer));
        continue;
      }
      const layers = [...had.layers, layer];
      // The most attempts tell the most; the workspace's own copy wins a tie.
      const best = p.attempts > had.attempts ? withLayer(p, layer) : had;
      const sources = [...new Set([...had.sources, ...(layer === 'team' ? [] : p.sources)])];
      byKey.set(p.key, { ...best, sources, layers });
    }
  }
  return [...byKey.values()];
}

export class LayeredPatternStore implements PatternStore {
  readonly name = 'layered';
  /** Problems of layers that could not be read or written this time (reported by `list`). */
  private readonly trouble: string[] = [];

  constructor(
    readonly layers: readonly StoreLayer[],
    /** The workspace's web framework, kept with each attempt's signature when it does not say. */
    private readonly framework?: string,
  ) {
    if (layers.length === 0) throw new Error('a layered pattern store needs at least one store');
  }

  /** The workspace's own store: what is recorded first and exported. */
  private get first(): PatternStore {
    return this.layers[0]!.store;
  }

  /** Run on every layer; the first layer's failure is the caller's, another's is reported. */
  private async each<T>(what: string, run: (store: PatternStore, layer: LayerName) => Promise<T>): Promise<Array<{ layer: LayerName; value: T }>> {
    const out: Array<{ layer: LayerName; value: T }> = [];
    for (const [i, { layer, store }] of this.layers.entries()) {
      try {
        out.push({ layer, value: await run(store, layer) });
      } catch (err) {
        if (i === 0) throw err;
        this.note(`${layer} pattern store (${store.name}): ${what} failed: ${(err as Error).message}`);
      }
    }
    return out;
  }

  private note(problem: string): void {
    this.trouble.push(problem);
    if (this.trouble.length > 20) this.trouble.shift();
  }

  async record(attempt: Parameters<PatternStore['record']>[0]): Promise<FixPattern> {
    // One event, one id in every layer: a layer that already has it (sent again, imported) skips it.
    const signature = this.framework && !attempt.signature.framework ? { ...attempt.signature, framework: this.framework } : attempt.signature;
    const event = { ...attempt, signature, id: attempt.id ?? newEventId(), at: attempt.at ?? Date.now() };
    const [first] = await this.each('record', (s) => s.record(event));
    return first!.value;
  }

  async recordAntiPattern(sighting: Parameters<PatternStore['recordAntiPattern']>[0]): Promise<AntiPattern> {
    const event = { ...sighting, id: sighting.id ?? newEventId(), at: sighting.at ?? Date.now() };
    const [first] = await this.each('record an anti-pattern', (s) => s.recordAntiPattern(event));
    return first!.value;
  }

  async lookup(q: Parameters<PatternStore['lookup']>[0], limit = 5): Promise<LayeredPattern[]> {
    const found = await this.each('lookup', async (s) => s.lookup(q, limit * 2));
    // As each store ranks them: those tried at this endpoint first, then the rest; each by rank.
    const here = (p: FixPattern) => (p.endpoints.includes(q.endpoint) && (!q.messageShape || !p.signature.messageShape || p.signature.messageShape === q.messageShape) ? 0 : 1);
    return merge(found.map(({ layer, value }) => ({ layer, patterns: value })))
      .sort((a, b) => here(a) - here(b) || rank(a, b))
      .slice(0, limit);
  }

  async list(): Promise<{ patterns: LayeredPattern[]; antiPatterns: AntiPattern[]; problems: string[] }> {
    const lists = await this.each('list', (s) => s.list());
    const patterns = merge(lists.map(({ layer, value }) => ({ layer, patterns: value.patterns }))).sort(rank);
    const anti = new Map<string, AntiPattern>();
    for (const { value } of lists) for (const a of value.antiPatterns) if ((anti.get(a.key)?.occurrences ?? -1) < a.occurrences) anti.set(a.key, a);
    return {
      patterns,
      antiPatterns: [...anti.values()].sort((a, b) => b.occurrences - a.occurrences || a.key.localeCompare(b.key)),
      problems: [...lists.flatMap(({ layer, value }) => value.problems.map((p) => `${layer}: ${p}`)), ...this.trouble],
    };
  }

  private async decide(kind: 'promote' | 'demote' | 'forget', key: string, by?: string): Promise<boolean> {
    const done = await this.each(kind, (s) => (kind === 'forget' ? s.forget(key) : s[kind](key, by)));
    return done.some((d) => d.value);
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
    const [first] = await this.each('import', (s) => s.importEvents(events));
    return first!.value;
  }

  exportEvents(): Promise<PatternEvent[]> {
    return this.first.exportEvents();
  }

  async close(): Promise<void> {
    await this.each('close', (s) => s.close());
  }
}

/**
 * The user's own store, shared by every workspace of that user (and by the editor and the command
 * line): `SMOKE_REPAIR_USER_DIR` when set (`none` turns it off), else the platform's place for a
 * user's application data.
 */
export function userStoreFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.SMOKE_REPAIR_USER_DIR;
  if (dir !== undefined && dir !== '') return dir === 'none' ? undefined : path.join(path.resolve(dir), 'patterns', 'patterns.jsonl');
  const home = os.homedir();
  const base =
    process.platform === 'win32'
      ? env.APPDATA ?? path.join(home, 'AppData', 'Roaming')
      : process.platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support')
        : env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  return path.join(base, 'smoke-repair', 'patterns', 'patterns.jsonl');
}

/**
 * The team's store of a workspace: the Neo4j `learning.neo4j` names, with the user name and password
 * from the environment variables it names (default NEO4J_USERNAME, NEO4J_PASSWORD; the editor may
 * set them from its secret storage), and the workspace's outbox for when it cannot be reached.
 */
export function openTeamStore(workspace: string, settings: NonNullable<LearningConfig['neo4j']>, env: NodeJS.ProcessEnv = process.env): Promise<Neo4jPatternStore> {
  const user = env[settings.userEnv ?? 'NEO4J_USERNAME'];
  const password = env[settings.passwordEnv ?? 'NEO4J_PASSWORD'];
  return Neo4jPatternStore.open({
    uri: settings.uri,
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
    ...(settings.database ? { database: settings.database } : {}),
    outbox: path.join(workspace, '.smoke-repair', 'patterns', 'outbox.jsonl'),
  });
}

const opened = new Map<string, Promise<LayeredPatternStore>>();

/**
 * The pattern stores of a workspace under its `learning` settings, opened once per process and
 * settings: the planner, the pass, the loop, the approvals and the command line share them.
 */
export function patternStoreFor(workspace: string, learning: LearningConfig = {}): Promise<LayeredPatternStore> {
  const user = learning.userStore === false ? undefined : userStoreFile();
  const root = path.resolve(workspace);
  const id = JSON.stringify([root, user ?? null, learning.neo4j ?? null]);
  let store = opened.get(id);
  if (!store) {
    store = (async () => {
      const layers: StoreLayer[] = [{ layer: 'workspace', store: await EmbeddedPatternStore.forWorkspace(root) }];
      if (user) layers.push({ layer: 'user', store: await EmbeddedPatternStore.forFile(user) });
      if (learning.neo4j) layers.push({ layer: 'team', store: await openTeamStore(root, learning.neo4j) });
      return new LayeredPatternStore(layers, await frameworkOf(root));
    })();
    opened.set(id, store);
    store.catch(() => opened.delete(id));
  }
  return store;
}

/** A workspace's `learning` settings, or the defaults when its configuration cannot be read (learning never fails a command for that). */
export async function learningOf(workspace: string, configFile?: string): Promise<LearningConfig> {
  try {
    const loaded = await loadConfig(workspace, configFile);
    return loaded.ok ? loaded.config.learning ?? {} : {};
  } catch {
    return {};
  }
}

/** Frameworks by the package a manifest names, most specific first. */
const FRAMEWORKS: Array<[string, RegExp]> = [
  ['fastapi', /^fastapi\b/im],
  ['flask', /^flask\b/im],
  ['django', /^django\b/im],
  ['starlette', /^starlette\b/im],
  ['nestjs', /"@nestjs\/core"\s*:/],
  ['fastify', /"fastify"\s*:/],
  ['koa', /"koa"\s*:/],
  ['express', /"express"\s*:/],
];

/** The workspace's web framework as its manifests name it (requirements, pyproject, package.json), or undefined. */
export async function frameworkOf(workspace: string): Promise<string | undefined> {
  const texts = await Promise.all(
    ['requirements.txt', 'requirements.in', 'pyproject.toml', 'package.json'].map((f) => readFile(path.join(workspace, f), 'utf8').catch(() => '')),
  );
  // pyproject lists dependencies as quoted strings: `"fastapi>=0.110"`.
  const text = texts.map((t) => t.replace(/^\s*"([A-Za-z][\w.-]*)/gm, '$1')).join('\n');
  return FRAMEWORKS.find(([, re]) => re.test(text))?.[0];
}

/** Close every store this process opened (a team store's connections keep a process alive). */
export async function closePatternStores(): Promise<void> {
  const all = [...opened.values()];
  opened.clear();
  for (const store of all) await store.then((s) => s.close()).catch(() => undefined);
}
