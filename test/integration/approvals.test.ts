import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { approvalSchema } from '../../server/src/engine/approvals';
import { loopRecordSchema } from '../../server/src/engine/loop';
import { runCli } from '../setup/cli';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';

/**
 * A person in the loop, headless, on a copy of the Node example in Docker: `--approve none` holds
 * every fix in `.smoke-repair/approvals/` and writes nothing; `approvals` lists what waits (exit 1);
 * `approve ID --approver NAME` records who and when, applies the fix as its diff showed it, restarts
 * the app and runs smoke (the scenario passes); a rejected fix is not asked again; a fix approved
 * with `--no-apply` is what the next loop iteration applies first.
 */

const cli = runCli;

interface Summary {
  records: Array<{ id: string; applied: boolean; reason: string; approvalId?: string; violation: { scenario: string } }>;
  approvals: { opened: Array<{ id: string }>; settled: Array<{ id: string; status: string }> };
}

describe('approvals on a copy of todo-api-node', { timeout: 25 * 60_000 }, () => {
  let copy: ExampleCopy;
  const violationOf = new Map<string, string>();
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
    const smoke = await cli(['smoke', '--json', '-w', copy.dir]);
    for (const v of (JSON.parse(smoke.stdout) as { violations: Array<{ id: string; scenario: string }> }).violations) violationOf.set(v.scenario, v.id);
  });
  after(() => copy?.stop());

  const read = (file: string) => readFileSync(path.join(copy.dir, file), 'utf8');
  const scenarioPasses = async (name: string) => {
    const smoke = await cli(['smoke', '--json', '-w', copy.dir]);
    return (JSON.parse(smoke.stdout) as { scenarios: Array<{ name: string; ok: boolean }> }).scenarios.find((s) => s.name === name)?.ok;
  };

  test('held with --approve none, listed, approved by a named person, applied as shown, and the scenario passes', async () => {
    const todos = read('src/routes/todos.js');
    const held = await cli(['repair', '--once', '--approve', 'none', '--violation', violationOf.get('comment on todo')!, '--json', '-w', copy.dir]);
    assert.equal(held.code, 1, held.stderr.slice(-2000));
    const summary = JSON.parse(held.stdout) as Summary;
    const [record] = summary.records;
    assert.match(record!.reason, /^needs review: every fix waits for a person \(--approve none\); safe \(danger score \d+\) and validated; a person is asked \(apr-/);
    assert.equal(record!.applied, false);
    const id = record!.approvalId!;
    assert.deepEqual(summary.approvals.opened.map((a) => a.id), [id]);
    assert.equal(read('src/routes/todos.js'), todos, 'nothing written while it waits');

    const listed = await cli(['approvals', '-w', copy.dir]);
    assert.equal(listed.code, 1, 'exit 1 while a fix waits');
    assert.match(listed.stdout, new RegExp(`^${id}  PENDING  every fix waits \\(--approve none\\)$`, 'm'));
    assert.match(listed.stdout, /^ {4}\+.*status\(201\)/m, 'the diff is shown');
    assert.match(listed.stdout, new RegExp(`approve: smoke-repair approve ${id}`));

    const bad = await cli(['approve', '-w', copy.dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /approve needs ID: the approval/);
    const unknown = await cli(['approve', 'apr-nope', '-w', copy.dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, new RegExp(`no approval "apr-nope" in \\.smoke-repair/approvals \\(pending: ${id}\\)`));

    const approved = await cli(['approve', id, '--approver', 'alice', '--note', 'status codes are ours', '--json', '-w', copy.dir]);
    assert.equal(approved.code, 1, `other failures remain\n${approved.stderr.slice(-2000)}`);
    const out = JSON.parse(approved.stdout) as { approval: unknown; pass: Summary & { reload?: string } };
    const approval = approvalSchema.parse(out.approval);
    assert.equal(approval.status, 'applied');
    assert.equal(approval.decision?.by, 'alice');
    assert.equal(approval.decision?.note, 'status codes are ours');
    assert.ok(out.pass.reload, 'the app was reloaded');
    assert.equal(out.pass.records.length, 1, 'nothing else was planned');
    assert.equal(out.pass.records[0]!.approvalId, id);
    assert.match(out.pass.records[0]!.reason, /^applied: approved by alice at \d{4}-/);
    assert.notEqual(read('src/routes/todos.js'), todos);
    assert.match(read('src/routes/todos.js'), /status\(201\)/);
    assert.equal(await scenarioPasses('comment on todo'), true);

    const twice = await cli(['reject', id, '-w', copy.dir]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, new RegExp(`${id} is applied by alice at .*: only a pending approval can be rejected`));
  });

  test('a rejected fix is never applied and not asked again; approvals then has nothing waiting', async () => {
    const lists = read('src/routes/lists.js');
    const args = ['repair', '--once', '--approve', 'none', '--violation', violationOf.get('rename list')!, '--json', '-w', copy.dir];
    const first = JSON.parse((await cli(args)).stdout) as Summary;
    const id = first.records[0]!.approvalId!;
    const rejected = await cli(['reject', id, '--approver', 'bob', '--note', 'rename goes through the service', '-w', copy.dir]);
    assert.equal(rejected.code, 0, rejected.stderr);
    assert.match(rejected.stdout, new RegExp(`^${id} rejected by bob at \\d{4}-.*; it will not be applied$`, 'm'));
    const again = JSON.parse((await cli(args)).stdout) as Summary;
    assert.match(again.records[0]!.reason, new RegExp(`rejected by bob \\(${id}\\), not asked again$`));
    assert.deepEqual(again.approvals.opened, []);
    assert.equal(read('src/routes/lists.js'), lists);
    const all = await cli(['approvals', '--all', '--json', '-w', copy.dir]);
    const statuses = (JSON.parse(all.stdout) as { approvals: Array<{ id: string; status: string }> }).approvals.map((a) => a.status);
    assert.deepEqual(statuses, ['applied', 'rejected']);
    const pending = await cli(['approvals', '-w', copy.dir]);
    assert.equal(pending.code, 0);
    assert.match(pending.stdout, /No fix waits for a person's yes\./);
  });

  test('approved with --no-apply, the next loop iteration applies it first and goes on without the fixes that wait', async () => {
    const held = JSON.parse((await cli(['repair', '--once', '--approve', 'none', '--violation', violationOf.get('create tag')!, '--json', '-w', copy.dir])).stdout) as Summary;
    const id = held.records[0]!.approvalId!;
    const recorded = await cli(['approve', id, '--no-apply', '-w', copy.dir]);
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.match(recorded.stdout, /; the next repair applies it$/m);
    assert.equal(await scenarioPasses('create tag'), false, 'not applied yet');

    const loop = await cli(['repair', '--loop', '--approve', 'none', '--max-iterations', '1', '--json', '-w', copy.dir]);
    assert.equal(loop.code, 1, loop.stderr.slice(-2000));
    const record = loopRecordSchema.parse(JSON.parse(loop.stdout));
    const [it] = record.iterations;
    assert.equal(it!.applied.length, 1, 'only the approved fix is applied');
    assert.ok(it!.passedAfter >= it!.passedBefore + 2, `create tag and list tags pass now (${it!.passedBefore} → ${it!.passedAfter})`);
    assert.equal(await scenarioPasses('create tag'), true);
    // The dependency fix still waits: listed with its approval, counted by status.
    assert.ok(record.pending?.some((p) => p.approvalId?.startsWith('apr-')), JSON.stringify(record.pending));
    assert.ok((record.counters.approval_requests_total?.pending ?? 0) >= 1, JSON.stringify(record.counters));
    assert.equal(record.escalation?.some((e) => e.scenario === 'list stats'), true);
  });
});
