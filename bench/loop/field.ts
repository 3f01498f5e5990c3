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
import { machine } from '../corpus/runner';
import { runFieldLoop } from './fieldLoop';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { app: { type: 'string', multiple: true }, json: { type: 'boolean' } } });
  const apps = values.app?.length ? values.app : ['fastapi-tasks', 'express-mvc-users'];
  const results = [];
  for (const app of apps) results.push(await runFieldLoop(app));
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
