/**
 * Patch generation time for the real plans the planners make for the example apps' faults.
 *   node --import tsx bench/patch.bench.ts [iterations=200] [warmup=20] [spawnIterations=200] [lockIterations=5]
 * The saved smoke reports `test/fixtures/manifests/{shop-api,todo-api-node}-smoke.json` are
 * planned with the product's planner chain (`planOne`, anti-patterns then rules; no LLM) against
 * `examples/shop-api` and `examples/todo-api-node`, read-only. Then `generatePatch` runs on each
 * plan, `iterations` times after `warmup` runs, reading the files from disk as the product does.
 * Each executor call is timed too, per operation type. Plans with an operation that uses another
 * process (Python import analysis asks the long-lived `python3` helper, started while planning;
 * `sync_lockfile` runs `npm install --package-lock-only`, which asks the registry) are reported
 * apart: `spawnIterations` and `lockIterations` runs respectively.
 * Budget (DESIGN): under 10 ms for a plan.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/src/engine/config';
import type { SmokeReport } from '../server/src/engine/model';
import { generatePatch, type ExecutorMap } from '../server/src/engine/patch';
import type { FixPlan, OperationType } from '../server/src/engine/fixPlan';
import { antiPatternPlanner } from '../server/src/engine/plan/antipatterns';
import { rulesPlanner } from '../server/src/engine/plan/rulesPlanner';
import { RULES } from '../server/src/engine/plan/rules';
import { defaultExecutors } from '../server/src/engine/repair/defaults';
import { planOne } from '../server/src/engine/repair/planOne';
import type { Executor } from '../server/src/engine/contracts';
import { workspaceReader } from '../server/src/engine/repair/workspaceFiles';
import { listWorkspaceFiles } from '../server/src/engine/traces/pathmap';

const ITERATIONS = Number(process.argv[2] ?? 200);
const WARMUP = Number(process.argv[3] ?? 20);
const SPAWN_ITERATIONS = Number(process.argv[4] ?? ITERATIONS);
const LOCK_ITERATIONS = Number(process.argv[5] ?? 5);
const root = path.resolve(import.meta.dirname, '..');
const EXAMPLES = ['shop-api', 'todo-api-node'] as const;

/** Whether an operation's executor uses another process: the Python helper, or a new npm. */
function spawns(op: { type: OperationType; file: string }): 'npm' | 'python' | undefined {
  if (op.type === 'sync_lockfile') return 'npm';
  if ((op.type === 'add_import' || op.type === 'remove_unused') && op.file.endsWith('.py')) return 'python';
  return undefined;
}

const via = (s: 'npm' | 'python') => (s === 'python' ? 'python helper' : 'spawns npm');

function stats(times: number[]): { p50: number; p99: number; max: number } {
  const s = [...times].sort((a, b) => a - b);
  const p = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: p(0.5), p99: p(0.99), max: s.at(-1)! };
}
const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
const line = (label: string, times: number[]) => {
  const s = stats(times);
  return `${label}: p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms, max ${f(s.max)} ms (n=${times.length})`;
};

/** The executors, each call timed into `into` under its operation type. */
function timedExecutors(into: Map<string, number[]>): ExecutorMap {
  const out: Record<string, Executor<OperationType>> = {};
  for (const [type, exec] of Object.entries(defaultExecutors) as Array<[OperationType, Executor<OperationType>]>) {
    out[type] = async (op, ctx) => {
      const t = performance.now();
      try {
        return await exec(op, ctx);
      } finally {
        const key = spawns(op) ? `${type} (${path.extname(op.file)}, ${via(spawns(op)!)})` : `${type}${type === 'add_import' || type === 'remove_unused' ? ` (${path.extname(op.file)})` : ''}`;
        const list = into.get(key) ?? [];
        list.push(performance.now() - t);
        into.set(key, list);
      }
    };
  }
  return out as ExecutorMap;
}

interface Case {
  example: string;
  scenario: string;
  plan: FixPlan;
  workspace: string;
  spawn?: 'npm' | 'python';
}

async function collect(): Promise<Case[]> {
  const cases: Case[] = [];
  for (const name of EXAMPLES) {
    const workspace = path.join(root, 'examples', name);
    const raw = readFileSync(path.join(root, 'test/fixtures/manifests', `${name}-smoke.json`), 'utf8');
    const report = JSON.parse(raw.replaceAll('<workspace>', workspace)) as SmokeReport;
    const loaded = await loadConfig(workspace);
    if (!loaded.ok) throw new Error(`${name}: ${loaded.errors.map((e) => e.message).join('; ')}`);
    const files = await listWorkspaceFiles(workspace);
    const read = workspaceReader(workspace);
    const planners = [antiPatternPlanner, rulesPlanner(RULES)];
    for (const violation of report.violations) {
      const planned = await planOne({ workspace, report, config: loaded.config, violation, files, read, planners, executors: defaultExecutors });
      const label = `${name} / ${violation.scenario}`;
      if (!planned.fix) {
        console.log(`  ${label}: no plan (${planned.noPlan?.reason.slice(0, 90)})`);
        continue;
      }
      if (planned.patchError) {
        console.log(`  ${label}: patch error (${planned.patchError.message})`);
        continue;
      }
      const ops = planned.fix.plan.operations;
      const spawn = ops.map(spawns).find((s) => s === 'npm') ?? ops.map(spawns).find((s) => s !== undefined);
      console.log(`  ${label}: ${planned.fix.plan.category}, ${ops.map((o) => `${o.type} ${o.file}`).join(' + ')}; planOne timings ${JSON.stringify(planned.timings)}`);
      cases.push({ example: name, scenario: violation.scenario, plan: planned.fix.plan, workspace, ...(spawn ? { spawn } : {}) });
    }
  }
  return cases;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  console.log(`command: node --import tsx bench/patch.bench.ts${args.length ? ` ${args.join(' ')}` : ''}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}`);
  console.log('plans:');
  const cases = await collect();

  const perType = new Map<string, number[]>();
  const spawnPerType = new Map<string, number[]>();
  const inProcess: number[] = [];
  const results: string[] = [];
  for (const c of cases) {
    const runs = c.spawn === 'npm' ? LOCK_ITERATIONS : c.spawn === 'python' ? SPAWN_ITERATIONS : ITERATIONS;
    const warm = c.spawn === 'npm' ? 1 : WARMUP;
    const read = workspaceReader(c.workspace);
    const scratch = new Map<string, number[]>();
    for (let i = 0; i < warm; i++) await generatePatch(c.plan, read, timedExecutors(scratch), { workspace: c.workspace });
    const into = c.spawn ? spawnPerType : perType;
    const executors = timedExecutors(into);
    const times: number[] = [];
    let first: string | undefined;
    let identical = true;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const patch = await generatePatch(c.plan, read, executors, { workspace: c.workspace });
      times.push(performance.now() - t);
      const bytes = JSON.stringify(patch);
      if (first === undefined) first = bytes;
      else if (bytes !== first) identical = false;
    }
    if (!c.spawn) inProcess.push(...times);
    const types = [...new Set(c.plan.operations.map((o) => o.type))].join('+');
    results.push(`  ${line(`${c.example} / ${c.scenario} [${types}]${c.spawn ? ` (${via(c.spawn)})` : ''}`, times)}${identical ? '' : ' — PATCHES DIFFER BETWEEN RUNS'}`);
  }

  console.log(`generatePatch per plan (${ITERATIONS} runs after ${WARMUP} warm-up; other-process plans: python ${SPAWN_ITERATIONS}, npm ${LOCK_ITERATIONS}):`);
  for (const r of results) console.log(r);
  console.log('executor time per operation type (in process):');
  for (const [k, v] of [...perType].sort()) console.log(`  ${line(k, v)}`);
  if (spawnPerType.size) {
    console.log('executor time per operation type (uses another process):');
    for (const [k, v] of [...spawnPerType].sort()) console.log(`  ${line(k, v)}`);
  }
  if (inProcess.length) console.log(line(`all in-process plans (budget 10 ms)`, inProcess));

  // What starting the process costs (npm on every call; python once, for the helper).
  const startup = (cmd: string, args: string[], n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = spawnSync(cmd, args, { stdio: 'ignore' });
      times.push(performance.now() - t);
      if (r.status !== 0) return `${cmd} failed`;
    }
    return line(`${cmd} ${args.join(' ')}`, times);
  };
  console.log('process start-up alone:');
  console.log(`  ${startup(process.env.SMOKE_REPAIR_PYTHON ?? 'python3', ['-I', '-S', '-c', 'pass'], 20)}`);
  console.log(`  ${startup('npm', ['--version'], 5)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
