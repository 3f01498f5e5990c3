import { repairLoop, type LoopRecord } from '../../server/src/engine/loop';
import { runSmoke } from '../../server/src/engine/run';
import { copyFieldApp } from '../../test/setup/field';
import { freePort } from '../../test/setup/net';
import { applyEdits, type Fault, type FaultKind } from '../corpus/faults';
import { plannedFaults } from '../corpus/runner';

/**
 * The repair loop on a copy of a field app with several faults planted at once: one rule-fixable
 * fault of each kind, no two in the same file, run as a process. Shared by the benchmark
 * (bench/loop/field.ts) and the test that keeps it true (test/integration/field-loop.test.ts).
 */

const KINDS: FaultKind[] = ['remove-import', 'unused-missing-import', 'status-code', 'route-path'];

/** One rule-fixable process fault of each kind, no two in the same file. */
export function pick(app: string): Fault[] {
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

export async function runFieldLoop(app: string): Promise<{ app: string; faults: string[]; before: string; record: LoopRecord; wallMs: number }> {
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

