/**
 * Pattern lookups in the team store on a real Neo4j (test/setup/neo4j.ts starts one on 127.0.0.1):
 * p50 and p99 of one lookup with 1,000, 10,000 and 100,000 attempts recorded (the same spread as
 * bench/learn/lookup.bench.ts: 50 exception classes, 1,000 endpoints, 200 edits), and the time to
 * load them (importEvents, 2,000 events a transaction).
 *
 *   node --import tsx bench/learn/neo4j-lookup.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { Neo4jPatternStore } from '../../server/src/engine/learn/neo4j';
import type { PatternEvent } from '../../server/src/engine/learn/patterns';
import { startNeo4j } from '../../test/setup/neo4j';

const SIZES = [1_000, 10_000, 100_000];
const LOOKUPS = 2_000;

const event = (i: number): PatternEvent => ({
  kind: 'attempt', id: `bench-${i}`, v: 1, at: i,
  signature: { exceptionClass: `E${i % 50}`, messageShape: `name '{}' is not defined ${i % 13}`, endpoint: `GET /r${i % 1000}/{}`, status: 500, failureType: 'RUNTIME' },
  edit: { operations: [{ type: 'add_import', details: { name: '{0}', module: `m${i % 200}` } }] },
  fixType: 'add_import', planner: 'rules', source: 'tool', outcome: i % 7 === 0 ? 'failure' : 'success', roles: ['handler'],
});
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(): Promise<void> {
  const server = await startNeo4j();
  const dir = mkdtempSync(path.join(tmpdir(), 'neo4j-bench-'));
  const store = await Neo4jPatternStore.open({ uri: server.uri, outbox: path.join(dir, 'outbox.jsonl') });
  const rows: string[] = [];
  try {
    let loaded = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      await store.importEvents(Array.from({ length: size - loaded }, (_, i) => event(loaded + i)));
      const loadMs = performance.now() - t0;
      loaded = size;
      const times: number[] = [];
      for (let i = 0; i < LOOKUPS; i++) {
        const t = performance.now();
        await store.lookup({ exceptionClass: `E${(i * 7) % 50}`, endpoint: `GET /r${(i * 13) % 1000}/{}`, messageShape: `name '{}' is not defined ${i % 13}`, failureType: 'RUNTIME', status: 500 });
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      rows.push(`${String(size).padEnd(8)}  ${`${(loadMs / 1000).toFixed(1)} s`.padEnd(9)}  ${ms(pct(times, 50)).padEnd(10)}  ${ms(pct(times, 99))}`);
    }
  } finally {
    await store.close();
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`machine: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Neo4j 5.26 embedded (Java 17)\n`);
  process.stdout.write(`command: node --import tsx bench/learn/neo4j-lookup.bench.ts (${LOOKUPS} lookups per size)\n\nattempts  load      lookup p50  lookup p99\n${rows.join('\n')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
