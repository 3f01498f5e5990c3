/**
 * Secrets stay secret on the command line: a copy of shop-api in Docker with secrets planted in
 * its requests, its log, its answers and its environment (test/setup/plantedSecrets.ts), and an
 * LLM planner (the scripted OpenAI-compatible server). After `smoke`, `plan` and `repair --once`,
 * a byte search of every output, every file under `.smoke-repair/` and every request the model
 * server received finds none of them, while the container's own log shows the app received each.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listRecords } from '../../server/src/engine/records';
import { ensureDocker, ensureExampleUp } from '../setup/docker';
import { startLlmStub, type LlmStub } from '../setup/llmStub';
import { freePort } from '../setup/net';
import { filesUnder, findSecrets, plantedShop, type PlantedShop } from '../setup/plantedSecrets';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'smoke-repair.js');

/** Not a FixPlan: every request to the model ends in a repair retry, then "no plan". */
const NOT_A_PLAN = '{"root_cause": "not sure"}';

describe('secrets on the command line', { timeout: 30 * 60_000 }, () => {
  let shop: PlantedShop;
  let stub: LlmStub;
  const outputs: Array<{ place: string; text: string }> = [];

  /** Runs the command line (not synchronously: the model server answers from this process). */
  async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [CLI, ...args, '--workspace', shop.copy.dir], {
      cwd: ROOT,
      env: { ...process.env, ...shop.env, NO_COLOR: '1', SMOKE_REPAIR_LLM_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const name = `smoke-repair ${args.join(' ')}`;
    outputs.push({ place: `${name} (stdout)`, text: stdout }, { place: `${name} (stderr)`, text: stderr });
    return { code, stdout, stderr };
  }

  before(async () => {
    await ensureDocker();
    await ensureExampleUp('shop-api'); // its image; the shared container is not touched
    stub = await startLlmStub();
    stub.enqueue(...Array.from({ length: 500 }, () => ({ content: NOT_A_PLAN })));
    shop = await plantedShop(await freePort(), stub.baseUrl);
  });
  after(async () => {
    shop?.copy.stop();
    await stub?.close();
  });

  test('smoke, plan and repair --once show, store and send none of them', async (t) => {
    const smokeJson = await cli(['smoke', '--json']);
    assert.equal(smokeJson.code, 1, smokeJson.stderr);
    const report = JSON.parse(smokeJson.stdout);
    const failing = report.violations.map((v: { scenario: string }) => v.scenario);
    for (const s of ['pay order', 'upstream call', 'show config']) assert.ok(failing.includes(s), `${s} fails: ${failing.join(', ')}`);
    const pay = report.violations.find((v: { scenario: string }) => v.scenario === 'pay order');
    assert.equal(pay.trace.exceptionClass, 'NameError', 'the evidence is still there');
    assert.match(pay.request.path, /\?api_key=\[redacted\]&signature=\[redacted\]$|\?api_key=\[redacted\]$/);
    const config = report.violations.find((v: { scenario: string }) => v.scenario === 'show config');
    assert.equal(config.trace.exceptionClass, 'RuntimeError');
    assert.match(config.trace.message, /'SHOP_DB_PASSWORD': '\[redacted\]'/);
    assert.match(smokeJson.stderr, /warning: .*scenarios\[\d+\]\.request\.headers\.Authorization holds a credential-named header written into the file/);

    await cli(['smoke']);
    const plan = await cli(['plan']);
    assert.equal(plan.code, 1, plan.stderr);
    const planJson = await cli(['plan', '--json']);
    assert.ok(JSON.parse(planJson.stdout).plans.some((p: { record?: string }) => p.record), 'the prompts sent are recorded');
    const repair = await cli(['repair', '--once', '--json']);
    assert.ok(repair.code === 0 || repair.code === 1, repair.stderr);
    const summary = JSON.parse(repair.stdout);
    assert.ok(summary.counts.applied > 0, 'fixes were applied');

    assert.ok(stub.requests.length > 0, 'the model was asked');
    const { records, problems } = await listRecords(shop.copy.dir);
    assert.deepEqual(problems, []);
    const prompted = records.filter((r) => r.prompts?.length);
    assert.ok(prompted.length > 0, 'records hold the prompts sent');
    assert.equal(prompted.reduce((n, r) => n + r.prompts!.length, 0), stub.requests.length, 'every prompt sent is in a record');

    const places = [
      ...outputs,
      ...filesUnder(path.join(shop.copy.dir, '.smoke-repair')).map((f) => ({ place: `.smoke-repair/${f.place}`, text: f.text })),
      ...stub.requests.map((r, i) => ({ place: `model request ${i + 1}`, text: `${r.method} ${r.path}\n${JSON.stringify(r.headers)}\n${r.raw}` })),
    ];
    const received = shop.containerLog();
    const notReceived = Object.entries(shop.secrets).filter(([, v]) => !received.includes(v)).map(([k]) => k);
    assert.deepEqual(notReceived, [], 'the app received every planted secret (its container log shows it)');
    const found = findSecrets(shop.secrets, places);
    t.diagnostic(`secrets planted: ${Object.keys(shop.secrets).length}; places searched: ${places.length} (${outputs.length} outputs, ${places.length - outputs.length - stub.requests.length} files under .smoke-repair/, ${stub.requests.length} model requests); found: ${found.length}`);
    assert.deepEqual(found, []);
  });
});
