/**
 * Sandbox set-up cost for a small patch in a large workspace.
 *   node --import tsx bench/sandbox.bench.ts [files=10000] [runs=20]
 * Creates a workspace of `files` files (100 folders) in a temp folder, then times createSandbox +
 * view() for a 2-file patch, `runs` times. Budget: under 1 s (DESIGN: proportional to what changes).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { createSandbox } from '../server/src/engine/validate';

const files = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 20);
async function main(): Promise<void> {
const ws = mkdtempSync(path.join(tmpdir(), 'sandbox-bench-'));
try {
  for (let i = 0; i < files; i++) {
    const dir = path.join(ws, `pkg${i % 100}`);
    if (i < 100) mkdirSync(dir);
    writeFileSync(path.join(dir, `mod${i}.py`), `value = ${i}\n`);
  }
  const patch = [
    { file: 'pkg1/mod1.py', after: 'value = -1\n' },
    { file: 'pkg2/mod2.py', after: 'value = -2\n' },
  ];
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const sb = await createSandbox({ workspace: ws, files: patch });
    await sb.view();
    times.push(performance.now() - t0);
    await sb.dispose();
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`workspace: ${files} files in 100 folders; patch: 2 files; ${runs} runs`);
  console.log(`sandbox set-up (files + view): median ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${times.at(-1)!.toFixed(1)} ms (budget 1000 ms)`);
} finally {
  rmSync(ws, { recursive: true, force: true });
}
}

void main();
