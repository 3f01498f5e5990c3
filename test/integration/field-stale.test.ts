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
import { parse, stringify } from 'yaml';
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
  for (const [file, fn] of [['app/routers/heroes.py', 'def read_hero(hero_id: int, session: SessionDep):'], ['app/routers/teams.py', 'async def read_team(team_id: int, session: SessionDep):']]) {
    const full = path.join(ws.dir, file);
    const text = readFileSync(full, 'utf8').replace(`${fn}\n`, `${fn}\n    record("read", ${fn.includes('hero') ? 'hero_id' : 'team_id'})\n`).replace(/^(from \.\.dependencies)/m, 'from ..audit import record\n$1');
    writeFileSync(full, text);
  }
  // Without a sandbox run, nothing tells that the first fix also fixes the second failure.
  const yamlFile = path.join(ws.dir, 'smoke-repair.yaml');
  const config = parse(readFileSync(yamlFile, 'utf8'));
  config.validation = { scenarios: false };
  writeFileSync(yamlFile, stringify(config));
  const requirements = readFileSync(path.join(ws.dir, 'requirements.txt'), 'utf8');

  const summary = await repairOnce({ workspace: ws.dir, apply: 'safe' });
  assert.equal(summary.records.length, 2, summary.records.map((r) => r.violation.message).join('\n'));
  const [first, second] = summary.records;
  assert.equal(first.plan?.operations[0].type, 'remove_unused', JSON.stringify(first.noPlan ?? first.plan));
  assert.equal(first.applied, true, first.reason);
  assert.equal(second.plan, undefined, JSON.stringify(second.plan));
  assert.match(second.reason, /not planned: its evidence is older than a fix applied earlier in this run, which changed app\/audit\.py:7/);
  assert.equal(readFileSync(path.join(ws.dir, 'requirements.txt'), 'utf8'), requirements, 'no dependency was added for a deleted import');
});
