import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { loadConfig } from '../../server/src/engine/config';
import { llmSchema, type SmokeConfig } from '../../server/src/engine/config/schema';
import type { SmokeReport, Violation } from '../../server/src/engine/model';
import { createLlmPlanner, LLM_UNAVAILABLE, type LlmNoPlan } from '../../server/src/engine/plan/llm';
import { fixPlanSchema } from '../../server/src/engine/fixPlan';
import type { PlannerOutcome, PlanningContext } from '../../server/src/engine/contracts';
import { workspaceReader } from '../../server/src/engine/repair/workspaceFiles';
import { listWorkspaceFiles } from '../../server/src/engine/traces/workspace-files';
import { startLlmStub, type LlmStub, type RecordedRequest } from '../setup/llmStub';

/**
 * The LLM planner against the scripted OpenAI-compatible server, on a copy of the shop-api
 * example and the violations a real smoke run of it reported (test/fixtures/llm).
 */

const example = path.join(import.meta.dirname, '..', '..', 'examples', 'shop-api');
const report = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'llm', 'shop-api-smoke.json'), 'utf8')) as SmokeReport;
const addItem = report.violations.find((v) => v.scenario === 'add item')!;
const orderTotal = report.violations.find((v) => v.scenario === 'order total')!;

/** The right fix for the add-item fault, as a model might write it. */
const goodPlan = {
  root_cause: "add_item reads the price from the client's payload, which may leave it out (KeyError: 'price'); the product row has the price",
  category: 'ANTI_PATTERN',
  confidence: 0.8,
  files: ['app/routers/carts.py'],
  operations: [
    {
      type: 'modify_code',
      file: 'app/routers/carts.py',
      rationale: 'take the unit price from the product, never from the request',
      evidence: ["KeyError: 'price' at app/routers/carts.py:46"],
      details: { find: '        unit_price=data["price"],\n', replace: '        unit_price=product.price,\n' },
    },
  ],
  evidence: ['POST /carts/{cart_id}/items → 500'],
};
const good = JSON.stringify(goodPlan);

let stub: LlmStub;
let workspace: string;
let baseConfig: SmokeConfig;
let files: string[];

before(async () => {
  stub = await startLlmStub();
  workspace = await mkdtemp(path.join(tmpdir(), 'llm-planner-'));
  await cp(example, workspace, { recursive: true });
  await mkdir(path.join(workspace, '.git'));
  await writeFile(path.join(workspace, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n');
  const loaded = await loadConfig(workspace);
  assert.ok(loaded.ok);
  baseConfig = loaded.config;
  files = await listWorkspaceFiles(workspace);
});
after(async () => {
  await stub.close();
  await rm(workspace, { recursive: true, force: true });
});
beforeEach(() => stub.reset());

function config(llm: Record<string, unknown> = {}): SmokeConfig {
  return { ...baseConfig, llm: llmSchema.parse({ baseUrl: stub.baseUrl, model: 'stub-model', timeoutMs: 5_000, ...llm }) };
}

function context(violation: Violation, cfg: SmokeConfig): PlanningContext {
  return {
    workspace,
    violation,
    report,
    config: cfg,
    files,
    read: workspaceReader(workspace),
  };
}

async function plan(answers: Parameters<LlmStub['enqueue']>, opts: { llm?: Record<string, unknown>; env?: Record<string, string>; log?: string[]; violation?: Violation } = {}) {
  stub.enqueue(...answers);
  const cfg = config(opts.llm);
  const planner = createLlmPlanner(cfg, { env: opts.env ?? {}, log: opts.log ? (l) => opts.log!.push(l) : undefined });
  assert.ok(planner);
  return planner.plan(context(opts.violation ?? addItem, cfg));
}

function noPlanOf(outcome: PlannerOutcome): LlmNoPlan {
  assert.equal(outcome.ok, false, 'expected no plan');
  if (outcome.ok) throw new Error('unreachable');
  return outcome.noPlan as LlmNoPlan;
}

function planOf(outcome: PlannerOutcome) {
  assert.ok(outcome.ok, outcome.ok ? '' : `${outcome.noPlan.code}: ${outcome.noPlan.reason}`);
  assert.equal(outcome.plans.length, 1);
  return outcome.plans[0]!;
}

const lastUser = (r: RecordedRequest) => r.body.messages.at(-1).content as string;

describe('LLM planner', () => {
  test('is not created without an llm section; llm_unavailable says what to configure', () => {
    assert.equal(createLlmPlanner(baseConfig), undefined);
    assert.equal(LLM_UNAVAILABLE.code, 'llm_unavailable');
    assert.match(LLM_UNAVAILABLE.reason, /llm/);
  });

  test('a valid plan is returned parsed, after one request at temperature 0 asking for JSON', async () => {
    const p = planOf(await plan([{ content: good }]));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    assert.equal(stub.requests.length, 1);
    const body = stub.requests[0]!.body;
    assert.equal(body.temperature, 0);
    assert.equal(body.model, 'stub-model');
    assert.deepEqual(body.response_format, { type: 'json_object' });
    assert.deepEqual(body.messages.map((m: { role: string }) => m.role), ['system', 'user']);
  });

  test('markdown-wrapped JSON is accepted', async () => {
    const p = planOf(await plan([{ content: `Here is the plan:\n\n\`\`\`json\n${JSON.stringify(goodPlan, null, 2)}\n\`\`\`\n` }]));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    const q = planOf(await plan([{ content: `\`\`\`\n${good}\n\`\`\`` }]));
    assert.deepEqual(q, fixPlanSchema.parse(goodPlan));
  });

  test('broken JSON, then repaired: the second request carries the error and the previous output', async () => {
    const broken = good.slice(0, 120);
    let parseError = '';
    try {
      JSON.parse(broken);
    } catch (e) {
      parseError = (e as Error).message;
    }
    const p = planOf(await plan([{ content: broken }, { content: good }]));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    assert.equal(stub.requests.length, 2);
    const second = stub.requests[1]!.body.messages as Array<{ role: string; content: string }>;
    assert.deepEqual(second.slice(0, 2), stub.requests[0]!.body.messages, 'the repair keeps the original prompt');
    assert.deepEqual(second[2], { role: 'assistant', content: broken });
    assert.equal(second[3]!.role, 'user');
    assert.ok(second[3]!.content.includes(`the answer is not valid JSON: ${parseError}`), second[3]!.content);
  });

  test('schema errors twice more, then failure: exactly 3 requests and llm_invalid_output with the errors', async () => {
    const bad = JSON.stringify({ ...goodPlan, confidence: 1.5, diff: '--- a/app/routers/carts.py' });
    const outcome = await plan([{ content: bad }, { content: bad }, { content: bad }, { content: good }]);
    const np = noPlanOf(outcome);
    assert.equal(np.code, 'llm_invalid_output');
    assert.equal(stub.requests.length, 3);
    assert.equal(stub.pending(), 1, 'no fourth request');
    assert.equal(np.attempts, 3);
    assert.ok(np.errors!.some((e) => e.startsWith('confidence:')), np.errors!.join('\n'));
    assert.ok(np.errors!.some((e) => /Unrecognized key.*"diff"/.test(e)), np.errors!.join('\n'));
    for (const e of np.errors!) assert.ok(np.reason.includes(e));
    for (const r of stub.requests.slice(1)) {
      assert.ok(lastUser(r).includes('confidence:'), 'each repair carries the errors');
      assert.equal(r.body.messages.at(-2).content, bad, 'and the previous output');
    }
  });

  test('a find snippet that occurs twice is sent back for repair, with where it occurs', async () => {
    const twice = {
      ...goodPlan,
      operations: [{ ...goodPlan.operations[0]!, details: { find: '    db.commit()\n', replace: '    db.commit()\n    db.refresh(item)\n' } }],
    };
    const p = planOf(await plan([{ content: JSON.stringify(twice) }, { content: good }]));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    assert.equal(stub.requests.length, 2);
    assert.match(lastUser(stub.requests[1]!), /operations\[0\]\.details\.find \(modify_code on app\/routers\/carts\.py\): the snippet occurs 2 times \(at lines 27, 49\)/);
  });

  test('a find snippet absent from the file, or a file that does not exist, is a schema-level error', async () => {
    const absent = { ...goodPlan, operations: [{ ...goodPlan.operations[0]!, details: { find: '  46 |         unit_price=data["price"],', replace: 'x' } }] };
    const missing = {
      ...goodPlan,
      files: ['app/routers/cart.py'],
      operations: [{ ...goodPlan.operations[0]!, file: 'app/routers/cart.py' }],
    };
    const np = noPlanOf(await plan([{ content: JSON.stringify(absent) }, { content: JSON.stringify(missing) }, { content: JSON.stringify(missing) }]));
    assert.match(lastUser(stub.requests[1]!), /does not occur in the file \(leave out the "NN \| " line-number prefixes/);
    assert.deepEqual(np.errors, ['files[0]: "app/routers/cart.py" does not exist in the workspace']);
  });

  test('a dependency manifest that add_dependency creates need not exist', async () => {
    const dep = {
      root_cause: 'slugify is not installed',
      category: 'DEPENDENCY',
      confidence: 0.9,
      files: ['requirements-extra.txt'],
      operations: [{ type: 'add_dependency', file: 'requirements-extra.txt', rationale: 'provides slugify', details: { name: 'python-slugify', importName: 'slugify' } }],
    };
    planOf(await plan([{ content: JSON.stringify(dep) }]));
  });

  test('more operations than llm.maxOperations is an error sent back', async () => {
    const op = goodPlan.operations[0]!;
    const many = { ...goodPlan, operations: [op, { ...op, details: { find: 'unit_price=product.price', replace: 'unit_price=product.price' } }] };
    const np = noPlanOf(await plan([{ content: JSON.stringify(many) }, { content: JSON.stringify(many) }, { content: JSON.stringify(many) }], { llm: { maxOperations: 1 } }));
    assert.ok(np.errors!.includes('operations: 2 operations; at most 1 are allowed'), np.errors!.join('\n'));
    assert.match(stub.requests[0]!.body.messages[0].content, /At most 1 operations/);
  });

  test('a plan that touches .git/config is returned as it is: blocking it is the policy stage’s job', async () => {
    const gitPlan = {
      root_cause: 'the repository configuration is wrong',
      category: 'CONFIG',
      confidence: 0.3,
      files: ['.git/config'],
      operations: [{ type: 'modify_code', file: '.git/config', rationale: 'x', details: { find: '[core]\n', replace: '[core]\n\tfsmonitor = evil\n' } }],
    };
    const p = planOf(await plan([{ content: JSON.stringify(gitPlan) }]));
    assert.deepEqual(p, fixPlanSchema.parse(gitPlan));
    assert.equal(stub.requests.length, 1);
  });

  test('HTTP 500 → llm_error with the status and the server message, no retry', async () => {
    const np = noPlanOf(await plan([{ status: 500, json: { error: { message: 'CUDA out of memory' } } }, { content: good }]));
    assert.equal(np.code, 'llm_error');
    assert.equal(np.status, 500);
    assert.match(np.reason, /500: CUDA out of memory/);
    assert.equal(stub.requests.length, 1);
  });

  test('a timeout → llm_error', async () => {
    const started = Date.now();
    const np = noPlanOf(await plan([{ delayMs: 10_000 }], { llm: { timeoutMs: 300 } }));
    assert.equal(np.code, 'llm_error');
    assert.match(np.reason, /timeout.*300 ms/);
    assert.ok(Date.now() - started < 5_000);
  });

  test('a 400 "response_format not supported" is asked again without it', async () => {
    const p = planOf(await plan([{ status: 400, json: { error: { message: 'response_format is not supported', type: 'invalid_request_error' } } }, { content: good }]));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    assert.equal(stub.requests.length, 2);
    assert.ok(stub.requests[0]!.body.response_format);
    assert.equal(stub.requests[1]!.body.response_format, undefined);
  });

  test('the API key from the configured env var is sent as a bearer token and never logged', async () => {
    const key = 'sk-proj-abcdefghijklmnop0123';
    const log: string[] = [];
    planOf(await plan([{ content: good }], { env: { SMOKE_REPAIR_LLM_API_KEY: key }, log }));
    assert.equal(stub.requests[0]!.headers.authorization, `Bearer ${key}`);
    const np = noPlanOf(await plan([{ status: 401, json: { error: { message: `Incorrect API key provided: ${key}` } } }], { env: { SMOKE_REPAIR_LLM_API_KEY: key }, log }));
    assert.ok(log.length >= 2);
    assert.ok(log.every((l) => !l.includes(key)), log.join('\n'));
    assert.ok(!np.reason.includes(key), np.reason);

    await plan([{ content: good }], { llm: { apiKeyEnv: 'MY_LLM_KEY' }, env: { MY_LLM_KEY: 'k-other-env' } });
    assert.equal(stub.requests.at(-1)!.headers.authorization, 'Bearer k-other-env');
    await plan([{ content: good }], { env: {} });
    assert.equal(stub.requests.at(-1)!.headers.authorization, undefined);
  });

  test('a key from the editor secret store wins over the environment', async () => {
    stub.enqueue({ content: good });
    const cfg = config();
    const planner = createLlmPlanner(cfg, { env: { SMOKE_REPAIR_LLM_API_KEY: 'from-env' }, secrets: { apiKey: async () => 'from-secrets' } })!;
    planOf(await planner.plan(context(addItem, cfg)));
    assert.equal(stub.requests[0]!.headers.authorization, 'Bearer from-secrets');
  });

  test("the model's text never becomes a diff: a diff answer is rejected, only parsed FixPlans come out", async () => {
    const diff = [
      '--- a/app/routers/carts.py',
      '+++ b/app/routers/carts.py',
      '@@ -46 +46 @@',
      '-        unit_price=data["price"],',
      '+        unit_price=product.price,',
    ].join('\n');
    const withPatch = JSON.stringify({ ...goodPlan, patch: diff });
    const np = noPlanOf(await plan([{ content: diff }, { content: `\`\`\`diff\n${diff}\n\`\`\`` }, { content: withPatch }]));
    assert.equal(np.code, 'llm_invalid_output');
    assert.equal(stub.requests.length, 3);
    assert.ok(np.errors!.some((e) => /Unrecognized key.*"patch"/.test(e)), np.errors!.join('\n'));
    // What a planner returns is exactly what the schema parses from the JSON, nothing of the raw text.
    const ok = await plan([{ content: `\`\`\`json\n${good}\n\`\`\`\nApply with: git apply <<EOF\n${diff}\nEOF` }]);
    const p = planOf(ok);
    assert.deepEqual(Object.keys(p).sort(), ['category', 'confidence', 'evidence', 'files', 'operations', 'root_cause']);
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
  });

  test('the prompt holds the frame code around app/routers/carts.py:46 with line numbers', async () => {
    planOf(await plan([{ content: good }]));
    const user = stub.requests[0]!.body.messages[1].content as string;
    assert.match(user, /### app\/routers\/carts\.py, lines 31-50 \(frame add_item, line 46\)/);
    assert.ok(user.includes('>46 |         unit_price=data["price"],'), user);
    assert.ok(user.includes(' 45 |         quantity=data["quantity"],'));
    assert.ok(user.includes(' 31 | '));
    assert.ok(user.includes(' 50 |     return item'));
    assert.ok(!user.includes(' 51 | '), 'the file has 50 lines');
    assert.ok(!user.includes(' 30 | '), 'no more than 15 lines before');
    assert.ok(user.includes("Exception: KeyError: 'price'"));
    assert.ok(user.includes('Request: POST /carts/{cart_id}/items'));
    assert.ok(user.includes('Expected status: 201; actual status: 500'));
    assert.ok(user.includes('Failure type: RUNTIME; repair strategy: ROUTE'));
    assert.ok(user.includes('[workspace] app/routers/carts.py:46 in add_item'));
  });

  test('without a workspace frame (order total), the prompt shows the route handler', async () => {
    const p = await plan([{ status: 503, json: { error: 'loading model' } }], { violation: orderTotal });
    assert.equal(noPlanOf(p).code, 'llm_error');
    const user = stub.requests[0]!.body.messages[1].content as string;
    assert.match(user, /### app\/routers\/orders\.py, lines \d+-\d+ \(route handler, line 34\)/);
    assert.ok(user.includes('expected total = 37.5, got 12.5'));
    assert.ok(user.includes('(none was logged for this request)'));
  });
  test('regeneration: the failing code shown whole with what was tried; an answer with other than modify_code is sent back', async () => {
    const cfg = config();
    const planner = createLlmPlanner(cfg, { env: {}, mode: 'regenerate' });
    assert.ok(planner);
    assert.equal(planner.name, 'llm-regenerate');
    const include = { ...goodPlan, operations: [{ type: 'add_import', file: 'app/routers/carts.py', rationale: 'r', details: { name: 'uuid', module: 'uuid', style: 'module' } }, goodPlan.operations[0]] };
    stub.enqueue({ content: JSON.stringify(include) }, { content: good });
    const tried = ["rules: add_item reads data['price']: validation failed: the scenario still fails"];
    const p = planOf(await planner.plan({ ...context(orderTotal, cfg), tried }));
    assert.deepEqual(p, fixPlanSchema.parse(goodPlan));
    assert.equal(stub.requests.length, 2);
    const [system, user] = stub.requests[0]!.body.messages as Array<{ content: string }>;
    assert.match(system!.content, /The repair loop has reached a plateau/);
    assert.match(system!.content, /Every operation is "modify_code"/);
    assert.match(user!.content, /## Tried already, without success\n- rules: add_item reads data\['price'\]: validation failed: the scenario still fails/);
    // The handler's file whole, numbered, and the answer format asked for last.
    const file = orderTotal.location!.file;
    const lines = readFileSync(path.join(workspace, file), 'utf8').split('\n');
    assert.match(user!.content, new RegExp(`### ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
    assert.ok(user!.content.includes(` 1 | ${lines[0]}`) && user!.content.includes(`${lines.length} | ${lines.at(-1)}`), 'the whole file, numbered');
    assert.match(user!.content, /Answer with ONE FixPlan of modify_code operations as a JSON object and nothing else\.$/);
    assert.match(lastUser(stub.requests[1]!), /operations\[0\]\.type: a regeneration uses modify_code only \(got add_import\)/);
  });
});
