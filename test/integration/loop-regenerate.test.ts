import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loopRecordSchema } from '../../server/src/engine/loop';
import { listRecords } from '../../server/src/engine/records';
import { runCli } from '../setup/cli';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { copyExample, type ExampleCopy } from '../setup/exampleCopy';
import { startLlmStub, type LlmStub, type RecordedRequest } from '../setup/llmStub';
import { freePort } from '../setup/net';

/**
 * The plateau with a model configured, from the command line, on a copy of the Node example in
 * Docker and the scripted OpenAI-compatible server: the rules fix what they can; the one failure
 * no rule explains (a wrong count that answers 200) gets no plan from the model as a planner (it
 * answers 503); at the plateau the loop asks it once to regenerate that failure's handler, its
 * answer goes through policy, patch and sandbox validation like any plan, is applied, and the loop
 * reaches its target. The prompt carries the handler's file whole and what was tried; every
 * prompt is kept in the run records, as sent.
 */

describe('repair --loop regenerates the failing handler at a plateau', { timeout: 25 * 60_000 }, () => {
  let copy: ExampleCopy;
  let stub: LlmStub;
  before(async () => {
    await ensureDocker();
    await ensureExampleUp('todo-api-node');
    copy = await copyExample('todo-api-node', await freePort());
    stub = await startLlmStub();
    appendFileSync(path.join(copy.dir, 'smoke-repair.yaml'), `\nllm:\n  baseUrl: ${stub.baseUrl}\n  model: stub-model\n  timeoutMs: 10000\n`);
  });
  after(async () => {
    copy?.stop();
    await stub?.close();
  });

  test('the model rewrites the stats handler after the plateau; validated, applied, 18/18', async () => {
    const file = 'src/routes/lists.js';
    const source = readFileSync(path.join(copy.dir, file), 'utf8');
    const start = source.indexOf("router.get('/:listId/stats'");
    const handler = source.slice(start, source.indexOf('\n});\n', start) + 4);
    assert.ok(start > 0 && handler.includes('res.json'), 'the stats handler of the example');
    // The model as a planner fails; asked to regenerate, it rewrites the handler it was shown.
    const answer = (req: RecordedRequest) => {
      const system = String(req.body.messages[0].content);
      if (!system.includes('regeneration step')) return { status: 503, json: { error: { message: 'overloaded' } } };
      const user = String(req.body.messages[1].content);
      assert.ok(user.includes(`### ${file}`), 'the handler file is shown whole');
      return {
        content: JSON.stringify({
          root_cause: 'the open count filters the done todos',
          category: 'LOGIC',
          confidence: 0.7,
          files: [file],
          operations: [{ type: 'modify_code', file, rationale: 'count the todos not done', details: { find: handler, replace: handler.replace('const open = list.todos.filter((t) => t.done).length;', 'const open = list.todos.filter((t) => !t.done).length;') } }],
          evidence: ['GET /lists/{list_id}/stats answers open = 1 where 2 is expected'],
        }),
      };
    };
    stub.enqueue(...Array.from({ length: 12 }, () => answer));

    const out = await runCli(['repair', '--loop', '--json', '-w', copy.dir]);
    assert.equal(out.code, 0, `every scenario passes at the end\n${out.stderr.slice(-3000)}`);
    const loop = loopRecordSchema.parse(JSON.parse(out.stdout));
    assert.equal(loop.stopReason, 'target', loop.stopDetail);
    const regen = loop.iterations.find((it) => it.regenerated);
    assert.ok(regen, JSON.stringify(loop.iterations.map((i) => [i.n, i.passedBefore, i.passedAfter])));
    assert.equal(regen.passedAfter, regen.total);
    assert.equal(regen.applied.length, 1);
    assert.equal(loop.iterations.at(-2)!.applied.length, 0, 'the iteration before it was the plateau');
    assert.match(readFileSync(path.join(copy.dir, file), 'utf8'), /const open = list\.todos\.filter\(\(t\) => !t\.done\)\.length;/);

    // The regeneration's record: planner, prompt as sent, validation passed.
    const { records } = await listRecords(copy.dir);
    const applied = records.find((r) => r.id === regen.applied[0]);
    assert.equal(applied?.planner, 'llm-regenerate');
    assert.equal(applied?.validation?.status, 'passed');
    const prompt = applied!.prompts!.at(-1)!.messages.map((m) => m.content).join('\n');
    assert.match(prompt, /## Tried already, without success\n- no plan: /);
    assert.ok(stub.requests.some((r) => String(r.body.messages[0].content).includes('regeneration step')));
  });
});
