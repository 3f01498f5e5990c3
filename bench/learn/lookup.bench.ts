/**
 * Pattern lookups in the embedded store: p50 and p99 of one lookup (exception class and endpoint,
 * falling back to the message shape) with 1,000, 10,000 and 100,000 attempts recorded, over
 * patterns spread across 50 exception classes, 1,000 endpoints and 200 edits; and the time to open
 * the store (read and fold the file). Each lookup reads what was appended since, as the repair loop
 * does (`lookup`), and the in-memory answer alone (`lookupCached`).
 *
 *   node --import tsx bench/learn/lookup.bench.ts [--json]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { EmbeddedPatternStore } from '../../server/src/engine/learn/store';

const SIZES = [1_000, 10_000, 100_000];
const LOOKUPS = 2_000;

function line(i: number): string {
  return JSON.stringify({
    kind: 'attempt',
    v: 1,
    at: i,
    signature: { exceptionClass: `E${i % 50}`, messageShape: `name '{}' is not defined ${i % 13}`, endpoint: `GET /r${i % 1000}/{}`, status: 500, failureType: 'RUNTIME' },
    edit: { operations: [{ type: 'add_import', details: { name: '{0}', module: `m${i % 200}` } }] },
    fixType: 'add_import',
    planner: 'rules',
    source: 'tool',
    outcome: i % 7 === 0 ? 'failure' : 'success',
    roles: ['handler'],
  });
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (n: number) => `${n.toFixed(3)} ms`;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const rows: Array<Record<string, number>> = [];
  for (const size of SIZES) {
    const dir = mkdtempSync(path.join(tmpdir(), 'lookup-bench-'));
    try {
      const file = path.join(dir, 'patterns.jsonl');
      writeFileSync(file, `${Array.from({ length: size }, (_, i) => line(i)).join('\n')}\n`);
      const t0 = performance.now();
      const store = await EmbeddedPatternStore.open(file);
      const openMs = performance.now() - t0;
      const queries = Array.from({ length: LOOKUPS }, (_, i) => ({ exceptionClass: `E${(i * 7) % 50}`, endpoint: `GET /r${(i * 13) % 1000}/{}`, messageShape: `name '{}' is not defined ${i % 13}`, failureType: 'RUNTIME', status: 500 }));
      const fresh: number[] = [];
      const cached: number[] = [];
      for (const q of queries) {
        let t = performance.now();
        await store.lookup(q);
        fresh.push(performance.now() - t);
        t = performance.now();
        store.lookupCached(q);
        cached.push(performance.now() - t);
      }
      fresh.sort((a, b) => a - b);
      cached.sort((a, b) => a - b);
      rows.push({ attempts: size, patterns: (await store.list()).patterns.length, openMs, p50: pct(fresh, 50), p99: pct(fresh, 99), cachedP50: pct(cached, 50), cachedP99: pct(cached, 99), bytes: await store.size() });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const machine = `${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  if (json) {
    process.stdout.write(`${JSON.stringify({ machine, lookups: LOOKUPS, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`machine: ${machine}\ncommand: node --import tsx bench/learn/lookup.bench.ts (${LOOKUPS} lookups per size)\n\n`);
  process.stdout.write('attempts  patterns  file       open       lookup p50  lookup p99  in memory p50  in memory p99\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.attempts).padEnd(8)}  ${String(r.patterns).padEnd(8)}  ${`${(r.bytes! / 2 ** 20).toFixed(1)} MiB`.padEnd(9)}  ${ms(r.openMs!).padEnd(9)}  ${ms(r.p50!).padEnd(10)}  ${ms(r.p99!).padEnd(10)}  ${ms(r.cachedP50!).padEnd(13)}  ${ms(r.cachedP99!)}\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
