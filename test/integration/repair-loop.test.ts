import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loopRecordSchema } from '../../server/src/engine/loop';
import { runCli } from '../setup/cli';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { freePort } from '../setup/net';

/**
 * `repair --loop` from the command line on a copy of the Node example in Docker: the pass rate
 * rises iteration by iteration to the best the rules reach, the loop stops on a pass that gains
 * nothing, the fault no rule fixes is escalated with what was tried, one JSON line per iteration
 * goes to stderr, the loop record parses and `history` lists it.
 */

const cli = runCli;

describe('repair --loop on a copy of todo-api-node', { timeout: 25 * 60_000 }, () => {
  let copy: ExampleCopy;
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
  });
  after(() => copy?.stop());

  test('usage errors say what is wrong and change nothing', async () => {
    const both = await cli(['repair', '--once', '--loop', '-w', copy.dir]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /repair takes --once or --loop, not both/);
    const target = await cli(['repair', '--loop', '--target', '1.5', '-w', copy.dir]);
    assert.equal(target.code, 2);
    assert.match(target.stderr, /--target must be a pass rate between 0 and 1, or a percentage such as 90% \(got "1\.5"\)/);
    const alone = await cli(['repair', '--once', '--max-iterations', '3', '-w', copy.dir]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--max-iterations and --target go with --loop/);
    assert.ok(!existsSync(path.join(copy.dir, '.smoke-repair', 'loops')), 'no loop record for a usage error');
  });

  test('rises to the best the rules reach, stops on the plateau, escalates the rest', async () => {
    const out = await cli(['repair', '--loop', '--max-iterations', '4', '--json', '-w', copy.dir]);
    assert.equal(out.code, 1, out.stderr.slice(-2000));
    const loop = loopRecordSchema.parse(JSON.parse(out.stdout));
    const its = loop.iterations;
    assert.ok(its.length >= 2, `at least one pass that fixes and one that shows the plateau (${its.length})`);
    assert.equal(its[0]!.passedBefore, 12);
    for (const it of its) assert.ok(it.passRateAfter >= it.passRateBefore, `iteration ${it.n} never loses ground`);
    for (let i = 1; i < its.length; i++) assert.equal(its[i]!.passRateBefore, its[i - 1]!.passRateAfter, 'each pass starts where the last one ended');
    assert.equal(its.at(-1)!.passedAfter, 17, JSON.stringify(loop.escalation));
    assert.equal(loop.stopReason, 'plateau');
    assert.ok(its[0]!.applied.length >= 4 && Object.keys(its[0]!.fixesByType).length >= 2, JSON.stringify(its[0]!.fixesByType));
    assert.deepEqual(loop.escalation?.map((e) => e.scenario), ['list stats']);
    assert.ok(loop.escalation![0]!.tried.length > 0);
    assert.ok(loop.counters.autofix_success_ratio > 0 && loop.counters.autofix_success_ratio <= 1);
    // The wall time split by step: the first pass smoked twice, validated, applied and reloaded.
    for (const step of ['smoke', 'plan', 'validate', 'apply', 'reload']) assert.ok((its[0]!.timings[step] ?? 0) > 0, `${step}: ${JSON.stringify(its[0]!.timings)}`);
    // One structured line per iteration on stderr.
    const lines = out.stderr.split('\n').filter((l) => l.startsWith('{"event":"iteration"'));
    assert.equal(lines.length, its.length);
    assert.equal(JSON.parse(lines.at(-1)!).stopReason, 'plateau');
    // The record on disk is the one printed.
    const file = (JSON.parse(out.stdout) as { file: string }).file;
    assert.deepEqual(loopRecordSchema.parse(JSON.parse(readFileSync(file, 'utf8'))), loop);

    const history = await cli(['history', '--json', '-w', copy.dir]);
    assert.equal(history.code, 0, history.stderr);
    const h = JSON.parse(history.stdout) as { loops: Array<{ id: string }>; records: Array<{ id: string }>; problems: unknown[] };
    assert.deepEqual(h.loops.map((l) => l.id), [loop.id]);
    assert.ok(h.records.length >= its.flatMap((i) => i.records).length);
    assert.deepEqual(h.problems, []);
    const text = await cli(['history', '-w', copy.dir]);
    assert.match(text.stdout, new RegExp(`${loop.id}  ${its.length} iteration\\(s\\)  \\d+\\.\\d% → 94\\.4%  \\d+ fix\\(es\\) kept  stopped: plateau`));
  });
});
