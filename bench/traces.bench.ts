/**
 * Trace parsing throughput and memory.
 *   node --import tsx bench/traces.bench.ts [--gb=1]
 * 1. MB/s of extractTraces-style scanning over a 64 MB log: access-log noise mixed with the real
 *    fixtures (about 5% of the bytes are traces); then the same log as `docker compose logs -t`
 *    prints it (a service prefix and a timestamp on every line).
 * 2. Peak RSS while a TraceScanner streams a log of --gb gigabytes generated on the fly (never
 *    written to disk), fed in 64 KB chunks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { extractTraces, TraceScanner } from '../server/src/engine/traces';

const dir = join(import.meta.dirname, '../test/fixtures/traces');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((f) => readFileSync(join(dir, f), 'utf8'));
const tracesIn = fixtures.map((f) => extractTraces(f).length);

const NOISE = [
  'INFO:     127.0.0.1:53122 - "GET /items/42 HTTP/1.1" 200 OK',
  '2024-05-01T12:00:00.123Z api request completed method=POST path=/carts status=201 duration_ms=12',
  '[2024-05-01 12:00:01,004] DEBUG sqlalchemy.engine: SELECT items.id, items.sku FROM items WHERE items.id = ?',
  'GET /users/7 200 3.112 ms - 341',
  'worker 3 heartbeat ok; queue depth 0; memory 123456 kB',
  '{"level":30,"time":1714564800123,"msg":"request completed","res":{"statusCode":200},"responseTime":4}',
];

/** Deterministic noise + trace mix of about `bytes` characters. */
function makeLog(bytes: number, seed: number): { text: string; traces: number } {
  const parts: string[] = [];
  let size = 0;
  let traces = 0;
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  while (size < bytes) {
    if (rnd() < 0.002) {
      const i = Math.floor(rnd() * fixtures.length);
      parts.push(fixtures[i]!);
      size += fixtures[i]!.length;
      traces += tracesIn[i]!;
    } else {
      const l = `${NOISE[Math.floor(rnd() * NOISE.length)]!}\n`;
      parts.push(l);
      size += l.length;
    }
  }
  return { text: parts.join(''), traces };
}

function mb(n: number): string {
  return (n / 1024 / 1024).toFixed(1);
}

const gbArg = process.argv.find((a) => a.startsWith('--gb='));
const GB = gbArg ? Number(gbArg.slice(5)) : 1;

console.log(`command: node --import tsx bench/traces.bench.ts${gbArg ? ` ${gbArg}` : ''}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${mb(totalmem())} MB RAM, node ${process.version}`);

/** Best MB/s of 4 runs of a TraceScanner over `text` in 64 KB chunks, and the traces found. */
function throughput(text: string): { best: number; found: number } {
  const chunk = 64 * 1024;
  let best = 0;
  let found = 0;
  for (let run = 0; run < 4; run++) {
    found = 0;
    const s = new TraceScanner(() => found++);
    const t0 = performance.now();
    for (let p = 0; p < text.length; p += chunk) s.write(text.slice(p, p + chunk));
    s.end();
    const secs = (performance.now() - t0) / 1000;
    best = Math.max(best, text.length / 1024 / 1024 / secs);
  }
  return { best, found };
}

// 1. throughput
{
  const { text, traces } = makeLog(64 * 1024 * 1024, 1);
  const plain = throughput(text);
  console.log(`throughput: ${plain.best.toFixed(0)} MB/s over a ${mb(text.length)} MB log with ${traces} traces (found ${plain.found}); best of 4 runs, 64 KB chunks`);
  const decorated = text
    .split('\n')
    .map((l, i) => `web-1  | 2024-05-01T12:00:${String(i % 60).padStart(2, '0')}.${String(i % 1e9).padStart(9, '0')}Z ${l}`)
    .join('\n');
  const dec = throughput(decorated);
  console.log(`throughput (docker compose logs -t): ${dec.best.toFixed(0)} MB/s over ${mb(decorated.length)} MB with ${traces} traces (found ${dec.found})`);
}

// 2. bounded memory on a streamed log
{
  const { text: block, traces: perBlock } = makeLog(4 * 1024 * 1024, 7);
  const total = GB * 1024 * 1024 * 1024;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let found = 0;
  const s = new TraceScanner(() => found++);
  const chunk = 64 * 1024;
  let fed = 0;
  const t0 = performance.now();
  let blocks = 0;
  while (fed < total) {
    for (let p = 0; p < block.length && fed < total; p += chunk) {
      // A fresh string per chunk, as a stream would hand over.
      const piece = block.slice(p, p + chunk);
      s.write(piece);
      fed += piece.length;
    }
    blocks++;
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  }
  s.end();
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `stream: ${mb(fed)} MB in ${secs.toFixed(1)} s (${(fed / 1024 / 1024 / secs).toFixed(0)} MB/s), ${found} traces (expected ${perBlock * blocks}); ` +
      `RSS ${mb(rss0)} MB before, peak ${mb(peak)} MB (+${mb(peak - rss0)} MB)`,
  );
}
