/**
 * Every trace on its own request, on apps written in the styles real projects use (test/field/):
 * a fault planted in each of several handlers raises an error whose message names its site, the
 * scenarios run at the default concurrency, and each violation's trace must be the one raised by
 * its own handler, or none at all (explicitly unpinned), never a neighbour's. 20 runs per app.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runSmoke } from '../../server/src/engine';
import { copyFieldApp, ensureFieldImages, fieldApps, plantedMessage, type FieldWorkspace } from '../setup/field';
import { waitForHealth } from '../../server/src/engine/smoke/health';
import { freePort } from '../setup/net';

const RUNS = Number(process.env.SMOKE_REPAIR_ATTRIBUTION_RUNS ?? 20);

for (const mode of ['process', 'docker'] as const) for (const app of fieldApps()) {
  describe(`trace attribution on ${app.name} as a ${mode} (${app.style})`, () => {
    let ws: FieldWorkspace | undefined;
    after(() => ws?.remove());

    test(`${RUNS} runs at the default concurrency: no trace on the wrong scenario`, async () => {
      if (mode === 'docker') ensureFieldImages();
      const w = copyFieldApp(app.name, { port: await freePort(), plant: app.sites.map((s) => s.id), docker: mode === 'docker' });
      ws = w;
      if (mode === 'docker') {
        w.up();
        await waitForHealth(`http://127.0.0.1:${w.port}`, { path: '/', anyAnswer: true }, 60_000);
      }
      const totals = { right: 0, unpinned: 0, none: 0 };
      const how: Record<string, number> = {};
      for (let run = 1; run <= RUNS; run++) {
        const report = await runSmoke({ workspace: w.dir });
        assert.equal(report.violations.length, app.sites.length, `run ${run}: one violation per planted fault\n${report.violations.map((v) => v.message).join('\n')}`);
        for (const v of report.violations) {
          const site: FieldWorkspace['planted'][number] | undefined = w.planted.find((s) => s.scenario === v.scenario);
          assert.ok(site, `run ${run}: ${v.scenario} failed although nothing was planted on its path: ${v.message}`);
          if (!v.trace) {
            assert.notEqual(v.attribution, 'window', `run ${run}: ${v.scenario}: no trace, yet attributed by window`);
            // Without a trace the failure sits on its route handler (or its scenario's line), never on another handler.
            if (v.locationKind === 'handler') assert.equal(v.location?.file, site.file, `run ${run}: ${v.scenario} placed on another file's handler`);
            else assert.equal(v.locationKind, 'scenario', `run ${run}: ${v.scenario} placed by ${v.locationKind}`);
            if (v.attribution === 'unpinned') totals.unpinned++;
            else totals.none++;
            continue;
          }
          assert.equal(v.trace.message, plantedMessage(site), `run ${run}: ${v.scenario} carries another request's trace (${v.attribution}): ${v.trace.exceptionClass}: ${v.trace.message}`);
          assert.equal(v.trace.exceptionClass, site.exceptionClass, `run ${run}: ${v.scenario}`);
          assert.ok(v.attribution === 'window' || v.attribution === 'rerun' || v.attribution === 'body', `run ${run}: ${v.scenario} attributed as ${v.attribution}`);
          assert.equal(v.location?.file, site.file, `run ${run}: ${v.scenario} is located in ${v.location?.file}, not where the fault is`);
          totals.right++;
          how[v.attribution!] = (how[v.attribution!] ?? 0) + 1;
        }
      }
      console.log(`${app.name} (${mode}): ${JSON.stringify({ ...totals, how })} over ${RUNS} runs of ${app.sites.length} planted faults`);
      if (app.logsStacks) assert.equal(totals.right, RUNS * app.sites.length, 'every planted fault came back with its own trace');
      else assert.equal(totals.right, 0, `${app.name} logs no stack, so no trace can be found in its log`);
    });
  });
}
