/**
 * The repair loop on field apps with several faults planted at once (one of each kind a rule is
 * meant to fix, in different files), as a process: the pass rate per iteration, the fixes by type,
 * why it stopped and the wall time split into smoke, plan, validation, apply and reload.
 *
 *   node --import tsx bench/loop/field.ts [--app NAME ...] [--json]
 *
 * Default apps: fastapi-tasks and express-mvc-users. Nothing in the field apps is changed: each
 * run works on a copy in a temp folder.
 */
import { parseArgs } from 'node:util';
import { formatLoop } from '../../server/src/cliTable';
import { repairLoop, type LoopRecord } from '../../server/src/engine/loop';
import { runSmoke } from '../../server/src/engine/run';
import { copyFieldApp } from '../../test/setup/field';
import { freePort } from '../../test/setup/net';
import { applyEdits, type Fault, type FaultKind } from '../corpus/faults';
import { machine, plannedFaults } from '../corpus/runner';

const KINDS: FaultKind[] = ['remove-import', 'unused-missing-import', 'status-code', 'route-path'];

/** One rule-fixable process fault of each kind, no two in the same file. */
function pick(app: string): Fault[] {
  const all = plannedFaults({ apps: [app] }).filter((f) => f.runtime === 'process' && f.ruleFixable);
  const out: Fault[] = [];
  const files = new Set<string>();
  for (const kind of KINDS) {
    const f = all.find((x) => x.kind === kind && x.edits.every((e) => !files.has(e.file)));
    if (!f) continue;
    out.push(f);
    for (const e of f.edits) files.add(e.file);
  }
  return out;
}

async function runApp(app: string): Promise<{ app: string; faults: string[]; before: string; record: LoopRecord; wallMs: number }> {
  const faults = pick(app);
  const ws = copyFieldApp(app, { port: await freePort() });
  try {
    applyEdits(ws.dir, faults.flatMap((f) => f.edits));
    const start = await runSmoke({ workspace: ws.dir });
    const t = Date.now();
    const { record } = await repairLoop({ workspace: ws.dir, apply: 'safe', maxIterations: 5 });
    return { app, faults: faults.map((f) => `${f.kind} ${f.file}:${f.line}: ${f.summary}`), before: `${start.passed}/${start.total}`, record, wallMs: Date.now() - t };
  } finally {
    ws.remove();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { app: { type: 'string', multiple: true }, json: { type: 'boolean' } } });
  const apps = values.app?.length ? values.app : ['fastapi-tasks', 'express-mvc-users'];
  const results = [];
  for (const app of apps) results.push(await runApp(app));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ machine: machine(), results }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`machine: ${machine()}\ncommand: node --import tsx bench/loop/field.ts${apps.map((a) => ` --app ${a}`).join('')}\n`);
  for (const r of results) {
    process.stdout.write(`\n## ${r.app} (planted: ${r.faults.length}; smoke before the loop ${r.before})\n`);
    for (const f of r.faults) process.stdout.write(`  - ${f}\n`);
    process.stdout.write(`\n${formatLoop(r.record)}`);
    const total: Record<string, number> = {};
    for (const it of r.record.iterations) for (const [k, v] of Object.entries(it.timings)) total[k] = (total[k] ?? 0) + v;
    process.stdout.write(`wall ${(r.wallMs / 1000).toFixed(1)} s; ${Object.entries(total).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
