/**
 * Smoke runner throughput and overhead against a local HTTP server with a fixed service time,
 * compared with a raw undici keep-alive loop at the same concurrency.
 * Run: node --import tsx bench/runner.bench.ts [requests=4000] [concurrency=8] [serviceMs=2]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Scenario } from '../server/src/engine/model';
import { runScenarios } from '../server/src/engine/smoke/runner';

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 4000);
  const concurrency = Number(process.argv[3] ?? 8);
  const serviceMs = Number(process.argv[4] ?? 2);

  const server = createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true,"total":25}');
    }, serviceMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function raw(): Promise<{ ms: number; lat: number[] }> {
    const pool = new Pool(base, { connections: concurrency, pipelining: 1 });
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const s = performance.now();
          const res = await pool.request({ path: '/item', method: 'GET' });
          await res.body.text();
          lat.push(performance.now() - s);
        }
      }),
    );
    const ms = performance.now() - t0;
    await pool.close();
    return { ms, lat };
  }

  async function runner(): Promise<{ ms: number; lat: number[] }> {
    const scenarios: Scenario[] = Array.from({ length: total }, (_, i) => ({
      id: `s${i}`,
      name: `s${i}`,
      request: { method: 'GET', path: '/item' },
      expectStatus: [200],
      expectJson: { total: 25 },
      order: 0,
      source: { kind: 'file', file: 'bench', line: i + 1 },
    }));
    const t0 = performance.now();
    const results = await runScenarios(base, scenarios, { concurrency, timeoutMs: 10_000, retries: 0 });
    const ms = performance.now() - t0;
    if (results.some((r) => !r.ok)) throw new Error('a benchmark request failed');
    return { ms, lat: results.map((r) => r.durationMs) };
  }

  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}`);
  console.log(`command: node --import tsx bench/runner.bench.ts ${total} ${concurrency} ${serviceMs}`);
  console.log(`server: node:http on loopback, fixed service time ${serviceMs} ms; ${total} GET requests, concurrency ${concurrency}`);
  await raw(); // warm-up
  await runner();
  const rows: Array<[string, { ms: number; lat: number[] }]> = [];
  for (let i = 0; i < 3; i++) {
    rows.push(['raw undici keep-alive', await raw()]);
    rows.push(['smoke runner', await runner()]);
  }
  const best = (name: string) => rows.filter(([n]) => n === name).map(([, r]) => r).sort((a, b) => a.ms - b.ms)[0];
  const r0 = best('raw undici keep-alive');
  const r1 = best('smoke runner');
  for (const [name, r] of [['raw undici keep-alive', r0], ['smoke runner', r1]] as const) {
    console.log(`${name.padEnd(22)} ${(total / (r.ms / 1000)).toFixed(0).padStart(7)} req/s   latency mean ${mean(r.lat).toFixed(2)} ms  p50 ${pct(r.lat, 50).toFixed(2)} ms  p99 ${pct(r.lat, 99).toFixed(2)} ms`);
  }
  const overheadMs = mean(r1.lat) - mean(r0.lat);
  console.log(`runner/raw throughput: ${(r0.ms / r1.ms).toFixed(2)}x (budget: within 2x)`);
  console.log(`overhead per request: ${overheadMs.toFixed(3)} ms = ${((overheadMs / serviceMs) * 100).toFixed(1)}% of the ${serviceMs} ms service time (budget: under 5%)`);
  server.close();

}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
