/**
 * The repair loop on two field apps of the corpus (test/field/: FastAPI's "bigger applications"
 * layout and the layered Express boilerplate), each with four faults planted at once, one of each
 * kind a rule fixes (a removed import, an unused import of a missing module, a wrong status code, a
 * misspelt mount path), some behind others on the same request or at start. The pass rate never
 * falls and rises to 100%: a fix that takes a failure's own cause away while another fault still
 * fails its scenario is applied as progress, and the loop goes on. `bench/loop/field.ts` prints the
 * same runs with their timings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runFieldLoop } from '../../bench/loop/fieldLoop';

describe('the repair loop on field apps with faults behind faults', { timeout: 10 * 60_000 }, () => {
  for (const app of ['fastapi-tasks', 'express-mvc-users']) {
    test(app, async () => {
      const r = await runFieldLoop(app);
      assert.equal(r.faults.length, 4, r.faults.join('\n'));
      const its = r.record.iterations;
      const table = JSON.stringify(its.map((i) => [i.n, `${i.passedBefore}/${i.total}`, `${i.passedAfter}/${i.total}`, i.fixesByType, i.progress ?? []]));
      assert.equal(r.record.stopReason, 'target', `${r.record.stopDetail}\n${table}`);
      assert.equal(r.record.passRateEnd, 1, table);
      for (const it of its) assert.ok(it.passRateAfter >= it.passRateBefore, `iteration ${it.n} never loses ground: ${table}`);
      const kinds = new Set(its.flatMap((i) => Object.keys(i.fixesByType)));
      for (const kind of ['set_status_code', 'update_route']) assert.ok(kinds.has(kind), `${kind} among ${[...kinds].join(', ')}`);
      assert.ok(kinds.has('remove_unused') && kinds.has('add_import'), [...kinds].join(', '));
      assert.equal(r.record.escalation, undefined);
    });
  }
});
