/**
 * Stale evidence: two requests fail on one unused import in a helper both handlers call. The first
 * fix deletes the import; the second failure's trace still points at the deleted line, and a plan
 * made from it would put the module back (as a dependency). It is not planned; the next smoke run
 * shows it fixed.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { repairOnce } from '../../server/src/engine/repair';
import { copyFieldApp, type FieldWorkspace } from '../setup/field';
import { freePort } from '../setup/net';

let ws: FieldWorkspace | undefined;
after(() => ws?.remove());

test('a failure whose trace runs through a line an earlier fix of the run changed is not planned from it', async () => {
  ws = copyFieldApp('fastapi-heroes', { port: await freePort(), scenarios: ['create team', 'read team', 'create hero', 'read hero'] });
  writeFileSync(
    path.join(ws.dir, 'app/audit.py'),
    ['import logging', '', 'log = logging.getLogger("audit")', '', '', 'def record(event, key):', '    import ipdb', '    log.info("%s %s", event, key)', ''].join('\n'),
  );
  for (const [file, fn, after] of [
    ['app/routers/teams.py', 'async def read_team(team_id: int, session: SessionDep):', '    record("read", team_id)\n'],
    // The hero read has a second fault after the audit call: the first fix alone does not make it pass.
    ['app/routers/heroes.py', 'def read_hero(hero_id: int, session: SessionDep):', '    record("read", hero_id)\n    raise LookupError("a second fault")\n'],
  ]) {
    const full = path.join(ws.dir, file);
    const text = readFileSync(full, 'utf8').replace(`${fn}\n`, `${fn}\n${after}`).replace(/^(from \.\.dependencies)/m, 'from ..audit import record\n$1');
    writeFileSync(full, text);
  }
  const requirements = readFileSync(path.join(ws.dir, 'requirements.txt'), 'utf8');

  const summary = await repairOnce({ workspace: ws.dir, apply: 'safe' });
  assert.equal(summary.records.length, 2, summary.records.map((r) => r.violation.message).join('\n'));
  // The team read comes first; its fix (validated: the team read passes, nothing regresses) is applied.
  const first = summary.records.find((r) => r.violation.scenario === 'read team')!;
  const second = summary.records.find((r) => r.violation.scenario === 'read hero')!;
  assert.equal(first.plan?.operations[0].type, 'remove_unused', JSON.stringify(first.noPlan ?? first.plan));
  assert.equal(first.applied, true, first.reason);
  assert.equal(second.plan, undefined, JSON.stringify(second.plan));
  assert.match(second.reason, /not planned: its evidence is older than a fix applied earlier in this run, which changed app\/audit\.py:7/);
  assert.equal(readFileSync(path.join(ws.dir, 'requirements.txt'), 'utf8'), requirements, 'no dependency was added for a deleted import');
});
