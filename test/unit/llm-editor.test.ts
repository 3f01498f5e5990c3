import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { chatSender, createEditorLlmProvider, EditorLlm } from '../../server/src/lsp/llm';
import { LlmChatRequest } from '../../server/src/protocol';
import { rejection } from '../setup/llmStub';

/**
 * The server side of the vscode-lm provider over a real JSON-RPC connection: the test plays the
 * editor and answers `smokeRepair/llmChat` as scripted (text, the error kinds the client sends,
 * silence), and the provider must keep the LlmProvider contract: the whole text, LlmError kinds,
 * timeouts and cancellation that reach the editor as `$/cancelRequest`.
 */

type Script = (params: LlmChatRequest.Params, token: CancellationToken) => unknown;

let server: MessageConnection;
let editor: MessageConnection;
let script: Script;
const received: LlmChatRequest.Params[] = [];
const cancelled: number[] = [];
const log: string[] = [];

before(() => {
  const toEditor = new PassThrough();
  const toServer = new PassThrough();
  server = createMessageConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toEditor));
  editor = createMessageConnection(new StreamMessageReader(toEditor), new StreamMessageWriter(toServer));
  editor.onRequest(LlmChatRequest.method, (params: LlmChatRequest.Params, token: CancellationToken) => {
    received.push(params);
    token.onCancellationRequested(() => cancelled.push(received.length));
    return script(params, token);
  });
  server.listen();
  editor.listen();
});
after(() => {
  server.dispose();
  editor.dispose();
});
beforeEach(() => {
  received.length = 0;
  cancelled.length = 0;
  log.length = 0;
});

const messages = [
  { role: 'system' as const, content: 'Answer with JSON.' },
  { role: 'user' as const, content: 'Say hello.' },
];
const json = { temperature: 0, responseFormat: 'json' as const };

function provider(timeoutMs = 2_000, vendor?: string, family?: string) {
  return createEditorLlmProvider({ send: chatSender(server), log: (l) => log.push(l) }, { timeoutMs, vendor, family });
}

/** Never answers until cancelled; then answers as VS Code's client does for a cancelled request. */
const silent: Script = (_p, token) =>
  new Promise((_, reject) => token.onCancellationRequested(() => reject(new ResponseError(-32800, 'cancelled', { kind: 'cancelled' }))));

describe('vscode-lm provider over smokeRepair/llmChat', () => {
  test('resolves with the text; sends the messages, temperature, response format, vendor and family', async () => {
    script = () => ({ text: '{"hello": "world"}' });
    const result = await provider(2_000, 'copilot', 'gpt-4o').chat(messages, json);
    assert.deepEqual(result, { text: '{"hello": "world"}' });
    assert.deepEqual(received, [{ messages, temperature: 0, responseFormat: 'json', vendor: 'copilot', family: 'gpt-4o' }]);
    assert.equal(provider().name, 'vscode-lm');
    assert.match(log.join('\n'), /answered 18 characters/);
    assert.ok(!log.join('\n').includes('Say hello'), 'the prompt is not logged');
  });

  test('vendor and family are left out when not configured', async () => {
    script = () => ({ text: 'x' });
    await provider().chat(messages, json);
    assert.deepEqual(Object.keys(received[0]!).sort(), ['messages', 'responseFormat', 'temperature']);
  });

  test('no model in the editor is an http-like error with a clear message', async () => {
    script = () => {
      throw new ResponseError(-32803, 'no language model matches {"family":"gpt-4o"}', { kind: 'unavailable' });
    };
    const e = await rejection(provider(2_000, undefined, 'gpt-4o').chat(messages, json));
    assert.equal(e.kind, 'http');
    assert.match(e.message, /^no language model is available in the editor for a language model \(family gpt-4o\): no language model matches/);
    assert.match(e.message, /check llm\.vendor and llm\.family/);
  });

  test('the editor cancelling is aborted; a refused consent says how to allow it', async () => {
    script = () => {
      throw new ResponseError(-32800, 'the request was cancelled', { kind: 'cancelled' });
    };
    assert.equal((await rejection(provider().chat(messages, json))).kind, 'aborted');
    script = () => {
      throw new ResponseError(-32803, 'The user did not consent', { kind: 'noPermissions', detail: 'NoPermissions' });
    };
    const e = await rejection(provider().chat(messages, json));
    assert.equal(e.kind, 'http');
    assert.match(e.message, /Smoke Repair may not use a language model: The user did not consent; allow it/);
  });

  test('no answer within llm.timeoutMs is a timeout, and the editor is told to cancel', async () => {
    script = silent;
    const started = Date.now();
    const e = await rejection(provider(300).chat(messages, json));
    assert.equal(e.kind, 'timeout');
    assert.match(e.message, /within 300 ms \(llm\.timeoutMs\)/);
    assert.ok(Date.now() - started < 2_000);
    await waitFor(() => cancelled.length === 1, 'the cancellation to reach the editor');
  });

  test("the caller's signal cancels the request in the editor", async () => {
    script = silent;
    const controller = new AbortController();
    const pending = provider(10_000).chat(messages, { ...json, signal: controller.signal });
    await waitFor(() => received.length === 1, 'the request to arrive');
    controller.abort();
    assert.equal((await rejection(pending)).kind, 'aborted');
    await waitFor(() => cancelled.length === 1, 'the cancellation to reach the editor');
    const already = await rejection(provider().chat(messages, { ...json, signal: AbortSignal.abort() }));
    assert.equal(already.kind, 'aborted');
  });

  test('an answer without text is invalid_response; an editor without the handler says what is needed', async () => {
    script = () => ({ content: 'x' });
    assert.equal((await rejection(provider().chat(messages, json))).kind, 'invalid_response');
    const bare = createMessageConnectionPair();
    try {
      const p = createEditorLlmProvider({ send: chatSender(bare.server), log: () => {} }, { timeoutMs: 2_000 });
      const e = await rejection(p.chat(messages, json));
      assert.equal(e.kind, 'http');
      assert.match(e.message, /does not answer smokeRepair\/llmChat/);
    } finally {
      bare.dispose();
    }
  });
});

describe('the API key from the editor', () => {
  test('is held in memory, wins as the secret, is cleared by an empty notification, and is never logged', async () => {
    const lines: string[] = [];
    const llm = new EditorLlm({ send: chatSender(server), log: (l) => lines.push(l) });
    const key = 'sk-editor-secret-123456';
    assert.equal(await resolveKey(llm), undefined);
    llm.setCredentials({ apiKey: key });
    assert.equal(await resolveKey(llm), key);
    llm.setCredentials({ apiKey: 42 });
    assert.equal(await resolveKey(llm), key, 'a malformed notification changes nothing');
    llm.setCredentials({});
    assert.equal(await resolveKey(llm), undefined);
    assert.ok(lines.length >= 3);
    assert.ok(!lines.some((l) => l.includes(key)), lines.join('\n'));
  });
});

async function resolveKey(llm: EditorLlm): Promise<string | undefined> {
  const k = llm.secrets.apiKey;
  return typeof k === 'function' ? k() : k;
}

function createMessageConnectionPair(): { server: MessageConnection; dispose(): void } {
  const a = new PassThrough();
  const b = new PassThrough();
  const s = createMessageConnection(new StreamMessageReader(a), new StreamMessageWriter(b));
  const e = createMessageConnection(new StreamMessageReader(b), new StreamMessageWriter(a));
  s.listen();
  e.listen();
  return {
    server: s,
    dispose() {
      s.dispose();
      e.dispose();
    },
  };
}

async function waitFor(check: () => boolean, what: string, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
