import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../server/src/engine/config';
import { codeExcerpts, describePlanFormat, parsePlanOutput, stripCodeFence, systemPrompt } from '../../server/src/engine/plan/llm';
import { FIELD_HINTS, OPERATION_PURPOSES, operationSchemas, planJsonSchema } from '../../server/src/engine/plan/llm/planFormat';
import { MAX_OPERATIONS, OPERATION_TYPES } from '../../server/src/engine/fixPlan';

/** The parts of the LLM planner that need no server: plan format, excerpts, output parsing, config. */

describe('plan format in the prompt', () => {
  test('is generated from the FixPlan schema: every operation type and every details key is described', () => {
    const text = describePlanFormat();
    const ops = operationSchemas();
    assert.deepEqual([...ops.keys()].sort(), [...OPERATION_TYPES].sort());
    for (const [type, s] of ops) {
      assert.ok(text.includes(`- ${type}: ${OPERATION_PURPOSES[type as keyof typeof OPERATION_PURPOSES]}`), type);
      for (const key of Object.keys(s.properties!.details!.properties!)) {
        assert.ok(FIELD_HINTS[`${type}.${key}`], `a hint for ${type}.details.${key}`);
        assert.ok(text.includes(`"${key}" (`), `${type}.${key} is listed`);
      }
    }
    for (const key of Object.keys(planJsonSchema().properties!)) assert.ok(FIELD_HINTS[key], `a hint for ${key}`);
    assert.match(text, /"confidence" \(required\): number from 0 to 1/);
    assert.match(text, /"style" \(required\): one of "module", "named", "default"/);
    assert.match(text, new RegExp(`"operations" \\(required\\): list of 1 to ${MAX_OPERATIONS} objects`));
  });

  test('every hint names a key the schema has', () => {
    const ops = operationSchemas();
    const planKeys = Object.keys(planJsonSchema().properties!);
    const opKeys = Object.keys(ops.get('modify_code')!.properties!);
    for (const hint of Object.keys(FIELD_HINTS)) {
      const [head, key] = hint.includes('.') ? hint.split('.') : [undefined, hint];
      if (head === undefined) assert.ok(planKeys.includes(key!), hint);
      else if (head === 'operation') assert.ok(opKeys.includes(key!), hint);
      else assert.ok(Object.keys(ops.get(head)?.properties?.details?.properties ?? {}).includes(key!), hint);
    }
  });

  test('the system prompt asks for JSON only, never a diff, and states the operation limit', () => {
    const s = systemPrompt(3);
    assert.match(s, /JSON object only/);
    assert.match(s, /Never write a diff/);
    assert.match(s, /At most 3 operations/);
    assert.match(s, /list of 1 to 3 objects/);
  });
});

describe('code excerpts', () => {
  const file = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const read = async (f: string) => (f === 'a.py' ? file : f === 'long.js' ? 'x'.repeat(50_000) + '\n' : undefined);

  test('±15 numbered lines around each spot; overlapping windows in one file merge', async () => {
    const ex = await codeExcerpts(
      [
        { file: 'a.py', line: 50, label: 'frame f' },
        { file: 'a.py', line: 60, label: 'frame g' },
        { file: 'a.py', line: 95, label: 'frame h' },
        { file: 'missing.py', line: 3, label: 'frame m' },
      ],
      read,
    );
    assert.deepEqual(
      ex.map((e) => [e.file, e.from, e.to, e.marked]),
      [
        ['a.py', 35, 75, [50, 60]],
        ['a.py', 80, 100, [95]],
      ],
    );
    assert.ok(ex[0]!.text.startsWith(' 35 | line 35\n'));
    assert.ok(ex[0]!.text.includes('>50 | line 50'));
    assert.ok(ex[1]!.text.endsWith('100 | line 100'));
  });

  test('the total size is bounded and long lines are cut', async () => {
    const spots = [1, 40, 80].map((line) => ({ file: 'a.py', line, label: 'f' }));
    const ex = await codeExcerpts(spots, read, { context: 15, maxFrames: 3, maxChars: 600 });
    const total = ex.reduce((n, e) => n + e.text.length, 0);
    assert.ok(total <= 600, `total ${total}`);
    assert.ok(ex.length >= 1);
    const long = await codeExcerpts([{ file: 'long.js', line: 1, label: 'f' }], read);
    assert.ok(long[0]!.text.length < 500);
    assert.match(long[0]!.text, /… \(line cut\)$/);
  });
});

describe('reading the model output', () => {
  const target = {
    files: ['app/x.py'],
    read: async (f: string) => (f === 'app/x.py' ? 'a = 1\r\nb = 2\r\n' : undefined),
    maxOperations: 5,
  };
  const plan = (find: string) =>
    JSON.stringify({
      root_cause: 'r',
      category: 'LOGIC',
      confidence: 0.5,
      files: ['app/x.py'],
      operations: [{ type: 'modify_code', file: 'app/x.py', rationale: 'r', details: { find, replace: 'b = 3\r\n' } }],
    });

  test('code fences are stripped, plain JSON left alone', () => {
    assert.equal(stripCodeFence('```json\n{"a":1}\n```'), '{"a":1}');
    assert.equal(stripCodeFence('  {"a":"```"}  '), '{"a":"```"}');
    assert.equal(stripCodeFence('Sure!\n```\n{"a":1}\n```\nDone.'), '{"a":1}');
  });

  test('a CRLF file and a LF snippet: the error says so', async () => {
    const r = await parsePlanOutput(plan('a = 1\nb = 2\n'), target);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.errors[0]!, /CRLF/);
    assert.equal((await parsePlanOutput(plan('a = 1\r\nb = 2\r\n'), target)).ok, true);
  });

  test('an unknown operation type and a non-object answer are named plainly', async () => {
    const bad = JSON.parse(plan('a = 1'));
    bad.operations[0].type = 'rewrite_file';
    const r = await parsePlanOutput(JSON.stringify(bad), target);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.errors[0]!, /^operations\[0\]\.type: .*'add_dependency' \| 'pin_dependency'/);
    const list = await parsePlanOutput('[1]', target);
    assert.deepEqual(list, { ok: false, errors: ['the answer is a list; expected one FixPlan JSON object'] });
    assert.deepEqual(await parsePlanOutput('  ', target), { ok: false, errors: ['the answer is empty; expected one FixPlan JSON object'] });
  });

  test('a second find on the same file is checked against the text the first one leaves', async () => {
    const p = JSON.parse(plan('a = 1\r\n'));
    p.operations[0].details.replace = 'a = 10\r\n';
    p.operations.push({ type: 'modify_code', file: 'app/x.py', rationale: 'r', details: { find: 'a = 10\r\nb', replace: 'a = 10\r\nc' } });
    assert.equal((await parsePlanOutput(JSON.stringify(p), target)).ok, true);
  });
});

describe('the llm section of smoke-repair.yaml', () => {
  const base = 'app: { baseUrl: http://127.0.0.1:8000 }\n';

  test('absent: off; present: defaults filled in', () => {
    const off = parseConfigText(base, 'smoke-repair.yaml');
    assert.ok(off.ok);
    assert.equal(off.config.llm, undefined);
    const on = parseConfigText(`${base}llm:\n  baseUrl: http://127.0.0.1:11434/v1\n  model: qwen2.5-coder\n`, 'smoke-repair.yaml');
    assert.ok(on.ok, on.ok ? '' : on.errors.map((e) => e.format()).join('\n'));
    assert.deepEqual(on.config.llm, {
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:11434/v1',
      model: 'qwen2.5-coder',
      apiKeyEnv: 'SMOKE_REPAIR_LLM_API_KEY',
      timeoutMs: 60_000,
      maxOperations: 5,
    });
  });

  test('bad values are reported on their line', () => {
    const r = parseConfigText(
      `${base}llm:\n  provider: anthropic\n  baseUrl: ftp://x\n  model: m\n  maxOperations: 11\n  temprature: 0\n`,
      'smoke-repair.yaml',
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    const lines = r.errors.map((e) => e.line).sort();
    assert.deepEqual(lines, [3, 4, 6, 7], r.errors.map((e) => e.format()).join('\n'));
    assert.ok(r.errors.find((e) => e.line === 7)!.format().includes('temperature') || r.errors.find((e) => e.line === 7)!.message.includes('temprature'));
  });
});
