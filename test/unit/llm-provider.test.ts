import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createOpenAiCompatibleProvider, type LlmProvider } from '../../server/src/engine/plan/llm';
import { freePort } from '../setup/net';
import { rejection, startLlmStub, type LlmStub } from '../setup/llmStub';

/**
 * The LlmProvider contract, run against every adapter that can be driven by the scripted
 * OpenAI-compatible server (today the openai-compatible one; the editor's language-model adapter
 * is tested on the client side with the same cases), then what is specific to each adapter.
 */

interface AdapterCase {
  name: string;
  make(stub: LlmStub, opts?: { timeoutMs?: number; apiKey?: string; log?: (l: string) => void }): LlmProvider;
}

const adapters: AdapterCase[] = [
  {
    name: 'openai-compatible',
    make: (stub, o = {}) =>
      createOpenAiCompatibleProvider({
        baseUrl: stub.baseUrl,
        model: 'stub-model',
        timeoutMs: o.timeoutMs ?? 5_000,
        apiKey: o.apiKey ? () => o.apiKey : undefined,
        log: o.log,
      }),
  },
];

const messages = [
  { role: 'system' as const, content: 'Answer with JSON.' },
  { role: 'user' as const, content: 'Say hello.' },
];
const json = { temperature: 0, responseFormat: 'json' as const };

let stub: LlmStub;
before(async () => {
  stub = await startLlmStub();
});
after(async () => {
  await stub.close();
});
beforeEach(() => stub.reset());

for (const adapter of adapters) {
  describe(`LlmProvider contract: ${adapter.name}`, () => {
    test('resolves with the whole answer text, sends the messages and temperature 0', async () => {
      stub.enqueue({ content: '{"hello": "world"}' });
      const r = await adapter.make(stub).chat(messages, json);
      assert.equal(r.text, '{"hello": "world"}');
      assert.equal(stub.requests.length, 1);
      assert.equal(stub.requests[0]!.body.temperature, 0);
      assert.deepEqual(
        stub.requests[0]!.body.messages.map((m: { content: string }) => m.content),
        messages.map((m) => m.content),
      );
    });

    test('a non-2xx answer is an http error with the status and the server message', async () => {
      stub.enqueue({ status: 500, json: { error: { message: 'model crashed: out of memory', type: 'server_error' } } });
      const e = await rejection(adapter.make(stub).chat(messages, json));
      assert.equal(e.kind, 'http');
      assert.equal(e.status, 500);
      assert.equal(e.serverMessage, 'model crashed: out of memory');
      assert.match(e.message, /500.*model crashed/);
    });

    test('no answer within the timeout is a timeout error', async () => {
      stub.enqueue({ delayMs: 5_000 });
      const started = Date.now();
      const e = await rejection(adapter.make(stub, { timeoutMs: 300 }).chat(messages, json));
      assert.equal(e.kind, 'timeout');
      assert.ok(Date.now() - started < 3_000, 'the timeout ended the request');
    });

    test("the caller's signal cancels the request", async () => {
      stub.enqueue({ delayMs: 5_000 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const e = await rejection(adapter.make(stub).chat(messages, { ...json, signal: ac.signal }));
      assert.equal(e.kind, 'aborted');
    });

    test('an answer without a chat completion is invalid_response', async () => {
      stub.enqueue({ status: 200, json: { choices: [] } });
      assert.equal((await rejection(adapter.make(stub).chat(messages, json))).kind, 'invalid_response');
      stub.enqueue({ status: 200, text: '<html>proxy login</html>', contentType: 'text/html' });
      assert.equal((await rejection(adapter.make(stub).chat(messages, json))).kind, 'invalid_response');
      stub.enqueue({ status: 200, json: { choices: [{ message: { content: null } }] } });
      assert.equal((await rejection(adapter.make(stub).chat(messages, json))).kind, 'invalid_response');
    });

    test('nothing listening is a network error', async () => {
      const port = await freePort();
      const p = createOpenAiCompatibleProvider({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', timeoutMs: 2_000 });
      const e = await rejection(p.chat(messages, json));
      assert.equal(e.kind, 'network');
      assert.match(e.message, /ECONNREFUSED/);
    });

    test('the API key never appears in errors or log lines, even when the server echoes it', async () => {
      const key = 'sk-test-0123456789abcdef';
      const lines: string[] = [];
      stub.enqueue({ status: 401, json: { error: { message: `Incorrect API key provided: ${key}` } } });
      const e = await rejection(adapter.make(stub, { apiKey: key, log: (l) => lines.push(l) }).chat(messages, json));
      assert.equal(e.status, 401);
      assert.ok(!e.message.includes(key) && !e.serverMessage?.includes(key), e.message);
      assert.ok(lines.length > 0);
      assert.ok(lines.every((l) => !l.includes(key)), lines.join('\n'));
    });
  });
}

describe('openai-compatible adapter', () => {
  const make = (o: { apiKey?: string; log?: (l: string) => void } = {}) => adapters[0]!.make(stub, o);

  test('POSTs to {baseUrl}/chat/completions with the model and response_format json_object', async () => {
    stub.enqueue({ content: '{}' });
    await make().chat(messages, json);
    const r = stub.requests[0]!;
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.body.model, 'stub-model');
    assert.deepEqual(r.body.response_format, { type: 'json_object' });
    assert.equal(r.headers.authorization, undefined, 'no key configured: no authorization header');
  });

  test('a trailing slash on baseUrl is fine', async () => {
    stub.enqueue({ content: '{}' });
    const p = createOpenAiCompatibleProvider({ baseUrl: `${stub.baseUrl}/`, model: 'm', timeoutMs: 2_000 });
    await p.chat(messages, json);
    assert.equal(stub.requests[0]!.path, '/v1/chat/completions');
  });

  test('text mode sends no response_format', async () => {
    stub.enqueue({ content: 'hi' });
    await make().chat(messages, { temperature: 0, responseFormat: 'text' });
    assert.equal(stub.requests[0]!.body.response_format, undefined);
  });

  test('a 400 saying response_format is unsupported is retried once without it, and not sent again', async () => {
    stub.enqueue(
      { status: 400, json: { error: { message: "response_format of type 'json_object' is not supported by this model", type: 'invalid_request_error' } } },
      { content: '{"ok": true}' },
      { content: '{"again": true}' },
    );
    const p = make();
    const r = await p.chat(messages, json);
    assert.equal(r.text, '{"ok": true}');
    assert.equal(stub.requests.length, 2);
    assert.deepEqual(stub.requests[0]!.body.response_format, { type: 'json_object' });
    assert.equal(stub.requests[1]!.body.response_format, undefined);
    await p.chat(messages, json);
    assert.equal(stub.requests[2]!.body.response_format, undefined, 'the provider remembers the refusal');
  });

  test('Ollama-style error bodies ({error: "..."}) keep their message; an unrelated 400 is not retried', async () => {
    stub.enqueue({ status: 400, json: { error: 'model "llama9" not found, try pulling it first' } });
    const e = await rejection(make().chat(messages, json));
    assert.equal(e.status, 400);
    assert.equal(e.serverMessage, 'model "llama9" not found, try pulling it first');
    assert.equal(stub.requests.length, 1);
  });

  test('the bearer key is sent when one is configured', async () => {
    stub.enqueue({ content: '{}' });
    await make({ apiKey: 'sk-live-key-42' }).chat(messages, json);
    assert.equal(stub.requests[0]!.headers.authorization, 'Bearer sk-live-key-42');
  });

  test('token usage is reported', async () => {
    stub.enqueue({ content: '{}', usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
    const r = await make().chat(messages, json);
    assert.deepEqual(r.usage, { promptTokens: 7, completionTokens: 3, totalTokens: 10 });
  });
});
