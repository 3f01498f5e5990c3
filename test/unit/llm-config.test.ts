import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../server/src/engine/config';
import type { SmokeConfig } from '../../server/src/engine/config/schema';
import { createLlmPlanner, LLM_EDITOR_ONLY, LLM_UNAVAILABLE, llmUnavailable, type LlmProvider } from '../../server/src/engine/plan/llm';

/**
 * The `llm` section's two providers: openai-compatible (baseUrl and model) and vscode-lm (the
 * editor's language model, picked by vendor and family), with located errors for each mistake.
 */

const FILE = '/ws/smoke-repair.yaml';
const head = 'version: 1\napp:\n  baseUrl: http://127.0.0.1:8000\n';

function parse(llm: string) {
  return parseConfigText(`${head}llm:\n${llm}`, FILE);
}

function config(llm: string): SmokeConfig {
  const r = parse(llm);
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

function errors(llm: string): Array<{ message: string; line: number; column: number; remedy?: string }> {
  const r = parse(llm);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.errors.map((e) => ({ message: e.message, line: e.line, column: e.column, ...(e.remedy ? { remedy: e.remedy } : {}) }));
}

describe('llm config: providers', () => {
  test('vscode-lm with vendor and family; defaults filled in, no endpoint needed', () => {
    assert.deepEqual(config('  provider: vscode-lm\n  vendor: copilot\n  family: gpt-4o\n').llm, {
      provider: 'vscode-lm',
      vendor: 'copilot',
      family: 'gpt-4o',
      apiKeyEnv: 'SMOKE_REPAIR_LLM_API_KEY',
      timeoutMs: 60_000,
      maxOperations: 5,
    });
    assert.equal(config('  provider: vscode-lm\n').llm?.provider, 'vscode-lm');
  });

  test('a missing provider means openai-compatible', () => {
    const llm = config('  baseUrl: http://127.0.0.1:11434/v1\n  model: llama3.1\n  timeoutMs: 1000\n').llm!;
    assert.equal(llm.provider, 'openai-compatible');
    assert.equal(llm.baseUrl, 'http://127.0.0.1:11434/v1');
    assert.equal(llm.model, 'llama3.1');
    assert.equal(llm.timeoutMs, 1000);
  });

  test('openai-compatible without model: located at the llm mapping', () => {
    assert.deepEqual(errors('  provider: openai-compatible\n  baseUrl: http://127.0.0.1:11434/v1\n'), [
      {
        message: 'llm: missing key "model" (expected a model name the endpoint knows, e.g. llama3.1 or gpt-4o-mini)',
        line: 5,
        column: 3,
        remedy: 'add `model:` here; docs/configuration.md lists every key with an example',
      },
    ]);
  });

  test('no provider and no baseUrl: the missing URL is named', () => {
    const [e] = errors('  model: llama3.1\n');
    assert.match(e!.message, /^llm: missing key "baseUrl" \(expected an http:\/\/ or https:\/\/ URL\)$/);
    assert.equal(e!.line, 5);
  });

  test('an unknown provider: located on its value, naming both providers', () => {
    assert.deepEqual(errors('  provider: ollama\n  baseUrl: http://127.0.0.1:11434/v1\n  model: llama3.1\n'), [
      { message: 'llm.provider: expected one of "openai-compatible", "vscode-lm", got "ollama"', line: 5, column: 13 },
    ]);
  });

  test('a misspelt provider gets a "did you mean"', () => {
    const [e] = errors('  provider: vscode_lm\n');
    assert.equal(e!.remedy, 'did you mean "vscode-lm"?');
  });

  test('a key of the other provider is reported where it stands', () => {
    assert.deepEqual(errors('  provider: vscode-lm\n  family: gpt-4o\n  baseUrl: http://127.0.0.1:11434/v1\n'), [
      {
        message: 'llm.baseUrl: "baseUrl" is read only with provider openai-compatible, not vscode-lm (pick the model with vendor and family)',
        line: 7,
        column: 12,
      },
    ]);
    const [e] = errors('  baseUrl: http://127.0.0.1:11434/v1\n  model: m\n  vendor: copilot\n');
    assert.equal(e!.message, 'llm.vendor: "vendor" is read only with provider vscode-lm, not openai-compatible');
    assert.equal(e!.line, 7);
  });

  test('an unknown key still gets its suggestion', () => {
    assert.deepEqual(errors('  provider: vscode-lm\n  famly: gpt-4o\n'), [
      { message: 'llm: unknown key "famly"', line: 6, column: 3, remedy: 'did you mean "family"?' },
    ]);
  });

  test('a wrong value type under vscode-lm is located', () => {
    const [e] = errors('  provider: vscode-lm\n  timeoutMs: "9000"\n');
    assert.equal(e!.message, 'llm.timeoutMs: expected a number, got "9000"');
    assert.equal(e!.line, 6);
    assert.equal(e!.remedy, 'write 9000 without quotes');
  });
});

describe('createLlmPlanner per provider', () => {
  const editorModel: LlmProvider = { name: 'vscode-lm', chat: async () => ({ text: '{}' }) };

  test('vscode-lm without the editor (the command line): no planner, and the reason says why', () => {
    const cfg = config('  provider: vscode-lm\n');
    assert.equal(createLlmPlanner(cfg), undefined);
    assert.deepEqual(llmUnavailable(cfg), LLM_EDITOR_ONLY);
    assert.equal(LLM_EDITOR_ONLY.code, 'llm_unavailable');
    assert.match(LLM_EDITOR_ONLY.reason, /vscode-lm provider works only in the editor/);
  });

  test("vscode-lm in the editor: a planner over the editor's provider", () => {
    const cfg = config('  provider: vscode-lm\n  family: gpt-4o\n');
    assert.equal(createLlmPlanner(cfg, { provider: editorModel })?.name, 'llm');
    assert.equal(llmUnavailable(cfg, { provider: editorModel }), undefined);
  });

  test('openai-compatible: a planner without any editor; no llm section: none', () => {
    const cfg = config('  baseUrl: http://127.0.0.1:11434/v1\n  model: llama3.1\n');
    assert.equal(createLlmPlanner(cfg, { env: {} })?.name, 'llm');
    assert.equal(llmUnavailable(cfg), undefined);
    const off = parseConfigText(head, FILE);
    assert.ok(off.ok);
    assert.equal(createLlmPlanner(off.config), undefined);
    assert.deepEqual(llmUnavailable(off.config), LLM_UNAVAILABLE);
  });
});
