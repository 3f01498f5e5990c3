/**
 * The mutation corpus (bench/corpus/), one site per fault kind in three field apps (a FastAPI, a
 * Flask and an Express app), run as processes. The fix rate is a measurement and is only printed;
 * what is asserted is that repairing never makes things worse: no patch applied that leaves fewer
 * scenarios passing, no scenario that passed before failing after, no file written that the plan
 * does not name, and every applied fix rolled back byte for byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KINDS } from '../../bench/corpus/faults';
import { failures, textReport } from '../../bench/corpus/report';
import { checkFault, plannedFaults, runCorpus, type FaultResult } from '../../bench/corpus/runner';

const APPS = ['fastapi-heroes', 'flask-notes', 'express4-bookmarks'];

test('corpus operators: every fault of the sample apps plants cleanly (its edits apply, the changed files parse)', { timeout: 60_000 }, async () => {
  const faults = plannedFaults({ apps: APPS });
  const bad: string[] = [];
  for (const f of faults) for (const p of await checkFault(f)) bad.push(`${f.id}: ${p}`);
  assert.deepEqual(bad, []);
  // Every kind finds sites in these apps.
  assert.deepEqual([...new Set(faults.map((f) => f.kind))].sort(), [...KINDS].sort());
});

const show = (rs: FaultResult[]) => rs.map((r) => `${r.fault.id}: ${r.fault.summary}`).join('\n');

test('corpus sample: repairs planted faults without harm, outside writes or unfaithful rollbacks', { timeout: 175_000 }, async (t) => {
  const run = await runCorpus({ apps: APPS, sample: true, docker: false, jobs: 2, timeoutMs: 120_000, progress: (l) => t.diagnostic(l) });
  console.log(textReport(run));
  const unfixed = failures(run);
  if (unfixed.length) console.log(`\nDetected and not fixed, and anything unsafe (${unfixed.length}):\n${unfixed.join('\n')}`);

  for (const b of run.baselines) assert.equal(b.passed, b.total, `${b.app} does not pass its own scenarios as written: ${b.failing.join(', ')}${b.error ?? ''}`);
  const rs = run.results;
  assert.ok(rs.length >= APPS.length * 5, `the sample holds ${rs.length} faults`);

  const errors = rs.filter((r) => r.outcome === 'error');
  assert.deepEqual(errors.map((r) => `${r.fault.id}: ${r.error}`), [], 'faults that could not be run');

  const harmful = rs.filter((r) => r.harmful);
  assert.equal(harmful.length, 0, `patches applied that left fewer scenarios passing:\n${show(harmful)}`);

  const regressed = rs.filter((r) => r.regressions.length > 0);
  assert.equal(regressed.length, 0, `scenarios that passed before and failed after:\n${regressed.map((r) => `${r.fault.id}: ${r.regressions.join(', ')}`).join('\n')}`);

  const outside = rs.filter((r) => r.outsidePlan.length > 0);
  assert.equal(outside.length, 0, `files touched outside the plan:\n${outside.map((r) => `${r.fault.id}: ${r.outsidePlan.join(', ')}`).join('\n')}`);

  const applied = rs.filter((r) => r.applied);
  const badRollback = applied.filter((r) => r.rollback !== 'identical');
  assert.equal(badRollback.length, 0, `rollbacks that did not restore the files byte for byte:\n${badRollback.map((r) => `${r.fault.id}: ${JSON.stringify(r.rollback)}`).join('\n')}`);
  // Nothing applied means nothing was rolled back: say so rather than pass quietly.
  if (applied.length === 0) t.diagnostic('no fix was applied in this sample, so the rollback property was not exercised');
  else t.diagnostic(`${applied.length} applied fixes rolled back byte for byte`);
});
