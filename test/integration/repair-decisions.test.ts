/**
 * No validation, no apply: `repair --once` on a real app (a Node process with five failing
 * routes), with one plan per failure and the validation each one gets. Only a fix that is safe and
 * whose failing scenario passed against the patched app is written; "checked (not run)", a failed
 * validation, a needs-review plan and a dry run write nothing, and each record says why.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { listRecords } from '../../server/src/engine/records';
import { repairOnce } from '../../server/src/engine/repair';
import type { Planner, ValidationResult, ValidationStep } from '../../server/src/engine/contracts';
import type { Validator } from '../../server/src/engine/contracts';
import { listApprovals } from '../../server/src/engine/approvals';
import { freePort } from '../setup/net';

const NAMES = ['passes', 'notrun', 'fails', 'review', 'regresses'] as const;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function workspace(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'repair-decisions-'));
  dirs.push(dir);
  const port = await freePort();
  mkdirSync(path.join(dir, 'notes'));
  for (const n of NAMES) writeFileSync(path.join(dir, 'notes', noteOf(n)), `state: broken-${n}\n`);
  writeFileSync(
    path.join(dir, 'server.js'),
    [
      "const http = require('node:http');",
      'http.createServer((req, res) => {',
      "  if (req.url === '/') return res.end('ok');",
      "  res.statusCode = 500; res.end('broken');",
      `}).listen(${port}, '127.0.0.1');`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'smoke-repair.yaml'),
    [
      'app:',
      `  baseUrl: http://127.0.0.1:${port}`,
      '  process: { command: node server.js }',
      'scenarios:',
      ...NAMES.map((n) => `  - { name: ${n}, request: { method: GET, path: /${n} } }`),
      '',
    ].join('\n'),
  );
  return dir;
}

/** Each failure's note; the review one sits where the policy asks a person (session code). */
const noteOf = (n: string) => (n === 'review' ? 'session-review.md' : `${n}.md`);

/** One plan per failure: replace its note's "broken" line; the review one with low confidence. */
const planner: Planner = {
  name: 'scripted',
  async plan(ctx) {
    const n = ctx.violation.scenario;
    return {
      ok: true,
      plans: [
        {
          root_cause: `the note of ${n} says broken`,
          category: 'LOGIC',
          confidence: n === 'review' ? 0.2 : 0.9,
          files: [`notes/${noteOf(n)}`],
          operations: [{ type: 'replace_pattern', file: `notes/${noteOf(n)}`, rationale: 'mark it fixed', evidence: ['the scenario fails'], details: { pattern: 'state', find: `broken-${n}`, replace: `fixed-${n}` } }],
        },
      ],
    };
  },
};

const step = (name: ValidationStep['name'], status: ValidationStep['status'], summary?: string): ValidationStep => ({ name, status, output: summary ?? '', ...(summary ? { summary } : {}), durationMs: 1 });

/** What the sandbox found, per scenario. */
const validator: Validator = async ({ violation }) => {
  const ok = [step('apply', 'passed'), step('parse', 'passed'), step('checks', 'skipped', 'no checks configured')];
  const by: Record<string, ValidationResult> = {
    passes: { status: 'passed', steps: [...ok, step('scenarios', 'passed')], fixed: [violation.scenarioId], regressed: [] },
    notrun: { status: 'checked', steps: [...ok, step('scenarios', 'skipped', 'the app could not be started from the sandbox: port in use')], fixed: [], regressed: [] },
    fails: { status: 'failed', steps: [...ok, step('scenarios', 'failed', `the violation's scenario ${violation.scenarioId} still fails (500)`)], fixed: [], regressed: [] },
    review: { status: 'passed', steps: [...ok, step('scenarios', 'passed')], fixed: [violation.scenarioId], regressed: [] },
    regresses: { status: 'failed', steps: [...ok, step('scenarios', 'failed', 'regressed: root')], fixed: [violation.scenarioId], regressed: ['root'] },
  };
  return by[violation.scenario]!;
};

function notes(dir: string): Record<string, string> {
  return Object.fromEntries(NAMES.map((n) => [n, readFileSync(path.join(dir, 'notes', noteOf(n)), 'utf8').trim()]));
}

test('only a safe fix whose scenario passed against the patched app is written; every other record says why', async () => {
  const dir = await workspace();
  const summary = await repairOnce({ workspace: dir, apply: 'safe', planners: [planner], validator, reload: false });
  const reason = Object.fromEntries(summary.records.map((r) => [r.violation.scenario, r.reason]));
  assert.deepEqual(notes(dir), { passes: 'state: fixed-passes', notrun: 'state: broken-notrun', fails: 'state: broken-fails', review: 'state: broken-review', regresses: 'state: broken-regresses' });
  assert.match(reason.passes, /^applied: safe \(danger score \d+\) and validated$/);
  assert.match(reason.notrun, /^checked \(not run\): scenarios skipped: the app could not be started from the sandbox: port in use; not applied without a person's yes; a person is asked \(apr-[\w-]+\)$/);
  assert.match(reason.fails, /^validation failed: scenarios failed: the violation's scenario \S+ still fails \(500\)$/);
  assert.match(reason.review, /^needs review \(danger score \d+\): not applied without a person's yes; a person is asked \(apr-[\w-]+\)$/);
  // The two held for a person wait as approvals, with why; the others ask nobody.
  const { approvals } = await listApprovals(dir);
  assert.deepEqual(approvals.map((a) => [a.violation.scenario, a.why, a.status]).sort(), [['notrun', 'checked', 'pending'], ['review', 'needs-review', 'pending']]);
  assert.deepEqual(summary.approvals.opened.map((a) => a.id).sort(), approvals.map((a) => a.id).sort());
  assert.match(reason.regresses, /^validation failed: scenarios failed: regressed: root$/);
  assert.equal(summary.counts.applied, 1);
  assert.equal(summary.counts.validated, 2, 'passed validations: passes and review, none of the others');
  // Every record, with its validation summaries and "checked" status, reads back.
  const stored = await listRecords(dir);
  assert.deepEqual(stored.problems, []);
  assert.equal(stored.records.length, NAMES.length);
});

test('a dry run writes nothing but its records, and says what it would have applied', async () => {
  const dir = await workspace();
  const summary = await repairOnce({ workspace: dir, apply: 'none', planners: [planner], validator, reload: false });
  assert.deepEqual(Object.values(notes(dir)), NAMES.map((n) => `state: broken-${n}`));
  const passes = summary.records.find((r) => r.violation.scenario === 'passes')!;
  assert.equal(passes.applied, false);
  assert.equal(passes.reason, 'dry run: safe and validated, would be applied');
  assert.equal(summary.counts.applied, 0);
  assert.equal(summary.recordFiles.length, NAMES.length);
});
