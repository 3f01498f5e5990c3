import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listCheckpoints, rollback } from '../../server/src/engine/apply';
import { listRecords } from '../../server/src/engine/records';
import { repairOnce } from '../../server/src/engine/repair';
import { ensureDocker, ensureExampleUp, type ExampleName } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';

/**
 * The whole pipeline on COPIES of the example apps, each in its own container on its own port
 * (the shared example containers stay as they are): every fault a rule can fix is fixed,
 * validated and applied; smoke passes for it afterwards; nothing that passed fails; the fault no
 * rule can fix ends with "no plan" and a reason; rollback restores every file byte for byte.
 */

const EXPECT: Record<ExampleName, { fixed: string[]; noPlan: string[]; after: number }> = {
  'shop-api': {
    fixed: ['product slug', 'review product', 'list reviews', 'get customer', 'add address', 'add item', 'pay order'],
    noPlan: ['order total'],
    after: 18,
  },
  'todo-api-node': { fixed: ['rename list', 'export list as CSV', 'comment on todo', 'create tag', 'list tags'], noPlan: ['list stats'], after: 17 },
};

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (['.smoke-repair', 'node_modules', '__pycache__'].includes(e.name)) continue;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(path.join(dir, p)).toString('base64'));
    }
  };
  walk('');
  return out;
}

for (const name of ['shop-api', 'todo-api-node'] as const) {
  describe(`repair pipeline on a copy of ${name}`, { timeout: 20 * 60_000 }, () => {
    let copy: ExampleCopy;
    before(async () => {
      await ensureDocker();
      await ensureExampleUp(name); // its image must exist; the shared container itself is not touched
      copy = await copyExample(name, await freePort());
    });
    after(() => copy?.stop());

    test('fixes, validates and applies every rule-fixable fault; the rest has no plan; rollback restores every byte', async () => {
      const original = snapshot(copy.dir);
      const summary = await repairOnce({ workspace: copy.dir, apply: 'safe' });
      const byScenario = new Map(summary.records.map((r) => [r.violation.scenario, r]));
      for (const s of EXPECT[name].fixed) {
        const r = byScenario.get(s);
        assert.ok(r, `a record for ${s}`);
        assert.ok(r.applied || /^fixed by fix-/.test(r.reason), `${s}: ${r.reason}`);
        if (r.applied) assert.equal(r.validation?.status, 'passed');
      }
      for (const s of EXPECT[name].noPlan) {
        const r = byScenario.get(s)!;
        assert.equal(r.applied, false);
        assert.ok(r.noPlan, `${s} has no plan`);
        assert.match(r.noPlan.reason, /^no plan: /);
      }
      const after = summary.reportAfter!;
      assert.ok(after, 'smoke ran again');
      const failingAfter = after.scenarios.filter((x) => !x.ok).map((x) => x.name);
      for (const s of EXPECT[name].fixed) assert.ok(!failingAfter.includes(s), `${s} passes after the repair (failing: ${failingAfter.join(', ')})`);
      assert.equal(after.passed, EXPECT[name].after, `failing after: ${failingAfter.join(', ')}`);
      const { records, problems } = await listRecords(copy.dir);
      assert.equal(problems.length, 0);
      assert.ok(records.every((r) => r.passRateAfter === after.passRate));
      process.stderr.write(`${name} timings: ${JSON.stringify(summary.records.map((r) => [r.violation.scenario, r.timings]))}\n`);

      // Roll back every applied fix, last first.
      let open = (await listCheckpoints(copy.dir)).checkpoints.filter((c) => !c.rolledBackAt).length;
      assert.equal(open, summary.counts.applied);
      while (open-- > 0) await rollback(copy.dir);
      const restored = snapshot(copy.dir);
      assert.deepEqual([...restored.keys()].sort(), [...original.keys()].sort());
      for (const [f, bytes] of original) assert.equal(restored.get(f), bytes, `${f} restored byte for byte`);
    });
  });
}
