/**
 * Two checkouts of one project: the container that answers was started from the other one. The
 * run says so before anything else, and `repair --once` applies nothing (the app would not see it).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { runSmoke } from '../../server/src/engine';
import { repairOnce } from '../../server/src/engine/repair';
import { waitForHealth } from '../../server/src/engine/smoke/health';
import { copyFieldApp, ensureFieldImages, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

const copies: FieldWorkspace[] = [];
after(() => copies.forEach((c) => c.remove()));

/** An unused import of a module the image lacks, inside one handler: that request fails with 500. */
function plantUnusedImport(ws: FieldWorkspace): void {
  const file = path.join(ws.dir, 'app/routers/heroes.py');
  const text = readFileSync(file, 'utf8').replace('def read_heroes(session: SessionDep, offset: int = 0, limit: int = Query(default=100, le=100)):\n', (m) => `${m}    import ipdb\n`);
  writeFileSync(file, text);
}

test('a container started from another checkout is named, and no fix is applied to this one', async () => {
  ensureFieldImages();
  const port = await freePort();
  const running = copyFieldApp('fastapi-heroes', { port, docker: true });
  const here = copyFieldApp('fastapi-heroes', { port, docker: true });
  copies.push(here, running);
  plantUnusedImport(running);
  plantUnusedImport(here);
  running.up();
  await waitForHealth(`http://127.0.0.1:${port}`, { path: '/', anyAnswer: true }, 60_000);
  // This checkout names the same compose project, as two clones of one repository do.
  const yamlFile = path.join(here.dir, 'smoke-repair.yaml');
  writeFileSync(yamlFile, readFileSync(yamlFile, 'utf8').replace(`project: ${here.project}`, `project: ${running.project}`));

  const report = await runSmoke({ workspace: here.dir });
  assert.ok(report.foreignApp, 'the run says the app is not this workspace\'s');
  assert.match(report.foreignApp, new RegExp(`mounts ${running.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/app`));
  assert.ok(report.warnings?.some((w) => w.includes('Fixes are not applied')), String(report.warnings));
  assert.equal(report.violations.length, 1, report.violations.map((v) => v.message).join('\n'));

  const before = readFileSync(path.join(here.dir, 'app/routers/heroes.py'), 'utf8');
  const summary = await repairOnce({ workspace: here.dir, apply: 'safe' });
  assert.equal(summary.counts.applied, 0);
  const rec = summary.records[0];
  assert.match(rec.reason, /not validated or applied: the app's container mounts/, rec.reason);
  assert.ok(rec.plan, 'the fix is still planned, for a person to read');
  assert.equal(readFileSync(path.join(here.dir, 'app/routers/heroes.py'), 'utf8'), before, 'nothing was written');
});

test('the same check passes for the checkout the container runs', async () => {
  ensureFieldImages();
  const ws = copyFieldApp('fastapi-heroes', { port: await freePort(), docker: true });
  copies.push(ws);
  ws.up();
  await waitForHealth(`http://127.0.0.1:${ws.port}`, { path: '/', anyAnswer: true }, 60_000);
  const report = await runSmoke({ workspace: ws.dir });
  assert.equal(report.foreignApp, undefined);
  assert.equal(report.warnings, undefined);
});
